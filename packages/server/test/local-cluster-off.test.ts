/**
 * Berth without its built-in cluster `local` (BERTH_LOCAL_CLUSTER=off, what `berth install
 * manifests` sets: a pod has no Podman). The environments name no cluster until one is attached,
 * a deploy there says how to attach one, services run on a registered Kubernetes cluster (the
 * test API server), and what needs this host's Podman (builds, `localhost/` images) answers 409
 * saying why. The process itself starts and answers its health check with no Podman socket.
 */
import https from 'node:https';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { namespaceName } from '@berth/engine-kubernetes';
import { startFakeApiServer, type FakeApiServer } from '@berth/engine-kubernetes/testing';
import { PlacementPlanner } from '../src/modules/placement/placement-plan';
import type { ClusterCatalog } from '../src/modules/placement/cluster-catalog';
import { freePort } from './helpers/net';
import {
  adminPassword,
  eventually,
  makeProject,
  startPlatform,
  TestApi,
  testImage,
  waitTask,
  type TestPlatform,
} from './helpers/platform';

type Obj = Record<string, unknown>;
const root = path.resolve(import.meta.dirname, '../../..');

/** The test API server's pods listen on loopback ports it writes in an annotation. */
const podAddress = (pod: { metadata: { annotations?: Record<string, string> } }, port: number) => {
  const host = pod.metadata.annotations?.[`fake.berth.dev/port-${port}`];
  return host ? `127.0.0.1:${host}` : null;
};

/** An image of a registry (admins may name any); the test API server's pods run it as a web server. */
const registryImage = 'registry.example.net/shop/web:1';

describe('BERTH_LOCAL_CLUSTER=off: Berth on registered clusters only', () => {
  let fake: FakeApiServer;
  let p: TestPlatform;
  let base: string;

  /** An object as the test API server holds it, null when it does not exist. */
  const object = (urlPath: string) =>
    new Promise<Obj | null>((resolve, reject) => {
      const req = https.request(
        `${fake.url}${urlPath}`,
        { headers: { Authorization: `Bearer ${fake.token}` }, rejectUnauthorized: false },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve(res.statusCode === 404 ? null : (JSON.parse(body) as Obj)));
        },
      );
      req.on('error', reject);
      req.end();
    });

  before(async () => {
    fake = await startFakeApiServer({ bookmarkIntervalMs: 200 });
    p = await startPlatform(
      { BERTH_LOCAL_CLUSTER: 'off', BERTH_CLUSTER_CHECK_SECONDS: '1', BERTH_GATEWAY_LISTEN: 'off' },
      { build: { kubernetes: { podAddress } } },
    );
    base = await makeProject(p.api, 'nolocal');
  });
  after(async () => {
    await p?.close();
    await fake?.close();
  });

  it('lists no cluster local, and the environments name none', async () => {
    const clusters = await p.api.get<{ items: { name: string }[] }>('/api/v1/clusters');
    assert.equal(clusters.status, 200);
    assert.deepEqual(clusters.body.items, []);
    const env = await p.api.get<{ clusters: string[] }>('/api/v1/envs/test');
    assert.equal(env.status, 200, JSON.stringify(env.body));
    assert.deepEqual(env.body.clusters, []);
    // local cannot be attached: it is not registered
    const attach = await p.api.call('PATCH', '/api/v1/envs/test', { clusters: ['local'] });
    assert.ok(attach.status === 400 || attach.status === 422, JSON.stringify(attach.body));
  });

  it('refuses a deploy to an environment without clusters, saying to register one and attach it', async () => {
    const r = await p.api.post<{ error: { message: string } }>(base, {
      name: 'early',
      spec: { image: registryImage, ports: [{ containerPort: 8080 }] },
    });
    assert.equal(r.status, 409, JSON.stringify(r.body));
    assert.match(r.body.error.message, /Environment 'test' has no clusters/);
    assert.match(r.body.error.message, /BERTH_LOCAL_CLUSTER=off/);
    assert.match(r.body.error.message, /berth clusters create/);
    assert.match(r.body.error.message, /berth envs set-clusters test NAME/);
    const list = await p.api.get<{ items: unknown[] }>(base);
    assert.equal(list.body.items.length, 0, 'nothing was created');
  });

  it('deploys a service without a placement to the kubernetes cluster the environment names', async () => {
    const c = await p.api.post('/api/v1/clusters', {
      name: 'k1',
      kind: 'kubernetes',
      endpoint: fake.url,
      credentials: { kubeconfig: fake.kubeconfig },
      exposure: 'pod-ip',
    });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    const env = await p.api.call('PATCH', '/api/v1/envs/test', { clusters: ['k1'] });
    assert.equal(env.status, 200, JSON.stringify(env.body));
    const clusters = await p.api.get<{ items: { name: string }[] }>('/api/v1/clusters');
    assert.deepEqual(
      clusters.body.items.map((i) => i.name),
      ['k1'],
    );

    const r = await p.api.post<{ task: Obj }>(base, {
      name: 'web',
      spec: { image: registryImage, ports: [{ containerPort: 8080 }], replicas: 2 },
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const task = await waitTask(p.api, r.body.task.id as string);
    assert.equal(task.state, 'succeeded', JSON.stringify(task));
    const d = (await object(
      `/apis/apps/v1/namespaces/${namespaceName('nolocal', 'test')}/deployments/web`,
    )) as { spec: { replicas: number; template: { spec: { containers: { image: string }[] } } } } | null;
    assert.ok(d, 'the Deployment is in the test API server');
    assert.equal(d.spec.replicas, 2);
    assert.equal(d.spec.template.spec.containers[0]!.image, registryImage);
    const containers = await eventually(async () => {
      const items = (
        await p.api.get<{ items: { cluster: string; state: string }[] }>(`${base}/web/containers`)
      ).body.items;
      return items.filter((i) => i.state === 'ready').length === 2 ? items : null;
    }, 'two ready pods');
    assert.ok(containers.every((i) => i.cluster === 'k1'));
  });

  it("refuses an image of this host's Podman store with 409, saying local is off", async () => {
    const r = await p.api.post<{ error: { message: string } }>(base, {
      name: 'localimage',
      spec: { image: testImage, ports: [{ containerPort: 8080 }] },
    });
    assert.equal(r.status, 409, JSON.stringify(r.body));
    assert.match(r.body.error.message, /localhost\/berth-busybox:1/);
    assert.match(r.body.error.message, /built-in cluster 'local' is off \(BERTH_LOCAL_CLUSTER=off\)/);
  });

  it('refuses a build with 409, saying builds need a Podman of its own, and queues nothing', async () => {
    const pipe = await p.api.post('/api/v1/projects/nolocal/pipelines', {
      name: 'site',
      target: { env: 'test', service: 'web' },
      repo: { url: 'https://git.example.net/shop/site.git', ref: 'main' },
      template: 'static',
    });
    assert.equal(pipe.status, 201, JSON.stringify(pipe.body));
    const b = await p.api.post<{ error: { message: string } }>(
      '/api/v1/projects/nolocal/pipelines/site/builds',
      {},
    );
    assert.equal(b.status, 409, JSON.stringify(b.body));
    assert.match(b.body.error.message, /Pipeline 'site' cannot build: The built-in cluster 'local' is off/);
    assert.match(b.body.error.message, /push images to a registry/);
    const builds = await p.api.get<{ items: unknown[] }>('/api/v1/projects/nolocal/pipelines/site/builds');
    assert.equal(builds.body.items.length, 0);
  });
});

describe('placement without local', () => {
  const catalog = (envs: Record<string, string[]>): ClusterCatalog => ({
    forEnv: (env) =>
      Promise.resolve(
        envs[env]?.map((name) => ({ name, cordoned: false, healthy: true, freeMemoryBytes: null })) ?? null,
      ),
    names: () => Promise.resolve([...new Set(Object.values(envs).flat())]),
  });

  it('divides a service without a placement over every cluster of the environment', async () => {
    const planner = new PlacementPlanner(catalog({ test: ['k1', 'k2'] }), false);
    const plan = await planner.plan({ env: 'test', replicas: 4 });
    assert.deepEqual(plan.placement, { clusters: 'all', division: 'weighted' });
    assert.deepEqual(
      plan.items.map((i) => [i.cluster, i.replicas]),
      [
        ['k1', 2],
        ['k2', 2],
      ],
    );
    await planner.admit('test', undefined);
  });

  it('refuses a service in an environment without clusters (409), with or without a placement', async () => {
    const planner = new PlacementPlanner(catalog({ test: [] }), false);
    for (const placement of [undefined, { clusters: 'all' as const, division: 'weighted' as const }])
      await assert.rejects(planner.admit('test', placement), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'CONFLICT');
        assert.match(err.message, /Environment 'test' has no clusters/);
        return true;
      });
    // with local (the default) nothing changes: no placement is admitted without a look
    await new PlacementPlanner(catalog({ test: [] })).admit('test', undefined);
  });
});

describe('main.ts with BERTH_LOCAL_CLUSTER=off', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-nolocal-'));
  let child: ChildProcess | null = null;

  after(async () => {
    const c = child;
    if (c && c.exitCode === null)
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGKILL');
      });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts and answers its health check with no Podman socket anywhere', async () => {
    const port = await freePort();
    const logFile = path.join(dataDir, 'server.log');
    const log = openSync(logFile, 'a');
    const proc = spawn(process.execPath, ['--import', 'tsx', 'packages/server/src/main.ts'], {
      cwd: root,
      stdio: ['ignore', log, log],
      env: {
        ...process.env,
        BERTH_DATA_DIR: dataDir,
        BERTH_LISTEN: `127.0.0.1:${port}`,
        BERTH_ADMIN_PASSWORD: adminPassword,
        BERTH_LOCAL_CLUSTER: 'off',
        // a socket where nothing listens: with local off it is never opened
        BERTH_PODMAN_SOCKET: path.join(dataDir, 'no-podman.sock'),
        BERTH_LOG_LEVEL: 'warn',
        BERTH_GATEWAY_LISTEN: 'off',
        BERTH_REGISTRY_LISTEN: 'off',
        BERTH_MONITORING: 'off',
        BERTH_GATEWAY_METRICS_LISTEN: 'off',
      },
    });
    child = proc;
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const url = `http://127.0.0.1:${port}`;
    const healthy = eventually(
      async () => (await fetch(`${url}/api/health`)).ok,
      'server health',
      60_000,
      200,
    );
    // a process that exits (e.g. refusing to start without Podman) fails at once, with its log
    const outcome = await Promise.race([healthy.then(() => 'healthy'), exited.then((c) => `exited ${c}`)]);
    assert.equal(outcome, 'healthy', readFileSync(logFile, 'utf8'));
    assert.match(readFileSync(logFile, 'utf8'), /Podman: off \(BERTH_LOCAL_CLUSTER=off/);
    const api = await TestApi.login(url, 'admin', adminPassword);
    const clusters = await api.get<{ items: unknown[] }>('/api/v1/clusters');
    assert.deepEqual(clusters.body.items, []);
    proc.kill('SIGTERM');
    assert.equal(await exited, 0, 'SIGTERM shuts it down cleanly');
    child = null;
  });
});
