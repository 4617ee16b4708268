/**
 * Propagation's clean-up on real Podman (test cluster c19, docs/fleet.md "Image clean-up"): two
 * services of Berth's embedded registry run on c19; one is moved to `local`. Past the grace
 * (5 s here, checked every second) its image leaves c19's storage, and not sooner; the other
 * service's image (its container runs) and images of other registries stay; c19's event log says
 * what was removed. `local`, where the moved service now runs, is never cleaned. Then the other
 * service is deleted: its image leaves c19 too.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PodmanEngine } from '@berth/engine-podman';
import { startCluster, type FleetCluster } from './helpers/clusters';
import { pushImage, startAuthRegistry, type TestRegistry } from './helpers/local-registry';
import { freePort } from './helpers/net';
import {
  eventually,
  makeProject,
  removeInstanceContainers,
  startPlatform,
  testImage,
  waitTask,
  webSpec,
  type TestPlatform,
} from './helpers/platform';

const run = promisify(execFile);
const graceSeconds = 5;

/** A runnable image of its own (the test image plus a label: a new image id, the same layers). */
async function distinctImage(dir: string, label: string): Promise<string> {
  const name = `localhost/berth-cleanup-${randomBytes(4).toString('hex')}:${label}`;
  const context = mkdtempSync(path.join(dir, `${label}-`));
  writeFileSync(path.join(context, 'Containerfile'), `FROM ${testImage}\nLABEL berth.test.cleanup=${name}\n`);
  await run('podman', ['build', '--quiet', '--pull=never', '-t', name, context], { timeout: 120_000 });
  return name;
}

interface ClusterEvent {
  type: string;
  message: string;
}

describe('image clean-up: an image leaves a cluster its service left (real Podman, c19)', () => {
  let p: TestPlatform;
  let c: FleetCluster;
  let engine: PodmanEngine;
  let registry: TestRegistry;
  let dir: string;
  let base: string;
  let webRef: string;
  let keepRef: string;
  const local: string[] = [];
  const foreign = `127.0.0.2:5999/elsewhere/foreign:${randomBytes(3).toString('hex')}`;
  const onC19 = { clusters: [{ name: 'c19', weight: 1 }], division: 'weighted' };
  const onLocal = { clusters: [{ name: 'local', weight: 1 }], division: 'weighted' };
  const podmanC19 = (...args: string[]) => run('podman', ['--url', `unix://${c.socketPath}`, ...args]);

  before(async () => {
    c = await startCluster('c19');
    engine = new PodmanEngine({ socketPath: c.socketPath, cluster: c.name });
    dir = mkdtempSync(path.join(tmpdir(), 'berth-image-cleanup-'));
    const port = await freePort();
    p = await startPlatform({
      BERTH_REGISTRY_LISTEN: `127.0.0.1:${port}`,
      BERTH_IMAGE_CLEANUP_GRACE_SECONDS: String(graceSeconds),
      BERTH_IMAGE_CLEANUP_INTERVAL_SECONDS: '1',
    });
    registry = await startAuthRegistry(p, dir);
    for (const label of ['web', 'keep']) {
      const name = await distinctImage(dir, label);
      local.push(name);
      await pushImage(name, registry.host, `cleanup/${label}:1`);
    }
    webRef = `${registry.host}/cleanup/web:1`;
    keepRef = `${registry.host}/cleanup/keep:1`;
    // an image of another registry on c19, used by nothing: never Berth's to remove
    await podmanC19('tag', testImage, foreign);
    const r = await p.api.post('/api/v1/clusters', { name: c.name, endpoint: c.endpoint });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const env = await p.api.call('PATCH', '/api/v1/envs/test', { clusters: ['local', c.name] });
    assert.equal(env.status, 200, JSON.stringify(env.body));
    base = await makeProject(p.api, 'cleanup');
  });

  after(async () => {
    await p?.close();
    if (engine) await removeInstanceContainers(engine, p.instanceId).catch(() => undefined);
    for (const ref of [webRef, keepRef, foreign])
      if (ref && c) await podmanC19('rmi', ref).catch(() => undefined);
    // the moved service's image on local (the main test storage) and the built ones
    for (const ref of [webRef, ...local].filter(Boolean))
      await run('podman', ['rmi', ref]).catch(() => undefined);
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('removes the moved service’s image from c19 past the grace, and keeps what is still used or not Berth’s', async (t) => {
    for (const [name, image] of [
      ['web', webRef],
      ['keep', keepRef],
    ] as const) {
      const r = await p.api.post<{ task: { id: string } }>(base, {
        name,
        spec: webSpec(name, 1, { image, placement: onC19 }),
      });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      const task = await waitTask(p.api, r.body.task.id);
      assert.equal(task.state, 'succeeded', JSON.stringify(task));
    }
    const names = async () => (await engine.listImages()).flatMap((i) => i.names);
    for (const ref of [webRef, keepRef, foreign, testImage])
      assert.ok((await names()).includes(ref), `${ref} is on c19`);

    // From before the move on: the start of the last listing that still showed web's container on
    // c19. It left after that, and its image may go only a grace later (a lower bound however slow
    // the listings are).
    const webOnC19 = async () =>
      (await engine.listContainers({ 'berth.instance': p.instanceId })).some((o) => o.image === webRef);
    let seenAt = 0;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const t0 = Date.now();
        if (await webOnC19().catch(() => true)) seenAt = t0;
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    try {
      // web moves to local
      const moved = await p.api.call<{ task: { id: string } }>('PUT', `${base}/web`, {
        spec: webSpec('web', 1, { image: webRef, placement: onLocal }),
      });
      assert.equal(moved.status, 202, JSON.stringify(moved.body));
      const task = await waitTask(p.api, moved.body.task.id);
      assert.equal(task.state, 'succeeded', JSON.stringify(task));
      await eventually(
        async () => (await engine.inspectImage(webRef)) === null,
        'web’s image to leave c19',
        120_000,
        100,
      );
    } finally {
      watching = false;
      await watch;
    }
    assert.ok(seenAt > 0, 'web’s container was seen on c19');
    const after = (Date.now() - seenAt) / 1000;
    t.diagnostic(
      `web's image left c19 ${after.toFixed(1)} s after its container was last seen (grace ${graceSeconds} s)`,
    );
    assert.ok(
      after >= graceSeconds,
      `removed ${after.toFixed(1)} s after the container was last seen: before the grace`,
    );
    assert.equal(await webOnC19(), false);

    const left = await names();
    assert.ok(left.includes(keepRef), 'keep’s image stays: its container runs on c19');
    assert.ok(left.includes(foreign), 'an image of another registry stays');
    assert.ok(left.includes(testImage), 'an image of no registry stays');
    const keep = (await engine.listContainers({ 'berth.instance': p.instanceId })).filter(
      (o) => o.image === keepRef,
    );
    assert.equal(keep.length, 1);
    assert.equal(keep[0]!.state, 'running');

    const events = await p.api.get<{ items: ClusterEvent[] }>(`/api/v1/clusters/${c.name}/events`);
    const removed = events.body.items.filter((e) => e.type === 'ImagesRemoved');
    assert.equal(removed.length, 1, JSON.stringify(events.body.items));
    assert.match(removed[0]!.message, /^Removed 1 image no longer needed \(\d+\.\d MB\): /);
    assert.ok(removed[0]!.message.includes(webRef), removed[0]!.message);
    assert.ok(!removed[0]!.message.includes(keepRef));

    // local, where web runs now, is never cleaned: its image is there
    assert.ok(await p.engine.inspectImage(webRef), 'web’s image on local');
  });

  it('removes a deleted service’s image from c19 once its container is gone and the grace has run', async () => {
    const r = await p.api.delete<{ task?: { id: string } }>(`${base}/keep`);
    assert.ok(r.status === 202 || r.status === 204, `${r.status} ${JSON.stringify(r.body)}`);
    if (r.body?.task) await waitTask(p.api, r.body.task.id);
    await eventually(
      async () => (await engine.inspectImage(keepRef)) === null,
      'keep’s image to leave c19',
      120_000,
      200,
    );
    const left = (await engine.listImages()).flatMap((i) => i.names);
    assert.ok(left.includes(foreign) && left.includes(testImage), JSON.stringify(left));
    const events = await p.api.get<{ items: ClusterEvent[] }>(`/api/v1/clusters/${c.name}/events`);
    const removed = events.body.items.filter((e) => e.type === 'ImagesRemoved').map((e) => e.message);
    assert.equal(removed.length, 2, JSON.stringify(removed));
    assert.ok(
      removed.some((m) => m.includes(keepRef)),
      JSON.stringify(removed),
    );
  });
});
