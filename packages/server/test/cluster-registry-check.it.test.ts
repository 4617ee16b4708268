/**
 * The registry check of the cluster health check (issue 11) on real Podman: the cluster's own
 * Podman (test cluster c20) is asked to reach Berth's embedded registry (token auth, Berth as the
 * token server) under the cluster's name for it, through libpod's image search.
 * - the right address: the check is ok (the registry asked for credentials, which proves it
 *   answered), the cluster ready;
 * - a port where nothing listens: degraded, the message says what failed and how to fix it, one
 *   RegistryUnreachable event however many checks follow;
 * - back to the right address: ready again, one RegistryReachable event;
 * - over ssh:// (c20 through the loopback sshd): the check runs through the tunnel, ok;
 * - the embedded registry down (it does not answer Berth either): not judged, the cluster stays ready.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Cluster, ClusterEvent } from '@berth/shared';
import { sshCluster, startCluster, type FleetCluster } from './helpers/clusters';
import { startAuthRegistry, type TestRegistry } from './helpers/local-registry';
import { freePort } from './helpers/net';
import { eventually, startPlatform, type TestPlatform } from './helpers/platform';

describe('cluster health: the registry check from the cluster’s side (real Podman, c20)', () => {
  let p: TestPlatform;
  let c: FleetCluster;
  let registry: TestRegistry;
  let dir: string;
  let port: number;
  let registryUp = false;

  const check = async (): Promise<Cluster> => {
    const r = await p.api.post<Cluster>(`/api/v1/clusters/${c.name}/check`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  const events = async (type: string): Promise<ClusterEvent[]> => {
    const r = await p.api.get<{ items: ClusterEvent[] }>(`/api/v1/clusters/${c.name}/events?limit=100`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.items.filter((e) => e.type === type);
  };

  before(async () => {
    c = await startCluster('c20');
    dir = mkdtempSync(path.join(tmpdir(), 'berth-registry-check-'));
    port = await freePort();
    p = await startPlatform({ BERTH_REGISTRY_LISTEN: `127.0.0.1:${port}` });
    registry = await startAuthRegistry(p, dir);
    registryUp = true;
  });

  after(async () => {
    await p?.close();
    if (registryUp) await registry.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a cluster that reaches the registry under its address: check ok, ready', async () => {
    const r = await p.api.post<Cluster>('/api/v1/clusters', {
      name: c.name,
      endpoint: c.endpoint,
      registry: `localhost:${port}`,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body.warnings, [], 'a unix:// cluster on loopback is no reason to warn');
    // the first check (with the registry check) starts on create
    const first = await eventually(async () => {
      const got = await p.api.get<Cluster>(`/api/v1/clusters/${c.name}`);
      return got.body.registryCheck ? got.body : null;
    }, 'the first registry check');
    assert.equal(first.registryCheck?.ok, true, first.registryCheck?.message);
    assert.equal(first.registryCheck?.registry, `localhost:${port}`);
    assert.match(first.registryCheck?.message ?? '', /asked for credentials/);
    assert.equal(first.state, 'ready', first.message ?? '');
    // local pulls at the registry's own address, and reaches it too
    const local = await p.api.post<Cluster>('/api/v1/clusters/local/check');
    assert.equal(local.status, 200, JSON.stringify(local.body));
    assert.equal(local.body.registryCheck?.ok, true, local.body.registryCheck?.message);
    assert.equal(local.body.registryCheck?.registry, `127.0.0.1:${port}`);
    assert.equal(local.body.state, 'ready', local.body.message ?? '');
    assert.deepEqual(await events('RegistryUnreachable'), []);
  });

  it('a port where nothing listens: degraded, saying what failed and how to fix it, one event', async () => {
    const dead = await freePort();
    const patched = await p.api.call<Cluster>('PATCH', `/api/v1/clusters/${c.name}`, {
      registry: `127.0.0.1:${dead}`,
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const degraded = await eventually(async () => {
      const got = await check();
      return got.state === 'degraded' ? got : null;
    }, 'the cluster degraded by its registry check');
    assert.equal(degraded.registryCheck?.ok, false);
    assert.equal(degraded.registryCheck?.registry, `127.0.0.1:${dead}`);
    const message = degraded.message ?? '';
    assert.match(message, /^Registry check failed: /);
    assert.match(message, new RegExp(`cannot reach the registry at 127\\.0\\.0\\.1:${dead}`));
    assert.match(message, /connection refused/);
    assert.ok(
      message.includes(`berth clusters update ${c.name} --registry host:port`),
      `the fix is named: ${message}`,
    );
    // more checks, and rounds between them that only ping, keep it degraded with one event
    await check();
    const again = await check();
    assert.equal(again.state, 'degraded');
    const down = await events('RegistryUnreachable');
    assert.equal(down.length, 1, JSON.stringify(down));
    assert.match(down[0]!.message, /cannot reach Berth's registry as 127\.0\.0\.1:\d+/);
    const changed = (await events('StateChanged')).filter((e) => e.toState === 'degraded');
    assert.equal(changed.length, 1, JSON.stringify(changed));
  });

  it('back to the right address: ready again, with an event', async () => {
    const patched = await p.api.call<Cluster>('PATCH', `/api/v1/clusters/${c.name}`, {
      registry: `localhost:${port}`,
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const ready = await eventually(async () => {
      const got = await check();
      return got.state === 'ready' ? got : null;
    }, 'the cluster ready again');
    assert.equal(ready.registryCheck?.ok, true, ready.registryCheck?.message);
    assert.equal(ready.message, null);
    assert.equal((await events('RegistryReachable')).length, 1);
    assert.equal((await events('RegistryUnreachable')).length, 1);
  });

  it('checks through an ssh:// tunnel the same way (c20 over the loopback sshd)', async () => {
    const remote = await sshCluster({ cluster: c.name });
    const r = await p.api.post<Cluster>('/api/v1/clusters', {
      name: 'c20-ssh',
      endpoint: remote.endpoint,
      credentials: remote.credentials,
      registry: `localhost:${port}`,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body.warnings, [], 'an ssh:// cluster on this host may publish on loopback');
    const got = await p.api.post<Cluster>('/api/v1/clusters/c20-ssh/check');
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assert.equal(got.body.state, 'ready', got.body.message ?? '');
    assert.equal(got.body.registryCheck?.ok, true, got.body.registryCheck?.message);
    assert.equal((await p.api.delete('/api/v1/clusters/c20-ssh')).status, 204);
  });

  it('the embedded registry itself down: not judged, the cluster stays ready', async () => {
    await registry.stop();
    registryUp = false;
    const got = await check();
    assert.equal(got.state, 'ready', got.message ?? '');
    assert.equal(got.registryCheck?.ok, null);
    assert.match(got.registryCheck?.message ?? '', /does not answer at 127\.0\.0\.1:\d+/);
    assert.equal((await events('RegistryUnreachable')).length, 1, 'no new event');
  });
});
