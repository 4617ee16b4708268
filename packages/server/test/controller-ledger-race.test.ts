import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerCreateSpec, ContainerObservation } from '@berth/engine-api';
import { ServiceController } from '../src/modules/services/controller/service-controller';
import type { ServiceRow } from '../src/modules/services/services.repository';
import { startFakePlatform, type FakePlatform } from './helpers/fake-engine';
import type { Json } from './helpers/db';

/**
 * A pass lists the engine's containers first and reads the ledger afterwards. A creation that
 * finishes in between leaves a ledger row the list cannot know yet: that container is new, not
 * "removed outside Berth" (the soak once saw a fresh container marked gone, then removed as an orphan).
 */
describe('service controller: a container created after the pass listed the engine', () => {
  let p: FakePlatform;
  let svc: ServiceRow;
  let controller: ServiceController;

  before(async () => {
    p = await startFakePlatform('sqlite');
    svc = await p.createService('race', { replicas: 1 });
    controller = new ServiceController(p.deps);
  });
  /** Passes until the controller's container operations are through (nothing runs its loop). */
  const settle = async () => {
    for (let i = 0; i < 4; i += 1) {
      await controller.reconcileAll();
      await controller.idle();
    }
  };
  /** The engine's next list, and only that one, goes through `change`. */
  const listOnce = (change: (all: ContainerObservation[]) => ContainerObservation[]) => {
    const real = p.engine.listContainers.bind(p.engine);
    let pending = true;
    p.engine.listContainers = async (labels: Record<string, string>) => {
      const all = await real(labels);
      if (!pending) return all;
      pending = false;
      return change(all);
    };
  };

  after(async () => {
    await controller?.stop();
    await p?.close();
  });

  it('keeps the new container instead of marking it gone and removing it', async () => {
    const { engine, deps } = p;
    let releaseRun: (() => void) | null = null;
    const realRun = engine.runContainer.bind(engine);
    engine.runContainer = async (spec: ContainerCreateSpec) => {
      await new Promise<void>((resolve) => (releaseRun = resolve));
      return realRun(spec);
    };
    const realList = engine.listContainers.bind(engine);
    engine.listContainers = async (labels: Record<string, string>): Promise<ContainerObservation[]> => {
      const snapshot = await realList(labels);
      const release = releaseRun;
      if (release) {
        // The creation completes after the snapshot was taken, before the ledger is read.
        releaseRun = null;
        release();
        const deadline = Date.now() + 10_000;
        for (;;) {
          const rows = await deps.repo.activeContainers(svc.id);
          if (rows.some((r) => r.state !== 'creating')) break;
          assert.ok(Date.now() < deadline, 'the creation never finished');
          await new Promise((r) => setTimeout(r, 10));
        }
      }
      return snapshot;
    };

    await controller.reconcileAll(); // plans the creation; it waits for the next list
    await controller.reconcileAll(); // lists (empty), the creation finishes, then the ledger is read
    await controller.reconcileAll(); // now the list has it
    // the engine as it was, for the tests below
    engine.runContainer = realRun;
    engine.listContainers = realList;

    const rows = await deps.repo.activeContainers(svc.id);
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.notEqual(rows[0]!.state, 'exited');
    assert.ok(engine.containers.has(rows[0]!.name), 'the container is still in the engine');
    const events = await p.admin.get('/api/v1/projects/web/envs/test/services/race/events');
    const reasons = (events.body.items as Json[]).map((e: Json) => `${e.type}: ${e.message}`);
    assert.ok(
      !reasons.some((r) => r.startsWith('Vanished') || r.startsWith('OrphanRemoved')),
      reasons.join('\n'),
    );
  });

  it('keeps a ready container that one list skipped; writes off one that is really gone', async () => {
    const { engine, deps } = p;
    await settle();
    const [row] = (await deps.repo.activeContainers(svc.id)).filter((r) => r.state !== 'exited');
    assert.ok(row, 'one container runs');
    // a busy engine left it out of one list
    listOnce((all) => all.filter((o) => o.name !== row.name));
    await settle();
    const kept = await deps.repo.activeContainers(svc.id);
    assert.deepEqual(
      kept.map((r) => r.name),
      [row.name],
      `the skipped container is kept and nothing replaces it: ${JSON.stringify(kept)}`,
    );
    assert.ok(engine.containers.has(row.name));

    // removed behind Berth's back: the list and the inspect agree, so it is written off
    engine.containers.delete(row.name);
    await settle();
    const events = await p.admin.get('/api/v1/projects/web/envs/test/services/race/events');
    const vanished = (events.body.items as Json[]).filter((e: Json) => e.type === 'Vanished');
    assert.equal(vanished.length, 1, JSON.stringify(vanished));
    assert.match(String(vanished[0].message), new RegExp(`${row.name}: removed outside Berth`));
  });

  it('keeps a ready container that a stale list saw before it started; reaps one that really exited', async () => {
    const { engine, deps } = p;
    await settle();
    const [row] = (await deps.repo.activeContainers(svc.id)).filter((r) => r.state !== 'exited');
    assert.ok(row, 'one container runs');
    // the list was taken between the container's create and its start
    listOnce((all) =>
      all.map((o) => (o.name === row.name ? { ...o, state: 'created' as const, exitCode: null } : o)),
    );
    await settle();
    assert.deepEqual(
      (await deps.repo.activeContainers(svc.id)).map((r) => r.name),
      [row.name],
      'the running container is kept, nothing replaces it',
    );
    assert.equal(engine.containers.get(row.name)?.state, 'running');

    // it really exits: the list and a fresh inspect agree, so it is reaped (and replaced)
    engine.exit(row.name, 3);
    await settle();
    const events = await p.admin.get('/api/v1/projects/web/envs/test/services/race/events');
    const crashed = (events.body.items as Json[]).filter((e: Json) => e.type === 'Crashed');
    assert.equal(crashed.length, 1, JSON.stringify(crashed));
    assert.match(String(crashed[0].message), new RegExp(`${row.name} exited: Error \\(exit 3\\)`));
    assert.ok(!engine.containers.has(row.name), 'the exited container is removed');
  });
});
