import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PodmanEngine } from '@berth/engine-podman';
import { freePort } from './helpers/net';
import {
  adminPassword,
  eventually,
  makeProject,
  podmanSocket,
  removeInstanceContainers,
  TestApi,
  webSpec,
} from './helpers/platform';

type Obj = Record<string, unknown>;
const trials = Number(process.env.BERTH_TEST_CRASH_TRIALS ?? 5);
const root = path.resolve(import.meta.dirname, '../../..');

describe('kill -9 of the server during rollouts', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-crash-'));
  const instanceId = `k${randomBytes(4).toString('hex')}`;
  const engine = new PodmanEngine({ socketPath: podmanSocket });
  let port = 0;
  let child: ChildProcess | null = null;
  let api: TestApi;

  async function startServer(): Promise<void> {
    const log = openSync(path.join(dataDir, 'server.log'), 'a');
    child = spawn(process.execPath, ['--import', 'tsx', 'packages/server/src/main.ts'], {
      cwd: root,
      stdio: ['ignore', log, log],
      env: {
        ...process.env,
        BERTH_DATA_DIR: dataDir,
        BERTH_LISTEN: `127.0.0.1:${port}`,
        BERTH_PODMAN_SOCKET: podmanSocket,
        BERTH_INSTANCE_ID: instanceId,
        BERTH_ADMIN_PASSWORD: adminPassword,
        BERTH_RECONCILE_INTERVAL_MS: '250',
        BERTH_LOG_LEVEL: 'warn',
        BERTH_GATEWAY_LISTEN: 'off',
        // npm start's monitoring stack listens on fixed ports, and kill -9 would leave it running
        BERTH_MONITORING: 'off',
        BERTH_GATEWAY_METRICS_LISTEN: 'off',
      },
    });
    await eventually(
      async () => (await fetch(`http://127.0.0.1:${port}/api/health`)).ok,
      'server health',
      30_000,
      100,
    );
  }

  function kill9(): Promise<void> {
    const c = child!;
    child = null;
    return new Promise((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  }

  before(async () => {
    port = await freePort();
    await startServer();
    api = await TestApi.login(`http://127.0.0.1:${port}`, 'admin', adminPassword);
  });
  after(async () => {
    if (child) await kill9();
    await removeInstanceContainers(engine, instanceId);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`converges to the wanted release and replicas with no orphans in each of ${trials} trials`, async () => {
    const base = await makeProject(api, 'crash');
    const created = await api.post(base, { name: 'svc', spec: webSpec('v0') });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    for (let trial = 1; trial <= trials; trial += 1) {
      const replicas = trial % 2 === 0 ? 2 : 3;
      const up = await api.put<{ service: Obj }>(`${base}/svc`, { spec: webSpec(`v${trial}`, replicas) });
      assert.equal(up.status, 202, JSON.stringify(up.body));
      const wanted = up.body.service.release as number;
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 2500)));
      await kill9();
      await startServer();
      const svc = await eventually(
        async () => {
          const r = await api.get(`${base}/svc`);
          return r.body.status === 'healthy' && r.body.release === wanted && r.body.readyReplicas === replicas
            ? r.body
            : null;
        },
        `trial ${trial}: healthy at release ${wanted}`,
        90_000,
      );
      assert.equal(svc.release, wanted);
      // Old containers may still be draining for a moment; then exactly the wanted ones remain.
      await eventually(
        async () => {
          const live = await engine.listContainers({ 'berth.instance': instanceId });
          return (
            live.length === replicas &&
            live.every((c) => c.labels['berth.release'] === String(wanted) && c.state === 'running')
          );
        },
        `trial ${trial}: exactly ${replicas} containers of release ${wanted} in Podman`,
        60_000,
      );
      const ledger = await api.get<{ items: Obj[] }>(`${base}/svc/containers`);
      const live = await engine.listContainers({ 'berth.instance': instanceId });
      assert.deepEqual(
        ledger.body.items.map((c) => c.name).sort(),
        live.map((c) => c.name).sort(),
        `trial ${trial}: ledger matches the engine`,
      );
    }
  });
});
