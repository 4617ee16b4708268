/**
 * Debug containers, container files and file logs of a service on a Kubernetes cluster, through
 * Berth's API against the test API server (docs/kubernetes.md, docs/debug.md, docs/file-logs.md):
 * a debug session is an ephemeral container of the target's pod aimed at its app container with a
 * restricted security context, its one shell runs over pods/exec and is recorded, it ends by
 * killing its process; root is refused on the restricted namespace; the file browser lists and
 * reads a pod's files and the collector copies its log files — both through `tar` in the
 * container (the test server runs the host's tar over a directory standing for the pod's root).
 */
import https from 'node:https';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { namespaceName } from '@berth/engine-kubernetes';
import {
  defaultExecHandler,
  podFilesHandler,
  startFakeApiServer,
  type FakeApiServer,
} from '@berth/engine-kubernetes/testing';
import {
  eventually,
  makeProject,
  startPlatform,
  testImage,
  waitTask,
  type TestPlatform,
} from './helpers/platform';

type Obj = Record<string, unknown>;

const podAddress = (pod: { metadata: { annotations?: Record<string, string> } }, port: number) => {
  const host = pod.metadata.annotations?.[`fake.berth.dev/port-${port}`];
  return host ? `127.0.0.1:${host}` : null;
};

/** Opens a shell URL and lets it run to its end: the output and the exit code. */
function runShell(
  url: string,
  token: string,
  cmd: string[],
): Promise<{ output: string; exit: number | null }> {
  const q = new URLSearchParams({ tty: 'false' });
  for (const c of cmd) q.append('cmd', c);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}?${q.toString()}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    let output = '';
    let exit: number | null = null;
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) output += data.toString();
      else {
        const m = JSON.parse(data.toString()) as { type: string; code?: number };
        if (m.type === 'exit') exit = m.code ?? null;
      }
    });
    ws.once('close', () => resolve({ output, exit }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`shell answered ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

describe('debug containers and container files on a Kubernetes cluster (test API server)', () => {
  let fake: FakeApiServer;
  let p: TestPlatform;
  let base: string;
  let container: string;
  const ns = namespaceName('kdebug', 'test');
  const root = mkdtempSync(path.join(os.tmpdir(), 'berth-kdebug-'));
  const toolbox = 'registry.example:5000/berth/toolbox:1';

  /** A pod as the API server holds it. */
  const pod = (name: string) =>
    new Promise<Obj>((resolve, reject) => {
      const req = https.request(
        `${fake.url}/api/v1/namespaces/${ns}/pods/${name}`,
        { headers: { Authorization: `Bearer ${fake.token}` }, rejectUnauthorized: false },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve(JSON.parse(text) as Obj));
        },
      );
      req.on('error', reject);
      req.end();
    });

  before(async () => {
    mkdirSync(path.join(root, 'var/log/app'), { recursive: true });
    writeFileSync(path.join(root, 'var/log/app/app.log'), 'started\n');
    writeFileSync(path.join(root, 'var/log/app/blob.bin'), Buffer.from([0, 159, 146, 150]));
    fake = await startFakeApiServer({ bookmarkIntervalMs: 200 });
    // the pods of service "web" have files (and tar); exec in any other runs the default handler
    fake.setExecHandler(
      podFilesHandler((_ns, name) => (name.startsWith('web-') ? root : undefined), defaultExecHandler),
    );
    p = await startPlatform(
      { BERTH_CLUSTER_CHECK_SECONDS: '1', BERTH_DEBUG_TOOLBOX_IMAGE: toolbox },
      { build: { kubernetes: { podAddress } } },
    );
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
    base = `${await makeProject(p.api, 'kdebug')}/web`;
    const r = await p.api.post<{ task: Obj }>(path.posix.dirname(base), {
      name: 'web',
      spec: {
        image: testImage,
        ports: [{ containerPort: 8080 }],
        replicas: 1,
        placement: { clusters: [{ name: 'k1', weight: 1 }], division: 'weighted' },
        user: '1000',
        logFiles: { paths: ['/var/log/app/*.log'] },
      },
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const task = await waitTask(p.api, r.body.task.id as string);
    assert.equal(task.state, 'succeeded', JSON.stringify(task));
    container = await eventually(async () => {
      const l = await p.api.get<{ items: { name: string; state: string }[] }>(`${base}/containers`);
      return l.body.items.find((x) => x.state === 'ready')?.name;
    }, 'a ready pod');
  });
  after(async () => {
    await p?.close();
    await fake?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('a debug session is a restricted ephemeral container aimed at the app; its shell is recorded and ends it', async () => {
    const res = await p.api.post<Obj>(`${base}/containers/${container}/debug`, {});
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const d = res.body;
    assert.equal(d.image, toolbox, 'the configured toolbox: Kubernetes builds nothing');
    const spec = (await pod(container)).spec as { ephemeralContainers: Obj[] };
    assert.equal(spec.ephemeralContainers.length, 1);
    const ec = spec.ephemeralContainers[0]!;
    assert.equal(ec.targetContainerName, 'app');
    assert.deepEqual(d.ephemeral, { pod: container, container: ec.name }, 'named as Kubernetes shows it');
    assert.equal(ec.image, toolbox);
    const sc = ec.securityContext as Obj;
    assert.equal(sc.runAsUser, 1000, "the target's user");
    assert.deepEqual(
      [sc.runAsNonRoot, sc.allowPrivilegeEscalation, sc.capabilities, sc.seccompProfile],
      [true, false, { drop: ['ALL'] }, { type: 'RuntimeDefault' }],
    );

    const run = await runShell(p.url + (d.shellPath as string), p.api.token!, [
      'echo',
      'from-the-debug-container',
    ]);
    assert.equal(run.exit, 0, run.output);
    assert.match(run.output, /from-the-debug-container/);
    const ended = await eventually(async () => {
      const s = await p.api.get<Obj>(`${base}/containers/${container}/debug/${d.id as string}`);
      return s.body.endedAt ? s.body : null;
    }, 'the session ended');
    assert.equal(ended.endReason, 'shell-exited');
    const rec = await p.api.get<Obj>(`/api/v1/shell-sessions/${ended.shellSession as string}`);
    assert.equal(rec.status, 200);
    assert.match(JSON.stringify(rec.body), /from-the-debug-container/, 'the recording holds the output');
    const status = await eventually(async () => {
      const s = ((await pod(container)).status as { ephemeralContainerStatuses?: Obj[] })
        .ephemeralContainerStatuses;
      return (s?.[0]?.state as { terminated?: Obj } | undefined)?.terminated;
    }, 'the ephemeral container ended');
    assert.equal(status.exitCode, 143, 'its process was killed: Kubernetes cannot remove it');
    const list = await p.api.get<{ items: Obj[] }>(`${base}/containers`);
    assert.deepEqual(
      list.body.items.map((c) => c.name),
      [container],
      'never a replica',
    );
  });

  it('a root debug container is refused on the restricted namespace, at user', async () => {
    const res = await p.api.post<{ error: { message: string; details: { fields: { path: string }[] } } }>(
      `${base}/containers/${container}/debug`,
      { user: 'root' },
    );
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.match(res.body.error.message, /Pod Security "restricted"/);
    assert.equal(res.body.error.details.fields[0]?.path, 'user');
    const all = await p.api.get<{ items: Obj[] }>(`${base}/containers/${container}/debug?all=true`);
    assert.ok(
      all.body.items.some((s) => s.endReason === 'failed'),
      'the refused session is recorded as failed',
    );
  });

  it('the file browser lists and reads a pod’s files; bad paths and binary files answer as on Podman', async () => {
    const files = `${base}/containers/${container}/files`;
    const dir = await p.api.get<{ items: { name: string; type: string }[] }>(`${files}?path=/var/log/app`);
    assert.equal(dir.status, 200, JSON.stringify(dir.body));
    assert.deepEqual(
      dir.body.items.map((i) => [i.name, i.type]),
      [
        ['app.log', 'file'],
        ['blob.bin', 'file'],
      ],
    );
    const text = await p.api.get<{ text: string }>(`${files}/content?path=/var/log/app/app.log`);
    assert.equal(text.status, 200, JSON.stringify(text.body));
    assert.match(text.body.text, /^started\n/);
    assert.equal((await p.api.get(`${files}/content?path=/var/log/app/blob.bin`)).status, 422);
    assert.equal((await p.api.get(`${files}?path=/var/log/nope`)).status, 404);
    const bad = await p.api.get<{ error: { details: { fields: { path: string }[] } } }>(
      `${files}?path=/var/../etc`,
    );
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details.fields[0]?.path, 'path');
  });

  it('collects the log files a service names from its pod', async () => {
    appendFileSync(path.join(root, 'var/log/app/app.log'), 'a line for the collector\n');
    const logs = `${base}/containers/${container}/collected-logs`;
    await eventually(async () => {
      const l = await p.api.get<{ items: { file: string }[] }>(logs);
      return l.body.items?.some((i) => i.file === 'var/log/app/app.log') ? l : null;
    }, 'the collected file');
    const copy = await eventually(async () => {
      const r = await fetch(`${p.url}${logs}/download?file=var/log/app/app.log`, {
        headers: { authorization: `Bearer ${p.api.token!}` },
      });
      const t = await r.text();
      return t.includes('a line for the collector') ? t : null;
    }, 'the appended line copied');
    assert.match(copy, /^started\na line for the collector\n/);
  });
});
