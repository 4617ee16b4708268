/**
 * Config files and volumes of a service on a Kubernetes cluster, and the cluster's core Events in
 * its events tab (issue 14, docs/kubernetes-objects.md, docs/kubernetes-engine.md), through
 * Berth's API against the test API server (docs/kubernetes-testing.md): a config version becomes a
 * ConfigMap and a volume a PersistentVolumeClaim, both mounted by the Deployment's pods; a new
 * config version rolls the Deployment; what Kubernetes cannot run is refused at admission; a
 * volume's claim goes with the volume. Core Events of the service's objects appear once each
 * (a repeat raises the count of one row), and never those of another namespace. A volume's data
 * is imported, exported and measured through a tools pod mounting its claim.
 */
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimName, namespaceName } from '@berth/engine-kubernetes';
import { claimDataHandler, startFakeApiServer, type FakeApiServer } from '@berth/engine-kubernetes/testing';
import {
  eventually,
  makeProject,
  startPlatform,
  testImage,
  userWithRole,
  waitTask,
  type TestPlatform,
} from './helpers/platform';

type Obj = Record<string, unknown>;
type Meta = { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
interface PodTemplate {
  metadata: Meta;
  spec: {
    volumes: { name: string; configMap?: { name: string }; persistentVolumeClaim?: { claimName: string } }[];
    containers: { volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[] }[];
  };
}
interface Deployment {
  metadata: Meta;
  spec: { template: PodTemplate };
}
interface ServiceEvent {
  id: string;
  type: string;
  severity: string;
  message: string;
  container: string | null;
  source: 'berth' | 'kubernetes';
  object?: string;
  count?: number;
}

/** The test API server's pods listen on loopback ports it writes in an annotation (its top comment). */
const podAddress = (pod: { metadata: { annotations?: Record<string, string> } }, port: number) => {
  const host = pod.metadata.annotations?.[`fake.berth.dev/port-${port}`];
  return host ? `127.0.0.1:${host}` : null;
};

const placement = { clusters: [{ name: 'k1', weight: 1 }], division: 'weighted' };
const spec = (mounts: Obj[]) => ({
  image: testImage,
  ports: [{ containerPort: 8080 }],
  replicas: 2,
  user: '1000',
  placement,
  mounts,
});
const mounts = [
  { config: 'app', path: '/etc/app' },
  { volume: 'data', path: '/data' },
];

describe('config files, volumes and core Events of a service on a Kubernetes cluster (test API server)', () => {
  let fake: FakeApiServer;
  let p: TestPlatform;
  let base: string;
  const project = '/api/v1/projects/mnt';
  const ns = namespaceName('mnt', 'test');
  const claims = claimDataHandler();

  /** A request to the API server: the object (null on 404), or throws on another failure. */
  const kube = (path: string, method = 'GET', body?: unknown, contentType = 'application/json') =>
    new Promise<Obj | null>((resolve, reject) => {
      const req = https.request(
        `${fake.url}${path}`,
        {
          method,
          headers: { Authorization: `Bearer ${fake.token}`, 'Content-Type': contentType },
          rejectUnauthorized: false,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            if (res.statusCode === 404) return resolve(null);
            if ((res.statusCode ?? 500) >= 300)
              return reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
            resolve(JSON.parse(text) as Obj);
          });
        },
      );
      req.on('error', reject);
      if (body !== undefined) req.write(JSON.stringify(body));
      req.end();
    });
  const list = async <T>(path: string, selector: string) =>
    ((await kube(`${path}?labelSelector=${encodeURIComponent(selector)}`)) as { items: T[] }).items;
  const deployment = async () =>
    (await kube(`/apis/apps/v1/namespaces/${ns}/deployments/web`)) as unknown as Deployment;
  const events = async (api = p.api, path = `${base}/web/events?limit=500`) =>
    (await api.get<{ items: ServiceEvent[] }>(path)).body.items;
  /** The ready pods of `release`, once there are exactly `n` and nothing else runs. */
  const readyOf = (release: number, n: number) =>
    eventually(async () => {
      const all = (
        await p.api.get<{ items: { name: string; release: number; state: string }[] }>(
          `${base}/web/containers`,
        )
      ).body.items;
      const mine = all.filter((c) => c.release === release && c.state === 'ready');
      return mine.length === n && all.length === n ? mine : null;
    }, `${n} ready pods of release ${release} and nothing else`);

  before(async () => {
    fake = await startFakeApiServer({ bookmarkIntervalMs: 200 });
    // what claims hold, for the volume's export, import and usage (claim-data.ts)
    fake.setExecHandler(claims.handler);
    p = await startPlatform({ BERTH_CLUSTER_CHECK_SECONDS: '1' }, { build: { kubernetes: { podAddress } } });
    const c = await p.api.post('/api/v1/clusters', {
      name: 'k1',
      kind: 'kubernetes',
      endpoint: fake.url,
      credentials: { kubeconfig: fake.kubeconfig },
      exposure: 'pod-ip',
    });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    const env = await p.api.call('PATCH', '/api/v1/envs/test', { clusters: ['local', 'k1'] });
    assert.equal(env.status, 200, JSON.stringify(env.body));
    base = await makeProject(p.api, 'mnt');
    const cls = await p.api.put('/api/v1/volume-classes/standard', { kind: 'local' });
    assert.ok([200, 201].includes(cls.status), JSON.stringify(cls.body));
    const cfg = await p.api.post(`${project}/configs`, {
      name: 'app',
      files: { 'app.conf': 'greeting=hello\n', 'conf.d/x.conf': 'x=1\n' },
    });
    assert.equal(cfg.status, 201, JSON.stringify(cfg.body));
  });
  after(async () => {
    await p?.close();
    await fake?.close();
  });

  it('a volume on a Kubernetes cluster is a claim there, its size the provisioner’s to enforce', async () => {
    const v = await p.api.post<{ cluster: string; sizeEnforced: boolean; sizeNote: string }>(
      `${project}/envs/test/volumes`,
      { name: 'data', class: 'standard', sizeMiB: 64, cluster: 'k1' },
    );
    assert.equal(v.status, 201, JSON.stringify(v.body));
    assert.equal(v.body.cluster, 'k1');
    assert.equal(v.body.sizeEnforced, false);
    assert.match(v.body.sizeNote, /PersistentVolumeClaim of 64 MiB/);
  });

  it('imports, exports and measures a volume on Kubernetes through a tools pod mounting its claim', async () => {
    const url = `${p.api.url}${project}/envs/test/volumes/data`;
    const auth = { Authorization: `Bearer ${p.api.token}` };
    const dir = mkdtempSync(join(tmpdir(), 'k2-kvol-'));
    let tar: Buffer;
    try {
      writeFileSync(
        join(dir, 'seed.bin'),
        Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 256)),
      );
      tar = execFileSync('tar', ['-C', dir, '-cf', '-', '.']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const imp = await fetch(`${url}/import`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/x-tar' },
      body: tar,
    });
    assert.equal(imp.status, 204, await imp.text());
    assert.ok(claims.data.get(`${ns}/${claimName('data')}`)?.equals(tar), 'the claim got the archive');
    const exp = await fetch(`${url}/export`, { headers: auth });
    assert.equal(exp.status, 200);
    assert.equal(exp.headers.get('content-type'), 'application/x-tar');
    assert.ok(Buffer.from(await exp.arrayBuffer()).equals(tar), 'the export is the imported archive');
    const bad = await fetch(`${url}/import`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/x-tar' },
      body: 'no archive here',
    });
    assert.equal(bad.status, 400, await bad.text());
    const v = await p.api.get<{ usageBytes: number | null }>(`${project}/envs/test/volumes/data`);
    assert.equal(v.body.usageBytes, Math.ceil(tar.length / 1024) * 1024);
    // every tools pod is gone
    await eventually(
      async () => (await list(`/api/v1/namespaces/${ns}/pods`, 'berth.one-off')).length === 0,
      'no tools pod left',
    );
  });

  it('deploys a service with a config and a volume: a ConfigMap and a claim with Berth’s labels, mounted by the pods', async () => {
    const r = await p.api.post<{ task: Obj }>(base, { name: 'web', spec: spec(mounts) });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const task = await waitTask(p.api, r.body.task.id as string);
    assert.equal(task.state, 'succeeded', JSON.stringify(task));
    await readyOf(1, 2);

    const maps = await list<{ metadata: Meta; data: Record<string, string> }>(
      `/api/v1/namespaces/${ns}/configmaps`,
      'berth.config=app',
    );
    assert.equal(maps.length, 1);
    const map = maps[0]!;
    assert.equal(map.metadata.labels?.['app.kubernetes.io/managed-by'], 'berth');
    assert.equal(map.metadata.labels?.['berth.project'], 'mnt');
    assert.equal(map.metadata.labels?.['berth.config-version'], '1');
    assert.equal(map.data['app.conf'], 'greeting=hello\n');
    assert.ok(Object.values(map.data).includes('x=1\n'), 'the nested file is a key of its own');

    const claims = await list<{ metadata: Meta; spec: Obj }>(
      `/api/v1/namespaces/${ns}/persistentvolumeclaims`,
      'berth.volume=data',
    );
    assert.equal(claims.length, 1);
    const claim = claims[0]!;
    assert.equal(claim.metadata.labels?.['app.kubernetes.io/managed-by'], 'berth');
    assert.deepEqual(claim.spec.accessModes, ['ReadWriteOnce']);
    assert.deepEqual(claim.spec.resources, { requests: { storage: '64Mi' } });

    const t = (await deployment()).spec.template;
    const volumes = new Map(t.spec.volumes.map((v) => [v.name, v]));
    const mountsOf = new Map((t.spec.containers[0]!.volumeMounts ?? []).map((m) => [m.mountPath, m]));
    const cfgMount = mountsOf.get('/etc/app');
    const dataMount = mountsOf.get('/data');
    assert.ok(cfgMount && dataMount, JSON.stringify(t.spec.containers[0]));
    assert.equal(cfgMount.readOnly, true);
    assert.equal(volumes.get(cfgMount.name)?.configMap?.name, map.metadata.name);
    assert.equal(volumes.get(dataMount.name)?.persistentVolumeClaim?.claimName, claim.metadata.name);
    assert.ok(t.metadata.annotations?.['berth.io/config-checksum']);

    // the manifests view shows them too
    const m = await p.api.get<{ objects: { kind: string; spec?: Obj }[] }>(
      `${base}/web/manifests?cluster=k1`,
    );
    assert.equal(m.status, 200, JSON.stringify(m.body));
    const kinds = m.body.objects.map((o) => o.kind);
    assert.ok(kinds.includes('ConfigMap'), kinds.join(','));
    const applied = m.body.objects.find((o) => o.kind === 'PersistentVolumeClaim');
    assert.ok(
      applied && !('storageClassName' in applied.spec!),
      'a local class: the cluster’s default StorageClass',
    );
  });

  it('a new config version rolls the Deployment out with a ConfigMap of that version', async () => {
    const before = (await deployment()).spec.template.metadata.annotations?.['berth.io/config-checksum'];
    const up = await p.api.put<{ refreshed: { service: string; refresh: string; task: string | null }[] }>(
      `${project}/configs/app`,
      { files: { 'app.conf': 'greeting=bonjour\n', 'conf.d/x.conf': 'x=1\n' } },
    );
    assert.equal(up.status, 200, JSON.stringify(up.body));
    const web = up.body.refreshed.find((r) => r.service === 'web');
    assert.equal(web?.refresh, 'rolling-restart');
    assert.equal((await waitTask(p.api, web.task!)).state, 'succeeded');
    const t = (await deployment()).spec.template;
    assert.equal(t.metadata.labels?.['berth.release'], '2');
    assert.notEqual(t.metadata.annotations?.['berth.io/config-checksum'], before);
    const v2 = await list<{ metadata: Meta; data: Record<string, string> }>(
      `/api/v1/namespaces/${ns}/configmaps`,
      'berth.config=app,berth.config-version=2',
    );
    assert.equal(v2.length, 1);
    assert.equal(v2[0]!.data['app.conf'], 'greeting=bonjour\n');
    assert.ok(t.spec.volumes.some((v) => v.configMap?.name === v2[0]!.metadata.name));
    await readyOf(2, 2);
  });

  it('refuses at the field what Kubernetes cannot run: a signal refresh, a volume on more than one cluster', async () => {
    const signal = await p.api.post<{ error: { message: string; details: { fields: { path: string }[] } } }>(
      base,
      { name: 'sig', spec: spec([{ config: 'app', path: '/etc/app', refresh: 'signal' }]) },
    );
    assert.equal(signal.status, 400, JSON.stringify(signal.body));
    assert.equal(signal.body.error.details.fields[0]!.path, 'spec.mounts.0.refresh');
    assert.match(signal.body.error.message, /Kubernetes cluster k1.*rolling-restart/);
    const spread = await p.api.post<{ error: { details: { fields: { path: string }[] } } }>(base, {
      name: 'spread',
      spec: {
        ...spec([{ volume: 'data', path: '/data' }]),
        placement: { clusters: [{ name: 'local' }, { name: 'k1' }] },
      },
    });
    assert.equal(spread.status, 400, JSON.stringify(spread.body));
    assert.equal(spread.body.error.details.fields[0]!.path, 'spec.placement');
    for (const name of ['sig', 'spread']) assert.equal((await p.api.get(`${base}/${name}`)).status, 404);
  });

  it('shows the cluster’s core Events of the service in its events, marked, once each, a repeat as a count', async () => {
    // what the controllers and the kubelet reported of the rollout
    const seen = await eventually(async () => {
      const all = (await events()).filter((e) => e.source === 'kubernetes');
      const objects = new Set(all.map((e) => e.object?.split('/')[0]));
      return objects.has('Deployment') && objects.has('ReplicaSet') && objects.has('Pod') ? all : null;
    }, 'core Events of the Deployment, its ReplicaSets and pods');
    assert.ok(seen.some((e) => e.type === 'ScalingReplicaSet' && e.object === 'Deployment/web'));
    const started = seen.find((e) => e.type === 'Started' && e.object?.startsWith('Pod/'));
    assert.ok(started?.container, 'a pod’s event names the pod as its container');
    assert.ok(
      (await events()).some((e) => e.source === 'berth' && e.type === 'WorkloadApplied'),
      'Berth’s own events stay, marked berth',
    );

    // a kubelet warning, then the same event happening twice more (Kubernetes raises its count)
    const pod = (await readyOf(2, 2))[0]!.name;
    const at = (s: number) => new Date(Date.now() + s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    const backOff = {
      metadata: { name: `${pod}.backoff1`, namespace: ns },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: pod, namespace: ns },
      reason: 'BackOff',
      message: 'Back-off restarting failed container app',
      type: 'Warning',
      count: 1,
      firstTimestamp: at(0),
      lastTimestamp: at(0),
      source: { component: 'kubelet' },
    };
    await kube(`/api/v1/namespaces/${ns}/events`, 'POST', backOff);
    // the same object name in another namespace is not this service's
    await kube('/api/v1/namespaces/default/events', 'POST', {
      ...backOff,
      metadata: { name: `${pod}.elsewhere`, namespace: 'default' },
      involvedObject: { ...backOff.involvedObject, namespace: 'default' },
      reason: 'ForeignWarning',
    });
    const first = await eventually(async () => {
      const b = (await events()).filter((e) => e.type === 'BackOff');
      return b.length === 1 ? b[0]! : null;
    }, 'the BackOff event');
    assert.equal(first.source, 'kubernetes');
    assert.equal(first.severity, 'warning');
    assert.equal(first.container, pod);
    assert.equal(first.count, 1);
    await kube(
      `/api/v1/namespaces/${ns}/events/${pod}.backoff1`,
      'PATCH',
      { count: 3, lastTimestamp: at(20) },
      'application/merge-patch+json',
    );
    const repeated = await eventually(async () => {
      const b = (await events()).filter((e) => e.type === 'BackOff');
      return b.length === 1 && b[0]!.count === 3 ? b[0]! : null;
    }, 'one BackOff row with count 3');
    assert.notEqual(repeated.id, first.id, 'a repeat is a new row (followers see it) that replaces the old');
    // filtering by type works for the cluster's reasons as for Berth's
    const byType = await events(p.api, `${base}/web/events?type=BackOff`);
    assert.equal(byType.length, 1);
    assert.ok(!(await events()).some((e) => e.type === 'ForeignWarning'));
    // another project's developer reads none of it
    await makeProject(p.api, 'other');
    const outsider = await userWithRole(p, 'outsider', 'developer', 'other');
    const refused = await outsider.get(`${base}/web/events`);
    assert.ok([403, 404].includes(refused.status), String(refused.status));
  });

  it('a mounted volume cannot be deleted; once its service is gone, its claim goes with it', async () => {
    const busy = await p.api.delete<{ error: { message: string } }>(`${project}/envs/test/volumes/data`);
    assert.equal(busy.status, 409, JSON.stringify(busy.body));
    assert.match(busy.body.error.message, /service 'web'/);
    const del = await p.api.delete<{ task: Obj }>(`${base}/web`);
    assert.equal(del.status, 202, JSON.stringify(del.body));
    assert.equal((await waitTask(p.api, del.body.task.id as string)).state, 'succeeded');
    const gone = await p.api.delete(`${project}/envs/test/volumes/data`);
    assert.equal(gone.status, 204, JSON.stringify(gone.body));
    await eventually(
      async () =>
        (await list(`/api/v1/namespaces/${ns}/persistentvolumeclaims`, 'berth.volume=data')).length === 0,
      'the claim deleted',
    );
  });
});
