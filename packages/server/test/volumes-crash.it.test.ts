import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PodmanEngine } from '@berth/engine-podman';
import { BerthProcess } from '../../../bench/soak/berth-process';
import { freePort } from './helpers/net';
import {
  adminPassword,
  eventually,
  makeProject,
  podmanSocket,
  removeInstanceContainers,
  TestApi,
  waitTask,
} from './helpers/platform';
import { exportVolume, readTar, volumeAppSpec } from './helpers/volumes';

type Obj = Record<string, unknown>;
const root = path.resolve(import.meta.dirname, '../../..');

describe("a volume's data survives kill -9 of Berth (a real server process)", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-volcrash-'));
  const instanceId = `v${randomBytes(4).toString('hex')}`;
  const engine = new PodmanEngine({ socketPath: podmanSocket });
  const vols = '/api/v1/projects/volcrash/envs/test/volumes';
  const services = '/api/v1/projects/volcrash/envs/test/services';
  let server: BerthProcess;
  let api: TestApi;

  /** kill -9 of the server process, then the same server started again on the same data. */
  async function crashAndRestart(): Promise<void> {
    await server.kill9();
    await server.start();
    api = await TestApi.login(server.url, 'admin', adminPassword);
  }

  const files = async () => readTar(await exportVolume(api, `${vols}/data`));
  const versions = async () =>
    ((await files()).get('log')?.content.toString('utf8').trim().split('\n') ?? []).map(
      (l) => l.split(' ')[0],
    );

  before(async () => {
    server = new BerthProcess({
      root,
      dataDir,
      apiPort: await freePort(),
      gatewayListen: 'off',
      registryListen: 'off',
      instanceId,
      podmanSocket,
      adminPassword,
      logFile: path.join(dataDir, 'server.log'),
    });
    await server.start();
    api = await TestApi.login(server.url, 'admin', adminPassword);
  });
  after(async () => {
    await server?.kill9().catch(() => undefined);
    await removeInstanceContainers(engine, instanceId);
    for (const v of await engine.listVolumes({ 'berth.instance': instanceId }).catch(() => []))
      await engine.removeVolume(v.name).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the files a service wrote through a kill -9 in the middle of a rollout, and the service mounts them again', async () => {
    await makeProject(api, 'volcrash');
    assert.equal((await api.put('/api/v1/volume-classes/fast', { kind: 'local' })).status, 200);
    const made = await api.post<Obj>(vols, { name: 'data', class: 'fast', sizeMiB: 64 });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const svc = await api.post<{ task: Obj }>(services, { name: 'app', spec: volumeAppSpec('v1') });
    assert.equal(svc.status, 202, JSON.stringify(svc.body));
    assert.equal((await waitTask(api, svc.body.task.id as string)).state, 'succeeded');
    const blob = (await files()).get('sub/blob')!.sha256;
    assert.deepEqual(await versions(), ['v1']);

    // kill -9 right after a rolling update was accepted, then start Berth again
    const upd = await api.put<{ task: Obj }>(`${services}/app`, { spec: volumeAppSpec('v2') });
    assert.equal(upd.status, 202, JSON.stringify(upd.body));
    await crashAndRestart();
    const again = await api.get<Obj>(`${vols}/data`);
    assert.equal(again.status, 200);
    assert.equal(again.body.engineName, made.body.engineName, 'the same engine volume');
    assert.equal((await waitTask(api, upd.body.task.id as string)).state, 'succeeded');
    const after1 = await versions();
    assert.equal(after1[0], 'v1', 'the first start is still in the log');
    assert.equal(after1[after1.length - 1], 'v2');
    assert.equal((await files()).get('sub/blob')!.sha256, blob, 'the blob v1 wrote');

    // a kill -9 while nothing happens, then a rolling restart: still the same data
    await crashAndRestart();
    const restart = await api.post<{ task: Obj }>(`${services}/app/restart`, {});
    assert.equal(restart.status, 202, JSON.stringify(restart.body));
    assert.equal((await waitTask(api, restart.body.task.id as string)).state, 'succeeded');
    const after2 = await versions();
    assert.deepEqual(after2.slice(0, after1.length), after1);
    assert.equal(after2.length, after1.length + 1);
    assert.equal((await files()).get('sub/blob')!.sha256, blob);

    assert.equal((await api.delete(`${services}/app`)).status, 202);
    await eventually(async () => (await api.get(`${services}/app`)).status === 404, 'app deleted', 120_000);
    await eventually(
      async () => (await api.delete(`${vols}/data`)).status === 204,
      'volume deleted',
      60_000,
      500,
    );
  });
});
