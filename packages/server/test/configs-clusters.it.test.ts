/**
 * Config files on two clusters (docs/configs.md "How the files reach the containers"): a service
 * placed on `local` and a second Podman cluster serves its config from both, each cluster with
 * its own engine volume filled through its own engine; a new version reaches both.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { PodmanEngine } from '@berth/engine-podman';
import { makeProject, startPlatform, testImage, waitTask, type TestPlatform } from './helpers/platform';
import { startCluster, type FleetCluster } from './helpers/clusters';

type Obj = Record<string, unknown>;

function httpGet(address: string): Promise<string> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: address.slice(0, i),
        port: Number(address.slice(i + 1)),
        path: '/index.html',
        agent: false,
        timeout: 5000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body.trim()));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

describe('config files on two clusters', () => {
  let p: TestPlatform;
  let base: string;
  let c: FleetCluster;
  let remote: PodmanEngine;
  const configs = '/api/v1/projects/cc/configs';

  before(async () => {
    // a cluster of its own (other tests use c1…c20)
    c = await startCluster('c23');
    remote = new PodmanEngine({ socketPath: c.socketPath, cluster: c.name });
    p = await startPlatform();
    const r = await p.api.post('/api/v1/clusters', { name: c.name, kind: 'podman', endpoint: c.endpoint });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const env = await p.api.call('PATCH', '/api/v1/envs/test', { clusters: ['local', c.name] });
    assert.equal(env.status, 200, JSON.stringify(env.body));
    base = await makeProject(p.api, 'cc');
  });
  after(async () => {
    await p?.close();
    const left = await remote.listContainers({ 'berth.instance': p.instanceId }).catch(() => []);
    for (const x of left) await remote.removeContainer(x.id).catch(() => undefined);
    for (const engine of [remote, p.engine])
      for (const v of await engine.listVolumes({ 'berth.instance': p.instanceId }).catch(() => []))
        await engine.removeVolume(v.name).catch(() => undefined);
  });

  it('serves the config from both clusters, each filled through its own engine, and rolls a new version to both', async () => {
    assert.equal((await p.api.post(configs, { name: 'site', files: { 'index.html': 'one\n' } })).status, 201);
    const r = await p.api.post<{ task: Obj }>(base, {
      name: 'web',
      spec: {
        image: testImage,
        command: ['httpd', '-f', '-p', '8080', '-h', '/srv/site'],
        ports: [{ containerPort: 8080 }],
        readiness: { type: 'http', path: '/index.html', periodSeconds: 1 },
        mounts: [{ config: 'site', path: '/srv/site' }],
        placement: {
          clusters: [
            { name: 'local', weight: 1 },
            { name: c.name, weight: 1 },
          ],
          division: 'weighted',
        },
        replicas: 2,
      },
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal((await waitTask(p.api, r.body.task.id as string)).state, 'succeeded');
    const serving = async () => {
      const list = await p.api.get<{ items: Obj[] }>(`${base}/web/containers`);
      const ready = list.body.items.filter((x) => x.state === 'ready');
      return Promise.all(
        ready.map(async (x) => [
          x.cluster as string,
          await httpGet(Object.values(x.endpoints as Obj)[0] as string),
        ]),
      );
    };
    assert.deepEqual((await serving()).sort(), [
      [c.name, 'one'],
      ['local', 'one'],
    ]);
    const labels = { 'berth.instance': p.instanceId, 'berth.config-volume': 'true' };
    assert.deepEqual(
      (await remote.listVolumes(labels)).map((v) => [
        v.labels['berth.cluster'],
        v.labels['berth.config-version'],
      ]),
      [[c.name, '1']],
    );

    const up = await p.api.put<{ refreshed: Obj[] }>(`${configs}/site`, { files: { 'index.html': 'two\n' } });
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assert.equal((await waitTask(p.api, up.body.refreshed[0]!.task as string)).state, 'succeeded');
    assert.deepEqual((await serving()).sort(), [
      [c.name, 'two'],
      ['local', 'two'],
    ]);
  });
});
