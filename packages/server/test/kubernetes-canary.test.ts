/**
 * A route's canary of a service placed on a Kubernetes cluster, end to end through Berth's API
 * and the gateway's Nginx (ADR 0008): the canary release runs as a Deployment of its own on the
 * cluster (not as containers on Podman), its pods are mirrored into the route's canary pool and
 * never into the stable one, the weight and a header rule split traffic between the two, abort
 * deletes the canary Deployment, promote rolls the service to the release and deletes it once
 * the rollout completed; another project's developer cannot act on the route; the manifests view
 * shows the canary's objects while it runs and not after. The API server is
 * the test one (docs/kubernetes-testing.md); its pods answer with their own names.
 */
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { labelKeys } from '@berth/engine-api';
import { namespaceName } from '@berth/engine-kubernetes';
import { startFakeApiServer, type FakeApiServer } from '@berth/engine-kubernetes/testing';
import { eventually, makeProject, testImage, userWithRole, waitTask } from './helpers/platform';
import { startGatewayPlatform, type GatewayPlatform } from './helpers/gateway-platform';
import { startGatewayLoad, viaGateway } from './helpers/gateway-load';
import { grantZone } from './helpers/tenancy';

type Obj = Record<string, unknown>;
interface Container {
  name: string;
  cluster: string;
  release: number;
  state: string;
}

const podAddress = (pod: { metadata: { annotations?: Record<string, string> } }, port: number) => {
  const host = pod.metadata.annotations?.[`fake.berth.dev/port-${port}`];
  return host ? `127.0.0.1:${host}` : null;
};

const host = 'shop.kube-canary.test';
const routes = '/api/v1/projects/kc/envs/test/routes';
const spec = (greeting: string) => ({
  image: testImage,
  ports: [{ containerPort: 8080 }],
  replicas: 2,
  placement: { clusters: [{ name: 'k1', weight: 1 }], division: 'weighted' },
  env: [{ name: 'GREETING', value: greeting }],
  // a pod being deleted serves through its preStop drain (2 s), then stops within 1 s
  rollout: {
    maxSurge: 1,
    maxUnavailable: 0,
    drainSeconds: 2,
    stopGraceSeconds: 1,
    progressDeadlineSeconds: 300,
  },
});
/** A canary pod's name starts with its Deployment's (names.ts canaryDeploymentName). */
const isCanaryBody = (body: string) => body.startsWith('web-canary-r1-');

describe('a route canary of a service on a Kubernetes cluster (test API server)', () => {
  let fake: FakeApiServer;
  let p: GatewayPlatform;
  let base: string;
  const ns = namespaceName('kc', 'test');

  const object = (path: string) =>
    new Promise<Obj | null>((resolve, reject) => {
      const req = https.request(
        `${fake.url}${path}`,
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
  /** The service's canary Deployments on the cluster. */
  const canaryDeployments = async () =>
    (
      (await object(
        `/apis/apps/v1/namespaces/${ns}/deployments?labelSelector=${encodeURIComponent(labelKeys.canary)}`,
      )) as { items: { metadata: { name: string }; spec: { replicas: number } }[] }
    ).items;
  /**
   * The Deployments of the service's manifests view on k1 (`GET …/manifests`: the YAML the CLI and
   * the portal show), parsed back from its YAML.
   */
  const manifestDeployments = async () => {
    const r = await p.api.get<{ yaml: string }>(`${base}/web/manifests?cluster=k1`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    type Deployment = {
      kind: string;
      metadata: { name: string; labels: Obj };
      spec: { replicas: number; template: { metadata: { labels: Obj } } };
    };
    return parseAllDocuments(r.body.yaml)
      .map((d) => d.toJS() as Deployment)
      .filter((o) => o.kind === 'Deployment');
  };
  const containers = async () =>
    (await p.api.get<{ items: Container[] }>(`${base}/web/containers`)).body.items;
  /** Bodies of `n` requests through the gateway, counted by canary or stable. */
  const split = async (n: number, headers: Record<string, string> = {}) => {
    let canary = 0;
    for (let i = 0; i < n; i += 1) {
      const r = await viaGateway(p.listen, host, { headers });
      assert.equal(r.status, 200, r.body);
      assert.match(r.body, /^web-/, r.body);
      if (isCanaryBody(r.body)) canary += 1;
    }
    return canary;
  };

  before(async () => {
    // A deleted pod keeps running until its grace period ends, as a kubelet running the preStop
    // drain does (by default the test API server stops it at once, which no kubelet does).
    fake = await startFakeApiServer({ bookmarkIntervalMs: 200, holdTermination: true });
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
    base = await makeProject(p.api, 'kc');
    await grantZone(p.api, 'kube-canary.test', 'kc');
  });
  after(async () => {
    await p?.close();
    await fake?.close();
  });

  it('runs release 2 on the cluster behind a route', async () => {
    const r = await p.api.post<{ task: Obj }>(base, { name: 'web', spec: spec('one') });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal((await waitTask(p.api, r.body.task.id as string)).state, 'succeeded');
    const u = await p.api.put<{ task: Obj }>(`${base}/web`, { spec: spec('two') });
    assert.equal(u.status, 202, JSON.stringify(u.body));
    assert.equal((await waitTask(p.api, u.body.task.id as string)).state, 'succeeded');
    const route = await p.api.post(routes, {
      name: 'shop',
      spec: { host, backends: { service: { name: 'web' } } },
    });
    assert.equal(route.status, 201, JSON.stringify(route.body));
    await eventually(async () => (await viaGateway(p.listen, host)).status === 200, 'the route serves');
  });

  it('runs a canary of release 1 as its own Deployment and splits traffic by weight and header', async () => {
    const c = await p.api.post(`${routes}/shop/canary`, { percent: 50, to: { release: 1 } });
    assert.equal(c.status, 200, JSON.stringify(c.body));
    const canaryPod = await eventually(async () => {
      const all = await containers();
      const one = all.filter((x) => x.release === 1 && x.state === 'ready');
      return one.length === 1 ? one[0]! : null;
    }, 'one ready canary pod of release 1');
    assert.equal(canaryPod.cluster, 'k1', 'on the Kubernetes cluster, not on Podman');
    assert.ok(isCanaryBody(canaryPod.name), canaryPod.name);
    const [d] = await canaryDeployments();
    assert.equal(d?.spec.replicas, 1);
    assert.equal(
      (await p.engine.listContainers({ [labelKeys.instance]: p.instanceId, [labelKeys.canary]: 'true' }))
        .length,
      0,
      'no canary container on Podman',
    );
    const svc = (await object(`/apis/apps/v1/namespaces/${ns}/deployments/web`)) as {
      spec: { replicas: number; selector: { matchExpressions?: Obj[] } };
    };
    assert.equal(svc.spec.replicas, 2, 'the service keeps its two replicas');
    assert.deepEqual(svc.spec.selector.matchExpressions, [
      { key: labelKeys.canary, operator: 'DoesNotExist' },
    ]);

    // the manifests view: the service's Deployment (its two replicas, not the canary's pod), then
    // the canary's, as applied
    const shown = await manifestDeployments();
    assert.deepEqual(
      shown.map((o) => [o.metadata.name, o.spec.replicas]),
      [
        ['web', 2],
        [d.metadata.name, 1],
      ],
    );
    assert.equal(shown[1]!.metadata.labels[labelKeys.canary], 'true');
    assert.equal(shown[1]!.spec.template.metadata.labels['berth.rotation'], 'canary');

    await eventually(async () => isCanaryBody((await viaGateway(p.listen, host)).body), 'the canary serves');
    const canary = await split(200);
    // 50% of 200: the binomial's standard deviation is about 7
    assert.ok(Math.abs(canary - 100) <= 35, `the canary got ${canary} of 200`);

    const h = await p.api.post(`${routes}/shop/canary`, {
      header: { name: 'X-Canary', value: 'on' },
      to: { release: 1 },
    });
    assert.equal(h.status, 200, JSON.stringify(h.body));
    await eventually(async () => {
      const on = await viaGateway(p.listen, host, { headers: { 'X-Canary': 'on' } });
      const off = await viaGateway(p.listen, host);
      return isCanaryBody(on.body) && !isCanaryBody(off.body);
    }, 'the header rule in force');
    assert.equal(await split(30, { 'X-Canary': 'on' }), 30, 'the header match goes to the canary');
    assert.equal(await split(30, { 'X-Canary': 'off' }), 0, 'the rest to the stable pods');
    assert.equal(await split(30), 0);
  });

  it('refuses another project’s developer', async () => {
    await makeProject(p.api, 'other');
    const outsider = await userWithRole(p, 'outsider', 'developer', 'other');
    for (const [path, body] of [
      [`${routes}/shop/canary`, { percent: 100, to: { release: 1 } }],
      [`${routes}/shop/canary/promote`, {}],
      [`${routes}/shop/canary/abort`, {}],
    ] as const) {
      const r = await outsider.post(path, body);
      assert.ok([403, 404].includes(r.status), `${path}: ${r.status}`);
    }
    assert.equal((await canaryDeployments()).length, 1, 'the canary is as it was');
  });

  it('aborts under load: no request is lost, then the canary Deployment is deleted', async () => {
    const half = await p.api.post(`${routes}/shop/canary`, { percent: 50, to: { release: 1 } });
    assert.equal(half.status, 200, JSON.stringify(half.body));
    await eventually(async () => isCanaryBody((await viaGateway(p.listen, host)).body), 'the canary serves');
    const load = startGatewayLoad(p.listen, host);
    await eventually(async () => (await canaryDeployments()).length === 1 && true, 'the canary is there');
    const abort = await p.api.post<{ route: Obj }>(`${routes}/shop/canary/abort`, {});
    assert.equal(abort.status, 200, JSON.stringify(abort.body));
    await eventually(async () => (await canaryDeployments()).length === 0, 'the canary Deployment deleted');
    assert.deepEqual(
      (await manifestDeployments()).map((o) => o.metadata.name),
      ['web'],
      'the manifests view no longer shows the canary',
    );
    await eventually(
      async () => !(await containers()).some((x) => x.release === 1),
      'no canary pod in the containers',
    );
    const result = await load.stop();
    assert.equal(result.failed, 0, result.errors.slice(0, 5).join('; '));
    const toCanary = [...result.bodies].filter(([b]) => isCanaryBody(b)).reduce((n, [, c]) => n + c, 0);
    assert.ok(toCanary > 0, 'the canary served part of the load before the abort');
    assert.equal(await split(20, { 'X-Canary': 'on' }), 0);
  });

  it('promotes: the service rolls to release 1, then the canary Deployment is deleted', async () => {
    const c = await p.api.post(`${routes}/shop/canary`, { percent: 50, to: { release: 1 } });
    assert.equal(c.status, 200, JSON.stringify(c.body));
    await eventually(async () => isCanaryBody((await viaGateway(p.listen, host)).body), 'the canary serves');
    const promote = await p.api.post<{ route: { canary: Obj | null } }>(`${routes}/shop/canary/promote`, {});
    assert.equal(promote.status, 200, JSON.stringify(promote.body));
    await eventually(
      async () => (await p.api.get<Obj>(`${routes}/shop`)).body.canary === null,
      'the canary cleared once the rollout completed',
    );
    assert.equal((await p.api.get<Obj>(`${base}/web`)).body.release, 1);
    const d = (await object(`/apis/apps/v1/namespaces/${ns}/deployments/web`)) as {
      spec: { template: { metadata: { labels: Obj } } };
    };
    assert.equal(d.spec.template.metadata.labels['berth.release'], '1');
    await eventually(async () => (await canaryDeployments()).length === 0, 'the canary Deployment deleted');
    await eventually(async () => {
      const all = await containers();
      return (
        all.length === 2 && all.every((x) => x.release === 1 && x.state === 'ready' && !isCanaryBody(x.name))
      );
    }, 'just the service’s two pods of release 1');
    assert.equal(await split(20), 0, 'no request reaches a canary pod');
    const shown = await manifestDeployments();
    assert.deepEqual(
      shown.map((o) => [o.metadata.name, o.spec.template.metadata.labels['berth.release']]),
      [['web', '1']],
      'the manifests view shows the promoted service and no canary',
    );
  });
});
