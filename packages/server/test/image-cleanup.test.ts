/**
 * The image clean-up's policy (modules/placement/image-cleanup.ts) on fake engines, and what it
 * reads from the store (image-needs.ts) on SQLite and PostgreSQL:
 * - kept: what a placed service needs (current or stable release, under the cluster's registry
 *   address), what a container the ledger holds as still existing uses (not its history: an
 *   `exited` row's container is gone), what a container outside the ledger uses, images of other registries (also when one of their names is Berth's), and everything
 *   on `local`;
 * - removed: Berth's registry's images nobody needs, only once unneeded for the whole grace (the
 *   clock restarts when the image is needed again meanwhile), one cluster event per batch;
 * - a refused removal (a container appeared after the listing) is reported as kept, not an error;
 * - a service placed back between the listing and the removal keeps its image.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerEngine } from '@berth/engine-api';
import { UnavailableError, defaultPublishAddress } from '@berth/shared';
import type { ClusterRow } from '../src/modules/clusters/clusters.repository';
import { ClustersRepository } from '../src/modules/clusters/clusters.repository';
import { ImageCleanup, imageKeys } from '../src/modules/placement/image-cleanup';
import { readImageNeeds, type ImageNeeds } from '../src/modules/placement/image-needs';
import { ServicesRepository } from '../src/modules/services/services.repository';
import type { Engines } from '../src/runtime/engines';
import { FakeEngine, startFakePlatform, type FakePlatform } from './helpers/fake-engine';

const registry = '127.0.0.1:5000';
const minute = 60_000;
const grace = 10 * minute;

function clusterRow(name: string, over: Partial<ClusterRow> = {}): ClusterRow {
  const now = new Date().toISOString();
  return {
    name,
    kind: 'podman',
    endpoint: `unix:///run/${name}/podman.sock`,
    credentials_sealed: null,
    labels: '{}',
    publish_address: defaultPublishAddress,
    registry_address: null,
    built_in: name === 'local' ? 1 : 0,
    cordoned: 0,
    draining: 0,
    state: 'ready',
    state_since: now,
    message: null,
    latency_ms: 1,
    capacity: null,
    last_checked_at: now,
    created_at: now,
    updated_at: now,
    created_by: 'test',
    version: 1,
    ...over,
  };
}

interface Note {
  cluster: string;
  type: string;
  message: string;
}

/** A fleet of fake engines, a clock, an in-memory cluster list and needs the test sets. */
function fleet(rows: ClusterRow[]) {
  const engines = new Map(rows.map((r) => [r.name, new FakeEngine(r.name)]));
  const notes: Note[] = [];
  let now = Date.parse('2026-12-06T08:00:00Z');
  const state = {
    needs: { needed: [], used: [] } as ImageNeeds,
    reads: 0,
    onReread: null as null | (() => void),
  };
  const port: Engines = {
    local: engines.get('local') ?? new FakeEngine(),
    get: (name) => {
      const e = engines.get(name);
      return e ? Promise.resolve(e as ContainerEngine) : Promise.reject(new UnavailableError(`no ${name}`));
    },
    clusters: () => Promise.resolve(rows.map((r) => r.name)),
    addresses: () => Promise.resolve({ publishAddress: defaultPublishAddress, registry: null }),
    close: () => Promise.resolve(),
  };
  const cleanup = new ImageCleanup(
    {
      engines: port,
      clusters: {
        list: () => Promise.resolve(rows),
        addNote: (cluster, type, message) => Promise.resolve(void notes.push({ cluster, type, message })),
      },
      needs: () => {
        state.reads += 1;
        // the second read of a pass is the re-check before removing
        if (state.reads % 2 === 0) state.onReread?.();
        return Promise.resolve(state.needs);
      },
      log: { info: () => undefined, warn: () => undefined } as never,
    },
    {
      graceMs: grace,
      intervalMs: minute,
      registryListen: registry,
      spared: (c) => c.name === 'local',
      now: () => now,
    },
  );
  const pass = async () => {
    state.reads = 0;
    return cleanup.pass();
  };
  const names = async (cluster: string) =>
    (await engines.get(cluster)!.listImages()).flatMap((i) => i.names).sort();
  return {
    engines,
    notes,
    state,
    pass,
    names,
    advance: (ms: number) => void (now += ms),
    pull: (cluster: string, ...refs: string[]) =>
      Promise.all(refs.map((r) => engines.get(cluster)!.ensureImage(r))),
  };
}

void describe('image clean-up policy (fake engines)', () => {
  void it('keeps what is needed, used, foreign or on local; removes the rest only after the grace', async () => {
    const f = fleet([clusterRow('local'), clusterRow('c1')]);
    const needed = `${registry}/shop/web:2`;
    const stable = `${registry}/shop/web:1`;
    const ledgerDraining = `${registry}/shop/api:7`;
    const outsider = `${registry}/shop/tool:1`;
    const unneeded = `${registry}/shop/old:3`;
    const alias = `localhost:5000/shop/gone:1`;
    const foreign = 'docker.io/library/redis:7';
    const mixed = `${registry}/shop/mixed:1`;
    await f.pull('c1', needed, stable, ledgerDraining, outsider, unneeded, alias, foreign, mixed);
    f.engines.get('c1')!.tag(mixed, 'quay.io/other/mixed:1');
    // a container outside Berth's ledger (an admin's) uses `outsider`
    f.engines.get('c1')!.add({ name: 'admins-own', image: outsider, state: 'exited' });
    await f.pull('local', unneeded);
    f.state.needs = {
      needed: [
        { cluster: 'c1', image: needed },
        { cluster: 'c1', image: stable },
        { cluster: 'local', image: needed },
      ],
      used: [{ cluster: 'c1', image: ledgerDraining, digest: null }],
    };

    const first = await f.pass();
    assert.deepEqual(first, [{ cluster: 'c1', removed: [], refused: [], waiting: [alias, unneeded].sort() }]);
    f.advance(grace - 1000);
    assert.equal((await f.pass())[0]!.removed.length, 0, 'not before the grace');
    assert.equal(f.notes.length, 0);

    f.advance(1000);
    const due = await f.pass();
    assert.deepEqual(due[0]!.removed.sort(), [alias, unneeded].sort());
    assert.deepEqual(
      await f.names('c1'),
      [foreign, ledgerDraining, outsider, mixed, stable, needed, 'quay.io/other/mixed:1'].sort(),
    );
    assert.deepEqual(await f.names('local'), [unneeded], 'local is spared');
    assert.equal(f.notes.length, 1, 'one event per batch');
    assert.equal(f.notes[0]!.cluster, 'c1');
    assert.equal(f.notes[0]!.type, 'ImagesRemoved');
    assert.match(f.notes[0]!.message, /^Removed 2 images no longer needed \(0\.0 MB\): /);
    assert.ok(f.notes[0]!.message.includes(unneeded) && f.notes[0]!.message.includes(alias));

    // nothing more to do: no further events
    f.advance(grace);
    assert.deepEqual(await f.pass(), [{ cluster: 'c1', removed: [], refused: [], waiting: [] }]);
    assert.equal(f.notes.length, 1);
  });

  void it('restarts the grace when the image is needed again meanwhile (a move back)', async () => {
    const f = fleet([clusterRow('c1')]);
    const image = `${registry}/shop/web:1`;
    await f.pull('c1', image);
    await f.pass(); // unneeded from now
    f.advance(5 * minute);
    f.state.needs = { needed: [{ cluster: 'c1', image }], used: [] };
    await f.pass(); // placed back: the clock stops
    f.advance(minute);
    f.state.needs = { needed: [], used: [] };
    await f.pass(); // moved off again: the clock starts afresh
    f.advance(grace - minute);
    assert.deepEqual(
      (await f.pass())[0]!.removed,
      [],
      '10 min after the first unneeded pass, but not since the last',
    );
    f.advance(minute);
    assert.deepEqual((await f.pass())[0]!.removed, [image]);
    assert.deepEqual(await f.names('c1'), []);
  });

  void it('takes the cluster’s registry address and recorded digests for the ones the services name', async () => {
    const f = fleet([clusterRow('c2', { registry_address: 'registry.dc2:5000' })]);
    await f.pull(
      'c2',
      'registry.dc2:5000/shop/web:1', // the service's 127.0.0.1:5000/shop/web:1 as c2 pulls it
      'registry.dc2:5000/shop/old:1',
      `${registry}/shop/before:1`, // pulled under the registry's own address before c2 had one
      'registry.dc3:5000/shop/web:1', // another cluster's name for it is not Berth's here
    );
    // a container of a tag that moved on since (:3 is :4's old content): the ledger recorded its digest
    const pinned = await f.engines.get('c2')!.ensureImage('registry.dc2:5000/shop/pinned:3');
    f.state.needs = {
      needed: [{ cluster: 'c2', image: `${registry}/shop/web:1` }],
      used: [{ cluster: 'c2', image: `${registry}/shop/pinned:4`, digest: pinned.digest }],
    };
    assert.deepEqual(imageKeys(`localhost:5000/shop/pinned:4@${pinned.digest}`), [
      `127.0.0.1:5000/shop/pinned:4`,
      `127.0.0.1:5000/shop/pinned@${pinned.digest}`,
    ]);
    await f.pass();
    f.advance(grace);
    const [done] = await f.pass();
    assert.deepEqual(
      done!.removed.sort(),
      ['registry.dc2:5000/shop/old:1', `${registry}/shop/before:1`].sort(),
    );
    assert.deepEqual(await f.names('c2'), [
      'registry.dc2:5000/shop/pinned:3',
      'registry.dc2:5000/shop/web:1',
      'registry.dc3:5000/shop/web:1',
    ]);
  });

  void it('reports a refused removal as kept (a container came after the listing) and does not retry it', async () => {
    const f = fleet([clusterRow('c1')]);
    const image = `${registry}/shop/web:1`;
    await f.pull('c1', image);
    await f.pass();
    f.advance(grace);
    // between the pass's listing and its removal, someone runs a container of the image
    f.state.onReread = () =>
      void f.engines.get('c1')!.add({ name: 'late', image, imageId: image, state: 'running' });
    const [done] = await f.pass();
    f.state.onReread = null;
    assert.deepEqual(done, { cluster: 'c1', removed: [], refused: [image], waiting: [] });
    assert.deepEqual(await f.names('c1'), [image], 'the engine kept it');
    assert.equal(f.notes.length, 1);
    assert.equal(f.notes[0]!.type, 'ImagesKept');
    assert.match(f.notes[0]!.message, /refused to remove it because a container uses it/);
    f.advance(grace);
    assert.deepEqual(
      await f.pass(),
      [{ cluster: 'c1', removed: [], refused: [], waiting: [] }],
      'in use: not a candidate',
    );
  });

  void it('keeps an image a service was placed back with between the listing and the removal', async () => {
    const f = fleet([clusterRow('c1')]);
    const image = `${registry}/shop/web:1`;
    await f.pull('c1', image);
    await f.pass();
    f.advance(grace);
    f.state.onReread = () => (f.state.needs = { needed: [{ cluster: 'c1', image }], used: [] });
    assert.deepEqual((await f.pass())[0]!.removed, []);
    assert.deepEqual(await f.names('c1'), [image]);
    assert.equal(f.notes.length, 0);
  });

  void it('skips unreachable and failing clusters, and cleans the others', async () => {
    const f = fleet([clusterRow('c1', { state: 'unreachable' }), clusterRow('c2'), clusterRow('c3')]);
    const image = `${registry}/shop/old:1`;
    await f.pull('c1', image);
    await f.pull('c2', image);
    await f.pull('c3', image);
    f.engines.get('c2')!.down = true;
    await f.pass();
    f.advance(grace);
    const done = await f.pass();
    assert.deepEqual(
      done.map((d) => [d.cluster, d.removed]),
      [['c3', [image]]],
    );
    f.engines.get('c2')!.down = false;
    assert.deepEqual(await f.names('c1'), [image]);
    assert.deepEqual(await f.names('c2'), [image]);
  });
});

for (const dialect of ['sqlite', 'postgres'] as const) {
  void describe(`image needs from the store (${dialect})`, () => {
    let p: FakePlatform;
    before(async () => {
      p = await startFakePlatform(dialect);
      const clusters = new ClustersRepository(p.ctx.db);
      for (const name of ['c1', 'c2', 'c3']) await clusters.insert(clusterRow(name));
      await clusters.updateEnv('test', { clusters: JSON.stringify(['local', 'c1', 'c2', 'c3']) });
    });
    after(() => p?.close());

    void it('names the current and stable release’s image on each placed cluster, and the ledger’s', async () => {
      for (const image of ['a:1', 'a:2', 'b:1', 'gone:1'].map((i) => `${registry}/web/${i}`))
        await p.engine.ensureImage(image);
      const a = await p.createService('a', {
        image: `${registry}/web/a:1`,
        placement: { clusters: [{ name: 'c1', weight: 1 }], division: 'weighted' },
      });
      // release 2 moves a to c2 with a new image; release 1 stays the stable one
      const patched = await p.admin.call('PUT', '/api/v1/projects/web/envs/test/services/a', {
        spec: {
          image: `${registry}/web/a:2`,
          replicas: 2,
          placement: { clusters: [{ name: 'c2', weight: 1 }], division: 'weighted' },
        },
      });
      assert.equal(patched.status, 202, JSON.stringify(patched.body));
      await p.ctx.db.updateTable('services').set({ stable_release: 1 }).where('id', '=', a.id).execute();
      await p.createService('b', {
        image: `${registry}/web/b:1`,
        placement: { clusters: 'all', division: 'duplicated' },
      });
      const gone = await p.createService('gone', { image: `${registry}/web/gone:1` });
      await p.ctx.db.updateTable('services').set({ deleting: 1 }).where('id', '=', gone.id).execute();
      await p.createService('plain', { image: 'localhost/app:1' });
      await p.addContainer(a, 'a-old', {
        cluster: 'c3',
        image: `${registry}/web/a:0`,
        state: 'draining',
        image_digest: 'sha256:' + 'b'.repeat(64),
      });
      // history: the runner removed these containers from their cluster before writing the state
      for (const state of ['exited', 'removed'])
        await p.addContainer(a, `a-${state}`, { cluster: 'c3', image: `${registry}/web/a:${state}`, state });

      const needs = await readImageNeeds(p.ctx.db, new ServicesRepository(p.ctx.db));
      const needed = needs.needed.map((n) => `${n.cluster} ${n.image}`).sort();
      assert.deepEqual(needed, [
        `c1 ${registry}/web/a:1`,
        `c1 ${registry}/web/b:1`,
        `c2 ${registry}/web/a:2`,
        `c2 ${registry}/web/b:1`,
        `c3 ${registry}/web/b:1`,
        `local ${registry}/web/b:1`,
        'local localhost/app:1',
      ]);
      assert.deepEqual(
        needs.used.map((u) => `${u.cluster} ${u.image} ${u.digest}`),
        [`c3 ${registry}/web/a:0 sha256:${'b'.repeat(64)}`],
        'an exited or removed container (history) uses nothing',
      );
    });
  });
}
