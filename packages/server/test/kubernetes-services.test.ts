/**
 * A service on a Kubernetes cluster, end to end through Berth's API (issue 14, ADR 0007): Berth
 * applies a Deployment, the test API server's controllers roll it out to pods that really answer
 * on loopback, and Berth follows — the rollout task, the containers mirrored from the pod watch,
 * the endpoints the gateways read, logs, destroy, a new release, scale, the manifests view and
 * deletion. The API server is the test one (docs/kubernetes-testing.md: none can run here).
 */
import https from 'node:https';
import { WebSocket } from 'ws';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { namespaceName } from '@berth/engine-kubernetes';
import { startFakeApiServer, type FakeApiServer } from '@berth/engine-kubernetes/testing';
import { eventually, makeProject, testImage, userWithRole, waitTask } from './helpers/platform';
import { startGatewayPlatform, type GatewayPlatform } from './helpers/gateway-platform';
import { viaGateway } from './helpers/gateway-load';

type Obj = Record<string, unknown>;
interface Container {
  name: string;
  cluster: string;
  release: number;
  state: string;
  ready: boolean;
}

/** The test API server's pods listen on loopback ports it writes in an annotation (its top comment). */
const podAddress = (pod: { metadata: { annotations?: Record<string, string> } }, port: number) => {
  const host = pod.metadata.annotations?.[`fake.berth.dev/port-${port}`];
  return host ? `127.0.0.1:${host}` : null;
};

/** The service's spec: a greeting and a secret token (null keeps the stored secret). */
const spec = (greeting: string, token: string | null) => ({
  image: testImage,
  ports: [{ containerPort: 8080 }],
  replicas: 2,
  placement: { clusters: [{ name: 'k1', weight: 1 }], division: 'weighted' },
  env: [
    { name: 'GREETING', value: greeting },
    { name: 'TOKEN', value: token, secret: true },
  ],
});

describe('a service on a Kubernetes cluster (test API server)', () => {
  let fake: FakeApiServer;
  let p: GatewayPlatform;
  let base: string;
  const ns = namespaceName('kube', 'test');

  /** An object as the API server holds it (null when it does not exist); `method` DELETE deletes it. */
  const object = (path: string, method = 'GET') =>
    new Promise<Obj | null>((resolve, reject) => {
      const req = https.request(
        `${fake.url}${path}`,
        { method, headers: { Authorization: `Bearer ${fake.token}` }, rejectUnauthorized: false },
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
  const deployment = () => object(`/apis/apps/v1/namespaces/${ns}/deployments/web`);
  const containers = async () =>
    (await p.api.get<{ items: Container[] }>(`${base}/web/containers`)).body.items;
  /** The ready containers of `release`, once there are exactly `n` and nothing else runs. */
  const readyOf = (release: number, n: number) =>
    eventually(async () => {
      const all = await containers();
      const mine = all.filter((c) => c.release === release && c.state === 'ready');
      return mine.length === n && all.length === n ? mine : null;
    }, `${n} ready pods of release ${release} and nothing else`);

  before(async () => {
    fake = await startFakeApiServer({ bookmarkIntervalMs: 200 });
    p = await startGatewayPlatform({ BERTH_CLUSTER_CHECK_SECONDS: '1' }, 'sqlite', {
      kubernetes: { podAddress },
    });
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
    base = await makeProject(p.api, 'kube');
  });
  after(async () => {
    await p?.close();
    await fake?.close();
  });

  it('rolls a new service out as a Deployment and follows its pods into containers and endpoints', async () => {
    const r = await p.api.post<{ task: Obj }>(base, { name: 'web', spec: spec('hello', 's3cret-value') });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const task = await waitTask(p.api, r.body.task.id as string);
    assert.equal(task.state, 'succeeded', JSON.stringify(task));
    const d = (await deployment()) as { spec: { replicas: number; template: { metadata: { labels: Obj } } } };
    assert.equal(d.spec.replicas, 2);
    assert.equal(d.spec.template.metadata.labels['berth.release'], '1');
    const pods = await readyOf(1, 2);
    assert.ok(pods.every((c) => c.cluster === 'k1'));
    // the gateways' list: both pods, and each answers there with its own name
    const eps = await p.api.get<{ items: { container: string; address: string }[] }>(`${base}/web/endpoints`);
    assert.equal(eps.body.items.length, 2);
    for (const e of eps.body.items) {
      const text = await (await fetch(`http://${e.address}/`)).text();
      assert.match(text, new RegExp(e.container));
    }
    // and through the gateway's Nginx at the service's own host: both pods take requests
    const answered = new Set<string>();
    await eventually(async () => {
      const res = await viaGateway(p.listen, 'web.kube.test.localhost').catch(() => null);
      if (res?.status === 200) answered.add(res.body.trim());
      return answered.size === 2 ? true : null;
    }, 'both pods answer through the gateway');
    assert.deepEqual([...answered].sort(), eps.body.items.map((e) => e.container).sort());
    const svc = await p.api.get<{ status: string; readyReplicas: number }>(`${base}/web`);
    assert.equal(svc.body.status, 'healthy');
    assert.equal(svc.body.readyReplicas, 2);
  });

  it('says that the cluster has no stats to sample (no metrics.k8s.io), rather than showing none', async () => {
    const stats = await p.api.get<{ items: unknown[]; unavailable: { cluster: string; message: string }[] }>(
      `${base}/web/stats?since=10m`,
    );
    assert.equal(stats.status, 200, JSON.stringify(stats.body));
    assert.deepEqual(
      stats.body.unavailable.map((u) => u.cluster),
      ['k1'],
    );
    assert.match(stats.body.unavailable[0]!.message, /metrics\.k8s\.io.*metrics-server/);
    assert.equal(stats.body.items.length, 0);
  });

  it('shows the manifests it applies, secrets redacted, and only to the project', async () => {
    const m = await p.api.get<{ namespace: string; yaml: string; objects: { kind: string }[] }>(
      `${base}/web/manifests?cluster=k1`,
    );
    assert.equal(m.status, 200, JSON.stringify(m.body));
    assert.equal(m.body.namespace, ns);
    const kinds = m.body.objects.map((o) => o.kind);
    for (const k of ['Namespace', 'NetworkPolicy', 'Secret', 'Deployment', 'Service'])
      assert.ok(kinds.includes(k), k);
    assert.ok(!m.body.yaml.includes('s3cret-value'), 'the secret value is never shown');
    assert.ok(!m.body.yaml.includes(Buffer.from('s3cret-value').toString('base64')));
    assert.match(m.body.yaml, /kind: Deployment/);
    const yaml = await p.api.get<string>(`${base}/web/manifests?cluster=k1&format=yaml`);
    assert.equal(yaml.status, 200);
    assert.match(yaml.headers.get('content-type') ?? '', /yaml/);
    assert.match(yaml.body, /^---\napiVersion: v1\nkind: Namespace/);
    const podman = await p.api.get<{ error: { message: string } }>(`${base}/web/manifests?cluster=local`);
    assert.equal(podman.status, 400);
    assert.match(podman.body.error.message, /podman cluster/);
    // a developer of another project cannot read them
    await makeProject(p.api, 'other');
    const outsider = await userWithRole(p, 'outsider', 'developer', 'other');
    const refused = await outsider.get(`${base}/web/manifests?cluster=k1`);
    assert.ok([403, 404].includes(refused.status), String(refused.status));
  });

  it('rolls a new release through Kubernetes: pods of release 2 replace release 1, which stays in the history', async () => {
    const before = (await containers()).map((c) => c.name);
    const u = await p.api.put<{ task: Obj }>(`${base}/web`, { spec: spec('hello again', null) });
    assert.equal(u.status, 202, JSON.stringify(u.body));
    assert.equal((await waitTask(p.api, u.body.task.id as string)).state, 'succeeded');
    const now = await readyOf(2, 2);
    assert.ok(
      now.every((c) => !before.includes(c.name)),
      'new pods',
    );
    const history = await p.api.get<{ items: { name: string; exitReason: string | null }[] }>(
      `${base}/web/containers/history`,
    );
    for (const name of before)
      assert.ok(
        history.body.items.some((h) => h.name === name),
        `pod ${name} of release 1 is in the history`,
      );
  });

  it('scales, destroys one pod (Kubernetes replaces it) and reads a pod’s logs', async () => {
    const s = await p.api.post<{ task: Obj }>(`${base}/web/scale`, { replicas: 3 });
    assert.equal(s.status, 202, JSON.stringify(s.body));
    assert.equal((await waitTask(p.api, s.body.task.id as string)).state, 'succeeded');
    assert.equal(((await deployment()) as { spec: { replicas: number } }).spec.replicas, 3);
    const three = await readyOf(2, 3);
    const victim = three[0]!.name;
    const d = await p.api.post(`${base}/web/containers/${victim}/destroy`, {});
    assert.equal(d.status, 202, JSON.stringify(d.body));
    const after = await eventually(async () => {
      const all = await containers();
      const ready = all.filter((c) => c.state === 'ready');
      return !all.some((c) => c.name === victim) && ready.length === 3 ? ready : null;
    }, 'the destroyed pod replaced');
    assert.ok(after.every((c) => c.name !== victim));
    const pod = after[0]!.name;
    fake.appendPodLog(ns, pod, 'a line the pod wrote');
    const logs = await eventually(async () => {
      const l = await p.api.get<{ items: { text: string }[] }>(`${base}/web/containers/${pod}/logs?tail=10`);
      return l.body.items?.some((x) => x.text.includes('a line the pod wrote')) ? l.body.items : null;
    }, 'the pod’s log line');
    assert.ok(logs.length >= 1);
  });

  it('opens a web shell in a pod over pods/exec, recorded as a shell session', async () => {
    const [pod] = await readyOf(2, 3);
    const url =
      `${p.url.replace('http', 'ws')}${base}/web/containers/${pod!.name}/shell` +
      `?cmd=echo&cmd=hello-from-the-pod&tty=false`;
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${p.api.token}` } });
    let output = '';
    let exit: unknown = null;
    ws.on('message', (data: Buffer, binary) => {
      if (binary) output += data.toString();
      else {
        const m = JSON.parse(data.toString()) as { type: string; code?: number };
        if (m.type === 'exit') exit = m.code;
      }
    });
    const closed = await new Promise<number>((resolve, reject) => {
      ws.once('close', resolve);
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`shell answered ${res.statusCode}`)));
    });
    assert.ok(closed > 0);
    assert.match(output, /hello-from-the-pod/);
    assert.equal(exit, 0);
    const sessions = await p.api.get<{ items: { container: string }[] }>('/api/v1/shell-sessions');
    assert.ok(
      sessions.body.items.some((s) => s.container === pod!.name),
      'the session is recorded',
    );
  });

  it('rolls a release that never gets ready back to the stable one past its progress deadline', async () => {
    // pods of release 3 never pass their readiness probe
    fake.setReadinessPolicy((pod) => {
      const labels = ((pod.metadata as Obj | undefined)?.labels ?? {}) as Record<string, string>;
      return labels['berth.release'] !== '3';
    });
    try {
      const bad = {
        ...spec('broken', null),
        replicas: 3,
        rollout: { maxSurge: 1, maxUnavailable: 0, progressDeadlineSeconds: 5 },
      };
      const u = await p.api.put<{ task: Obj }>(`${base}/web`, { spec: bad });
      assert.equal(u.status, 202, JSON.stringify(u.body));
      const task = await waitTask(p.api, u.body.task.id as string);
      assert.equal(task.state, 'failed');
      assert.match(String(task.error), /rolled back to release 2/);
      await eventually(async () => {
        const d = (await deployment()) as { spec: { template: { metadata: { labels: Obj } } } };
        return d.spec.template.metadata.labels['berth.release'] === '2';
      }, 'the Deployment back on release 2');
      const pods = await readyOf(2, 3);
      assert.equal(pods.length, 3);
      const svc = await p.api.get<{ release: number; status: string }>(`${base}/web`);
      assert.equal(svc.body.release, 2);
    } finally {
      fake.setReadinessPolicy('immediate');
    }
  });

  it('applies the Deployment again when someone deletes it behind Berth’s back', async () => {
    const uid = ((await deployment()) as { metadata: { uid: string } }).metadata.uid;
    assert.ok(await object(`/apis/apps/v1/namespaces/${ns}/deployments/web`, 'DELETE'));
    const back = await eventually(async () => {
      const d = (await deployment()) as { metadata: { uid: string }; spec: { replicas: number } } | null;
      return d && d.metadata.uid !== uid ? d : null;
    }, 'the Deployment applied again');
    assert.equal(back.spec.replicas, 3);
    await readyOf(2, 3);
  });

  it('refuses at admission what Kubernetes cannot run: a user name, a config refreshed by signal (400 at the field, nothing created)', async () => {
    const named = await p.api.post<{ error: { message: string; details: { fields: { path: string }[] } } }>(
      base,
      { name: 'named', spec: { ...spec('x', 'y'), user: 'app' } },
    );
    assert.equal(named.status, 400, JSON.stringify(named.body));
    assert.equal(named.body.error.details.fields[0]!.path, 'spec.user');
    assert.match(named.body.error.message, /Kubernetes cluster k1.*uid such as "1000"/);
    const mounted = await p.api.post<{ error: { details: { fields: { path: string }[] } } }>(base, {
      name: 'mounted',
      spec: { ...spec('x', 'y'), mounts: [{ config: 'app', path: '/etc/app', refresh: 'signal' }] },
    });
    assert.equal(mounted.status, 400, JSON.stringify(mounted.body));
    assert.equal(mounted.body.error.details.fields[0]!.path, 'spec.mounts.0.refresh');
    for (const name of ['named', 'mounted']) assert.equal((await p.api.get(`${base}/${name}`)).status, 404);
  });

  it('deletes the service: its Deployment and Service are gone from the cluster', async () => {
    const del = await p.api.delete<{ task: Obj }>(`${base}/web`);
    assert.equal(del.status, 202, JSON.stringify(del.body));
    assert.equal((await waitTask(p.api, del.body.task.id as string)).state, 'succeeded');
    await eventually(async () => (await deployment()) === null, 'the Deployment deleted');
    assert.equal(await object(`/api/v1/namespaces/${ns}/services/web`), null);
    assert.equal((await p.api.get(`${base}/web`)).status, 404);
  });
});
