/**
 * The test Kubernetes API server, driven by the real @kubernetes/client-node 1.4 (what the engine
 * uses): each behaviour docs/kubernetes-testing.md claims is proven here with the client's own
 * APIs — typed clients, KubernetesObjectApi (server-side apply), Watch, informers, Log, Exec,
 * Metrics. Every wait is for a condition with a deadline, never a sleep.
 */
import https from 'node:https';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  Exec,
  KubeConfig,
  KubernetesObjectApi,
  Log,
  makeInformer,
  Metrics,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type KubernetesObject,
  type V1Deployment,
  type V1Pod,
  type V1Status,
} from '@kubernetes/client-node';
import WebSocket from 'ws';
import { startFakeApiServer, type FakeApiServer } from '../src/testing/index';

/** Polls `check` until it returns a truthy value, failing after `ms`. */
async function waitFor<T>(what: string, check: () => T | Promise<T>, ms = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The Status body of a failed client call. */
function statusOf(
  e: unknown,
): V1Status & { details?: { causes?: { field?: string; message?: string; reason?: string }[] } } {
  assert.ok(e instanceof ApiException, `expected an ApiException, got ${String(e)}`);
  return typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
}

async function rejectsWith(p: Promise<unknown>, code: number, reason: string) {
  try {
    await p;
  } catch (e) {
    const s = statusOf(e);
    assert.equal((e as ApiException<unknown>).code, code, JSON.stringify(s));
    assert.equal(s.reason, reason, JSON.stringify(s));
    return s;
  }
  assert.fail(`expected ${code} ${reason}`);
}

function clients(server: FakeApiServer) {
  const kc = new KubeConfig();
  kc.loadFromString(server.kubeconfig);
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    objects: KubernetesObjectApi.makeApiClient(kc),
  };
}

function deployment(
  name: string,
  ns: string,
  spec: Partial<NonNullable<V1Deployment['spec']>> = {},
  image = 'nginx:1.27',
): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 8080 }] }] },
      },
      ...spec,
    },
  };
}

const apply = (objects: KubernetesObjectApi, obj: KubernetesObject, manager = 'berth', force?: boolean) =>
  objects.patch(obj, undefined, undefined, manager, force, PatchStrategy.ServerSideApply);

describe('the test API server: requests, auth and CRUD', () => {
  let server: FakeApiServer;
  let c: ReturnType<typeof clients>;
  before(async () => {
    server = await startFakeApiServer();
    c = clients(server);
    await c.core.createNamespace({ body: { metadata: { name: 'crud' } } });
  });
  after(async () => {
    const errors = [...server.errors];
    await server.close();
    assert.deepEqual(errors, [], 'the controller simulation failed nowhere');
  });

  it('refuses a wrong bearer token with a 401 Status, and answers /readyz and /version', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(server.kubeconfig.replace(server.token, 'not-the-token'));
    await assert.rejects(
      kc.makeApiClient(CoreV1Api).listNamespace(),
      (e) => e instanceof ApiException && e.code === 401,
    );
    const ca = Buffer.from(c.kc.getCurrentCluster()!.caData!, 'base64');
    const raw = (path: string, token: string) =>
      new Promise<{ code: number; body: string }>((resolve, reject) => {
        const req = https.request(
          `${server.url}${path}`,
          { ca, headers: { authorization: `Bearer ${token}` } },
          (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve({ code: res.statusCode!, body }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const denied = await raw('/api/v1/namespaces', 'wrong');
    assert.equal(denied.code, 401);
    assert.deepEqual(JSON.parse(denied.body), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
    assert.deepEqual(await raw('/readyz', ''), { code: 200, body: 'ok' });
    server.setHealthy(false);
    assert.equal((await raw('/readyz', '')).code, 500);
    server.setHealthy(true);
    assert.equal(JSON.parse((await raw('/version', server.token)).body).major, '1');
    const ns = await c.core.listNamespace();
    assert.deepEqual(ns.items.map((n) => n.metadata?.name).sort(), [
      'crud',
      'default',
      'kube-node-lease',
      'kube-public',
      'kube-system',
    ]);
    const nodes = await c.core.listNode();
    assert.equal(nodes.items.length, 2);
    assert.ok(
      nodes.items.every((n) => n.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')),
    );
    assert.equal(nodes.items[0]!.status?.allocatable?.cpu, '4');
  });

  it('creates, refuses a duplicate with 409 AlreadyExists, replaces with optimistic concurrency and deletes', async () => {
    const created = await c.core.createNamespacedConfigMap({
      namespace: 'crud',
      body: { metadata: { name: 'cfg', labels: { tier: 'a' } }, data: { k: 'v1' } },
    });
    assert.ok(created.metadata?.uid);
    const rv1 = created.metadata.resourceVersion!;
    await rejectsWith(
      c.core.createNamespacedConfigMap({ namespace: 'crud', body: { metadata: { name: 'cfg' } } }),
      409,
      'AlreadyExists',
    );
    const updated = await c.core.replaceNamespacedConfigMap({
      name: 'cfg',
      namespace: 'crud',
      body: { ...created, data: { k: 'v2' } },
    });
    assert.ok(Number(updated.metadata!.resourceVersion) > Number(rv1));
    const stale = await rejectsWith(
      c.core.replaceNamespacedConfigMap({
        name: 'cfg',
        namespace: 'crud',
        body: { ...created, data: { k: 'v3' } },
      }),
      409,
      'Conflict',
    );
    assert.match(stale.message!, /the object has been modified/);
    const same = await c.core.replaceNamespacedConfigMap({ name: 'cfg', namespace: 'crud', body: updated });
    assert.equal(
      same.metadata!.resourceVersion,
      updated.metadata!.resourceVersion,
      'a no-op update keeps the version',
    );
    await c.core.deleteNamespacedConfigMap({ name: 'cfg', namespace: 'crud' });
    await rejectsWith(c.core.readNamespacedConfigMap({ name: 'cfg', namespace: 'crud' }), 404, 'NotFound');
  });

  it('refuses a create in a namespace that does not exist, and invalid names and label values with 422', async () => {
    await rejectsWith(
      c.core.createNamespacedConfigMap({ namespace: 'nope', body: { metadata: { name: 'x' } } }),
      404,
      'NotFound',
    );
    await rejectsWith(
      c.core.createNamespacedConfigMap({ namespace: 'crud', body: { metadata: { name: 'Bad_Name' } } }),
      422,
      'Invalid',
    );
    const bad = await rejectsWith(
      c.core.createNamespacedConfigMap({
        namespace: 'crud',
        body: { metadata: { name: 'x', labels: { a: 'not valid!' } } },
      }),
      422,
      'Invalid',
    );
    assert.equal(bad.details?.causes?.[0]?.field, 'metadata.labels');
  });

  it('lists with label selectors (=, !=, in, notin, exists, !) and field selectors, with a resourceVersion', async () => {
    for (const [name, labels] of [
      ['a', { tier: 'web', env: 'prod' }],
      ['b', { tier: 'web', env: 'dev' }],
      ['c', { tier: 'db' }],
    ] as const) {
      await c.core.createNamespacedSecret({
        namespace: 'crud',
        body: { metadata: { name, labels }, stringData: { x: name } },
      });
    }
    const names = async (labelSelector?: string, fieldSelector?: string) => {
      const l = await c.core.listNamespacedSecret({ namespace: 'crud', labelSelector, fieldSelector });
      assert.ok(Number(l.metadata?.resourceVersion) > 0);
      return l.items.map((s) => s.metadata?.name).join(',');
    };
    assert.equal(await names('tier=web'), 'a,b');
    assert.equal(await names('tier!=web'), 'c');
    assert.equal(await names('env in (prod,staging)'), 'a');
    assert.equal(await names('env notin (prod)'), 'b,c');
    assert.equal(await names('env'), 'a,b');
    assert.equal(await names('!env'), 'c');
    assert.equal(await names('tier=web,env=dev'), 'b');
    assert.equal(await names(undefined, 'metadata.name=c'), 'c');
    assert.equal(await names(undefined, 'metadata.name!=c'), 'a,b');
    await rejectsWith(
      c.core.listNamespacedSecret({ namespace: 'crud', fieldSelector: 'spec.foo=1' }),
      400,
      'BadRequest',
    );
    const secret = await c.core.readNamespacedSecret({ name: 'a', namespace: 'crud' });
    assert.equal(Buffer.from(secret.data!.x!, 'base64').toString(), 'a', 'stringData is stored as data');
    const page = await c.core.listNamespacedSecret({ namespace: 'crud', limit: 2 });
    assert.equal(page.items.length, 2);
    const rest = await c.core.listNamespacedSecret({
      namespace: 'crud',
      limit: 2,
      _continue: page.metadata!._continue!,
    });
    assert.deepEqual(
      rest.items.map((s) => s.metadata?.name),
      ['c'],
    );
  });

  it('patches with merge, strategic merge and JSON patch; generation follows spec changes only', async () => {
    await c.apps.createNamespacedDeployment({
      namespace: 'crud',
      body: deployment('p', 'crud', {
        template: {
          metadata: { labels: { app: 'p' } },
          spec: {
            containers: [
              { name: 'app', image: 'nginx:1', ports: [{ containerPort: 8080 }] },
              { name: 'side', image: 'busybox:1' },
            ],
          },
        },
      }),
    });
    const merged = await c.apps.patchNamespacedDeployment(
      { name: 'p', namespace: 'crud', body: { metadata: { labels: { team: 'x' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.equal(merged.metadata?.labels?.team, 'x');
    assert.equal(merged.metadata?.generation, 1, 'a label change is no spec change');
    const strategic = await c.apps.patchNamespacedDeployment(
      {
        name: 'p',
        namespace: 'crud',
        body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:2' }] } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const containers = strategic.spec!.template.spec!.containers;
    assert.deepEqual(
      containers.map((x) => `${x.name}=${x.image}`),
      ['app=nginx:2', 'side=busybox:1'],
      'containers merge by name',
    );
    assert.equal(strategic.metadata?.generation, 2);
    const json = await c.apps.patchNamespacedDeployment(
      { name: 'p', namespace: 'crud', body: [{ op: 'replace', path: '/spec/replicas', value: 5 }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    assert.equal(json.spec?.replicas, 5);
    assert.equal(json.metadata?.generation, 3);
    await rejectsWith(
      c.apps.patchNamespacedDeployment(
        { name: 'p', namespace: 'crud', body: [{ op: 'test', path: '/spec/replicas', value: 1 }] },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      ),
      422,
      'Invalid',
    );
    const scale = await c.apps.readNamespacedDeploymentScale({ name: 'p', namespace: 'crud' });
    assert.equal(scale.spec?.replicas, 5);
  });
});

describe('the test API server: server-side apply', () => {
  let server: FakeApiServer;
  let c: ReturnType<typeof clients>;
  before(async () => {
    server = await startFakeApiServer();
    c = clients(server);
    await c.core.createNamespace({ body: { metadata: { name: 'ssa' } } });
  });
  after(async () => {
    const errors = [...server.errors];
    await server.close();
    assert.deepEqual(errors, [], 'the controller simulation failed nowhere');
  });

  it('creates when missing and records the manager in managedFields at leaf granularity', async () => {
    const d = (await apply(c.objects, deployment('web', 'ssa'))) as V1Deployment;
    assert.equal(d.metadata?.generation, 1);
    const entry = d.metadata?.managedFields?.find((m) => m.manager === 'berth');
    assert.equal(entry?.operation, 'Apply');
    type Fields = { [k: string]: Fields };
    const fields = entry?.fieldsV1 as Fields;
    assert.ok(fields['f:spec']?.['f:replicas']);
    assert.ok(
      fields['f:spec']?.['f:template']?.['f:spec']?.['f:containers']?.['k:{"name":"app"}']?.['f:image'],
    );
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'same', namespace: 'ssa' },
      data: { a: '1' },
    };
    const first = await apply(c.objects, cm);
    const again = await apply(c.objects, cm);
    assert.equal(
      again.metadata?.resourceVersion,
      first.metadata?.resourceVersion,
      'the same apply changes nothing',
    );
  });

  it('removes fields the manager stopped applying', async () => {
    const withLabel = deployment('web', 'ssa');
    withLabel.metadata!.labels = { keep: 'yes', drop: 'soon' };
    await apply(c.objects, withLabel);
    const without = deployment('web', 'ssa');
    without.metadata!.labels = { keep: 'yes' };
    const d = (await apply(c.objects, without)) as V1Deployment;
    assert.deepEqual(d.metadata?.labels, { keep: 'yes' });
  });

  it('refuses a field another manager owns with another value (409 naming manager and field), unless forced', async () => {
    await c.apps.patchNamespacedDeployment(
      { name: 'web', namespace: 'ssa', body: { spec: { replicas: 7 } }, fieldManager: 'kubectl-scale' },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const conflict = await rejectsWith(apply(c.objects, deployment('web', 'ssa')), 409, 'Conflict');
    assert.match(conflict.message!, /conflict with "kubectl-scale"/);
    assert.deepEqual(
      conflict.details?.causes?.map((x) => [x.reason, x.field]),
      [['FieldManagerConflict', '.spec.replicas']],
    );
    // Another applier agreeing on a value shares it without conflict.
    const shared = deployment('web', 'ssa');
    shared.spec = { ...shared.spec!, replicas: 7 };
    await apply(
      c.objects,
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'ssa' },
        spec: { replicas: 7 },
      } as KubernetesObject,
      'other',
    );
    const forced = (await apply(c.objects, deployment('web', 'ssa'), 'berth', true)) as V1Deployment;
    assert.equal(forced.spec?.replicas, 2);
    const scaleEntry = forced.metadata?.managedFields?.find((m) => m.manager === 'kubectl-scale');
    assert.ok(
      !scaleEntry || !JSON.stringify(scaleEntry.fieldsV1).includes('f:replicas'),
      'force took the field over',
    );
  });

  it('a manager that stops applying a field another manager shares leaves it in place', async () => {
    await apply(
      c.objects,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'shared', namespace: 'ssa' },
        data: { a: '1', b: '2' },
      } as KubernetesObject,
      'one',
    );
    await apply(
      c.objects,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'shared', namespace: 'ssa' },
        data: { a: '1' },
      } as KubernetesObject,
      'two',
    );
    const cm = (await apply(
      c.objects,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'shared', namespace: 'ssa' },
        data: {},
      } as KubernetesObject,
      'one',
    )) as { data?: Record<string, string> };
    assert.deepEqual(cm.data, { a: '1' }, '"b" had only "one" as owner and went; "a" stays for "two"');
  });
});

describe('the test API server: watch, bookmarks, 410 and dropped connections', () => {
  let server: FakeApiServer;
  let c: ReturnType<typeof clients>;
  before(async () => {
    server = await startFakeApiServer({ bookmarkIntervalMs: 50 });
    c = clients(server);
    await c.core.createNamespace({ body: { metadata: { name: 'w' } } });
  });
  after(async () => {
    const errors = [...server.errors];
    await server.close();
    assert.deepEqual(errors, [], 'the controller simulation failed nowhere');
  });

  it('streams ADDED, MODIFIED, DELETED and BOOKMARK events from a resourceVersion, filtered by labels', async () => {
    const list = await c.core.listNamespacedConfigMap({ namespace: 'w' });
    const events: { type: string; name?: string; rv?: string }[] = [];
    const watch = new Watch(c.kc);
    const req = await watch.watch(
      '/api/v1/namespaces/w/configmaps',
      {
        resourceVersion: list.metadata!.resourceVersion,
        allowWatchBookmarks: true,
        labelSelector: 'watched=yes',
      },
      (type, obj: KubernetesObject) =>
        events.push({ type, name: obj.metadata?.name, rv: obj.metadata?.resourceVersion }),
      () => {},
    );
    try {
      await c.core.createNamespacedConfigMap({
        namespace: 'w',
        body: { metadata: { name: 'one', labels: { watched: 'yes' } } },
      });
      await c.core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: 'other' } } });
      await c.core.patchNamespacedConfigMap(
        { name: 'one', namespace: 'w', body: { data: { a: 'b' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await c.core.deleteNamespacedConfigMap({ name: 'one', namespace: 'w' });
      await waitFor('a bookmark after the deletion', () => {
        const deleted = events.findIndex((e) => e.type === 'DELETED');
        return deleted >= 0 && events.slice(deleted).some((e) => e.type === 'BOOKMARK');
      });
      const changes = events.filter((e) => e.type !== 'BOOKMARK');
      assert.deepEqual(
        changes.map((e) => `${e.type} ${e.name}`),
        ['ADDED one', 'MODIFIED one', 'DELETED one'],
      );
      const rvs = changes.map((e) => Number(e.rv));
      assert.ok(rvs[0]! < rvs[1]! && rvs[1]! < rvs[2]!, 'resourceVersions increase');
      const bookmark = events.filter((e) => e.type === 'BOOKMARK').at(-1)!;
      assert.ok(Number(bookmark.rv) >= rvs[2]!, 'a bookmark carries the current resourceVersion');
    } finally {
      req.abort();
    }
  });

  it('a label change moves an object in or out of a selector: ADDED and DELETED; dryRun stores nothing', async () => {
    const events: string[] = [];
    const req = await new Watch(c.kc).watch(
      '/api/v1/namespaces/w/configmaps',
      { labelSelector: 'stage=live' },
      (type, obj: KubernetesObject) => events.push(`${type} ${obj.metadata?.name}`),
      () => {},
    );
    try {
      await c.core.createNamespacedConfigMap({
        namespace: 'w',
        body: { metadata: { name: 'moving', labels: { stage: 'draft' } } },
      });
      const label = (stage: string) =>
        c.core.patchNamespacedConfigMap(
          { name: 'moving', namespace: 'w', body: { metadata: { labels: { stage } } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
      await label('live');
      await label('draft');
      await waitFor('in and out', () => events.length >= 2);
      assert.deepEqual(events, ['ADDED moving', 'DELETED moving']);
      await c.core.createNamespacedConfigMap({
        namespace: 'w',
        body: { metadata: { name: 'dry' } },
        dryRun: 'All',
      });
      await rejectsWith(c.core.readNamespacedConfigMap({ name: 'dry', namespace: 'w' }), 404, 'NotFound');
    } finally {
      req.abort();
    }
  });

  it('an informer relists after 410 Gone (compaction while disconnected) and sees every later change', async () => {
    const listCalls = () =>
      server.requests.filter(
        (r) => r.method === 'GET' && r.path === '/api/v1/namespaces/w/pods' && !r.query.get('watch'),
      ).length;
    const informer = makeInformer(c.kc, '/api/v1/namespaces/w/pods', () =>
      c.core.listNamespacedPod({ namespace: 'w' }),
    );
    const seen = new Set<string>();
    informer.on('add', (p: V1Pod) => seen.add(p.metadata!.name!));
    informer.on('error', () => {});
    await informer.start();
    try {
      await c.core.createNamespacedPod({
        namespace: 'w',
        body: { metadata: { name: 'p1' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      });
      await waitFor('the informer to see p1', () => seen.has('p1'));
      const before = listCalls();
      server.compact();
      server.dropWatches();
      await waitFor('a relist after 410', () => listCalls() > before);
      const watchAfter = server.requests
        .filter((r) => r.query.get('watch') === 'true' && r.path === '/api/v1/namespaces/w/pods')
        .at(-1);
      assert.ok(watchAfter, 'the informer watches again');
      await c.core.createNamespacedPod({
        namespace: 'w',
        body: { metadata: { name: 'p2' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      });
      await waitFor(
        'the informer to see p2',
        () => seen.has('p2') && informer.list().some((p) => p.metadata?.name === 'p2'),
      );
      // The watch cache falling behind: an ERROR 410 event in an open stream, then a relist.
      const before2 = listCalls();
      server.expireWatches();
      await waitFor('a relist after an ERROR 410 event', () => listCalls() > before2);
    } finally {
      await informer.stop();
    }
  });

  it('an informer reconnects from its resourceVersion after a dropped connection, without a relist', async () => {
    const informer = makeInformer(c.kc, '/api/v1/namespaces/w/services', () =>
      c.core.listNamespacedService({ namespace: 'w' }),
    );
    const seen = new Set<string>();
    informer.on('add', (s) => seen.add(s.metadata!.name!));
    informer.on('error', () => {});
    await informer.start();
    try {
      const watchesBefore = server.requests.filter(
        (r) => r.query.get('watch') === 'true' && r.path === '/api/v1/namespaces/w/services',
      ).length;
      const listsBefore = server.requests.filter(
        (r) => r.method === 'GET' && !r.query.get('watch') && r.path === '/api/v1/namespaces/w/services',
      ).length;
      server.dropWatches();
      await c.core.createNamespacedService({
        namespace: 'w',
        body: { metadata: { name: 'svc' }, spec: { ports: [{ port: 80 }], selector: { app: 'x' } } },
      });
      await waitFor('the informer to see the service', () => seen.has('svc'));
      const watches = server.requests.filter(
        (r) => r.query.get('watch') === 'true' && r.path === '/api/v1/namespaces/w/services',
      );
      assert.ok(watches.length > watchesBefore, 'it watched again');
      assert.ok(Number(watches.at(-1)!.query.get('resourceVersion')) > 0, 'from its resourceVersion');
      const listsAfter = server.requests.filter(
        (r) => r.method === 'GET' && !r.query.get('watch') && r.path === '/api/v1/namespaces/w/services',
      ).length;
      assert.equal(listsAfter, listsBefore, 'no relist was needed');
    } finally {
      await informer.stop();
    }
  });

  it('a watch or an exact list from a compacted resourceVersion answers 410 Expired', async () => {
    const old = (await c.core.listNamespacedConfigMap({ namespace: 'w' })).metadata!.resourceVersion!;
    await c.core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: 'after' } } });
    server.compact();
    const got: { type: string; code?: number }[] = [];
    let ended = false;
    await new Watch(c.kc).watch(
      '/api/v1/namespaces/w/configmaps',
      { resourceVersion: old },
      (type, obj: V1Status) => got.push({ type, code: obj.code }),
      () => (ended = true),
    );
    await waitFor('the watch to end', () => ended);
    assert.deepEqual(got, [{ type: 'ERROR', code: 410 }]);
    await rejectsWith(
      c.core.listNamespacedConfigMap({ namespace: 'w', resourceVersion: old, resourceVersionMatch: 'Exact' }),
      410,
      'Expired',
    );
  });
});

describe('the test API server: deployments, pods and their controllers', () => {
  let server: FakeApiServer;
  let c: ReturnType<typeof clients>;
  before(async () => {
    server = await startFakeApiServer({ readiness: 'manual' });
    c = clients(server);
    await c.core.createNamespace({ body: { metadata: { name: 'roll' } } });
  });
  after(async () => {
    const errors = [...server.errors];
    await server.close();
    assert.deepEqual(errors, [], 'the controller simulation failed nowhere');
  });

  const podsOf = async (app: string) =>
    (await c.core.listNamespacedPod({ namespace: 'roll', labelSelector: `app=${app}` })).items.filter(
      (p) => !p.metadata?.deletionTimestamp,
    );
  const readyOf = (pods: V1Pod[]) =>
    pods.filter((p) => p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));
  const markAllReady = async (app: string) => {
    for (const p of await podsOf(app))
      if (p.status?.phase === 'Running') server.setPodReady('roll', p.metadata!.name!, true);
  };

  it('rolls a new template out within maxSurge and maxUnavailable, with status and conditions', async () => {
    await apply(
      c.objects,
      deployment('web', 'roll', {
        replicas: 4,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      }),
    );
    await waitFor(
      '4 running pods',
      async () => (await podsOf('web')).filter((p) => p.status?.phase === 'Running').length === 4,
    );
    await markAllReady('web');
    await waitFor('the first rollout to complete', async () => {
      const d = await c.apps.readNamespacedDeployment({ name: 'web', namespace: 'roll' });
      return (
        d.status?.availableReplicas === 4 &&
        d.status.conditions?.some((x) => x.type === 'Progressing' && x.reason === 'NewReplicaSetAvailable')
      );
    });
    const first = await podsOf('web');
    const oldHash = first[0]!.metadata!.labels!['pod-template-hash'];
    assert.ok(
      first.every((p) => p.status?.podIP === '127.0.0.1' && p.spec?.nodeName?.startsWith('fake-node-')),
    );

    await apply(
      c.objects,
      deployment(
        'web',
        'roll',
        {
          replicas: 4,
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        },
        'nginx:1.28',
      ),
    );
    let steps = 0;
    for (;;) {
      await server.settle();
      const pods = await podsOf('web');
      const ready = readyOf(pods);
      assert.ok(pods.length <= 5, `at most replicas + maxSurge pods (${pods.length})`);
      assert.ok(ready.length >= 4, `at least replicas - maxUnavailable ready (${ready.length})`);
      const unready = pods.filter((p) => p.status?.phase === 'Running' && !ready.includes(p));
      if (unready.length === 0) {
        const d = await c.apps.readNamespacedDeployment({ name: 'web', namespace: 'roll' });
        if (d.status?.updatedReplicas === 4 && d.status.replicas === 4 && d.status.availableReplicas === 4)
          break;
        continue;
      }
      server.setPodReady('roll', unready[0]!.metadata!.name!, true);
      steps++;
      assert.ok(steps < 20, 'the rollout ends');
    }
    assert.equal(steps, 4, 'one new pod at a time');
    const d = await c.apps.readNamespacedDeployment({ name: 'web', namespace: 'roll' });
    assert.equal(d.status?.observedGeneration, d.metadata?.generation);
    assert.equal(d.metadata?.annotations?.['deployment.kubernetes.io/revision'], '2');
    assert.ok(d.status?.conditions?.some((x) => x.type === 'Available' && x.status === 'True'));
    assert.ok(
      d.status?.conditions?.some((x) => x.type === 'Progressing' && x.reason === 'NewReplicaSetAvailable'),
    );
    const pods = await podsOf('web');
    assert.ok(
      pods.every(
        (p) =>
          p.metadata!.labels!['pod-template-hash'] !== oldHash &&
          p.spec?.containers[0]?.image === 'nginx:1.28',
      ),
    );
    const rses = await c.apps.listNamespacedReplicaSet({ namespace: 'roll', labelSelector: 'app=web' });
    assert.deepEqual(
      rses.items.map((r) => r.spec?.replicas).sort(),
      [0, 4],
      'the old ReplicaSet is kept at 0',
    );
  });

  it('reports ProgressDeadlineExceeded when the deadline passes on the server clock', async () => {
    await apply(c.objects, deployment('stuck', 'roll', { replicas: 1, progressDeadlineSeconds: 30 }));
    await waitFor('a running pod', async () =>
      (await podsOf('stuck')).some((p) => p.status?.phase === 'Running'),
    );
    await server.settle();
    let d = await c.apps.readNamespacedDeployment({ name: 'stuck', namespace: 'roll' });
    assert.ok(d.status?.conditions?.some((x) => x.type === 'Progressing' && x.status === 'True'));
    server.advanceClock(31);
    d = await waitFor('ProgressDeadlineExceeded', async () => {
      const x = await c.apps.readNamespacedDeployment({ name: 'stuck', namespace: 'roll' });
      return x.status?.conditions?.some(
        (k) => k.type === 'Progressing' && k.status === 'False' && k.reason === 'ProgressDeadlineExceeded',
      )
        ? x
        : undefined;
    });
    assert.ok(d.status?.conditions?.some((x) => x.type === 'Available' && x.status === 'False'));
    const events = await c.core.listNamespacedEvent({
      namespace: 'roll',
      fieldSelector: 'involvedObject.name=stuck',
    });
    assert.ok(events.items.some((e) => e.reason === 'ProgressDeadlineExceeded'));
  });

  it('pods answer over loopback; a killed container reports OOMKilled and restarts; events tell the lifecycle', async () => {
    server.setReadinessPolicy('immediate');
    await apply(c.objects, deployment('svc', 'roll', { replicas: 2 }));
    const pods = await waitFor('2 ready pods', async () => {
      const p = readyOf(await podsOf('svc'));
      return p.length === 2 ? p : undefined;
    });
    for (const p of pods) {
      const addr = server.podAddress('roll', p.metadata!.name!, 8080)!;
      assert.equal(p.metadata?.annotations?.['fake.berth.dev/port-8080'], String(addr.port));
      const res = await fetch(`http://${addr.host}:${addr.port}/`);
      assert.equal(await res.text(), `${p.metadata.name}\n`);
    }
    const victim = pods[0]!.metadata!.name!;
    server.setPodBackend('roll', victim, (_pod, _req, res) => res.writeHead(503).end('busy'));
    const addr = server.podAddress('roll', victim, 8080)!;
    assert.equal((await fetch(`http://${addr.host}:${addr.port}/`)).status, 503);
    server.killContainer('roll', victim, { reason: 'OOMKilled', exitCode: 137 });
    const pod = await c.core.readNamespacedPod({ name: victim, namespace: 'roll' });
    const cs = pod.status!.containerStatuses![0]!;
    assert.equal(cs.restartCount, 1);
    assert.equal(cs.lastState?.terminated?.reason, 'OOMKilled');
    assert.equal(cs.lastState?.terminated?.exitCode, 137);
    assert.ok(cs.state?.running, 'restartPolicy Always restarts it');
    assert.match(cs.imageID, /^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    const events = await c.core.listNamespacedEvent({
      namespace: 'roll',
      fieldSelector: `involvedObject.name=${victim}`,
    });
    const reasons = new Set(events.items.map((e) => e.reason));
    for (const r of ['Scheduled', 'Pulled', 'Created', 'Started', 'OOMKilling'])
      assert.ok(reasons.has(r), `event ${r}`);
  });

  it('deleting a deployment takes its ReplicaSets and pods (background propagation); a namespace takes its contents', async () => {
    await c.apps.deleteNamespacedDeployment({
      name: 'svc',
      namespace: 'roll',
      propagationPolicy: 'Background',
    });
    await waitFor(
      'the pods to go',
      async () =>
        (await c.core.listNamespacedPod({ namespace: 'roll', labelSelector: 'app=svc' })).items.length === 0,
    );
    assert.equal(
      (await c.apps.listNamespacedReplicaSet({ namespace: 'roll', labelSelector: 'app=svc' })).items.length,
      0,
    );
    await c.core.createNamespace({ body: { metadata: { name: 'gone' } } });
    await c.core.createNamespacedConfigMap({ namespace: 'gone', body: { metadata: { name: 'x' } } });
    const terminating = await c.core.deleteNamespace({ name: 'gone' });
    assert.equal((terminating as { status?: { phase?: string } }).status?.phase, 'Terminating');
    await rejectsWith(
      c.core.createNamespacedConfigMap({ namespace: 'gone', body: { metadata: { name: 'y' } } }),
      403,
      'Forbidden',
    ).catch(() => {
      /* the namespace may already be gone (404): either way no new content */
    });
    await waitFor('the namespace to go', async () => {
      try {
        await c.core.readNamespace({ name: 'gone' });
        return false;
      } catch (e) {
        return e instanceof ApiException && e.code === 404;
      }
    });
    await rejectsWith(c.core.readNamespacedConfigMap({ name: 'x', namespace: 'gone' }), 404, 'NotFound');
  });
});

describe('the test API server: status subresource, graceful deletion, propagation and maxUnavailable', () => {
  let server: FakeApiServer;
  let c: ReturnType<typeof clients>;
  before(async () => {
    server = await startFakeApiServer({ readiness: 'manual', holdTermination: true });
    c = clients(server);
    await c.core.createNamespace({ body: { metadata: { name: 'life' } } });
  });
  after(async () => {
    const errors = [...server.errors];
    await server.close();
    assert.deepEqual(errors, [], 'the controller simulation failed nowhere');
  });

  const live = async (app: string) =>
    (await c.core.listNamespacedPod({ namespace: 'life', labelSelector: `app=${app}` })).items.filter(
      (p) => !p.metadata?.deletionTimestamp,
    );

  it('keeps status and spec apart: a spec write ignores status, a status write ignores spec', async () => {
    const cm = await c.apps.createNamespacedDeployment({
      namespace: 'life',
      body: deployment('apart', 'life', { replicas: 0 }),
    });
    // Without a resourceVersion a PUT is unconditional (the controllers write status meanwhile).
    const unversioned = (o: V1Deployment): V1Deployment => ({
      ...o,
      metadata: { ...o.metadata, resourceVersion: undefined },
    });
    const withStatus = { ...unversioned(cm), spec: { ...cm.spec!, replicas: 3 }, status: { replicas: 42 } };
    const afterSpec = await c.apps.replaceNamespacedDeployment({
      name: 'apart',
      namespace: 'life',
      body: withStatus,
    });
    assert.equal(afterSpec.spec?.replicas, 3);
    assert.notEqual(afterSpec.status?.replicas, 42, 'status is not written through the main resource');
    const afterStatus = await c.apps.replaceNamespacedDeploymentStatus({
      name: 'apart',
      namespace: 'life',
      body: {
        ...unversioned(afterSpec),
        spec: { ...afterSpec.spec, replicas: 9 },
        status: { ...afterSpec.status, observedGeneration: 99 },
      },
    });
    assert.equal(afterStatus.spec?.replicas, 3, 'spec is not written through status');
    assert.equal(afterStatus.status?.observedGeneration, 99);
    await c.apps.deleteNamespacedDeployment({ name: 'apart', namespace: 'life' });
  });

  it('rolls out with maxSurge 0 and maxUnavailable 1: never more pods than replicas, never fewer than replicas - 1 ready', async () => {
    const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } };
    await apply(c.objects, deployment('slim', 'life', { replicas: 3, strategy }));
    await waitFor(
      '3 running pods',
      async () => (await live('slim')).filter((p) => p.status?.phase === 'Running').length === 3,
    );
    for (const p of await live('slim')) server.setPodReady('life', p.metadata!.name!, true);
    await waitFor(
      'available',
      async () =>
        (await c.apps.readNamespacedDeployment({ name: 'slim', namespace: 'life' })).status
          ?.availableReplicas === 3,
    );
    await apply(c.objects, deployment('slim', 'life', { replicas: 3, strategy }, 'nginx:2'));
    for (let steps = 0; ; steps++) {
      assert.ok(steps < 30, 'the rollout ends');
      await server.settle();
      server.advanceClock(31); // terminating pods (grace 30s on the clock) go
      await server.settle();
      const pods = await live('slim');
      const ready = pods.filter((p) =>
        p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'),
      );
      assert.ok(pods.length <= 3, `at most replicas pods (${pods.length})`);
      assert.ok(ready.length >= 2, `at least replicas - 1 ready (${ready.length})`);
      const unready = pods.find((p) => p.status?.phase === 'Running' && !ready.includes(p));
      if (unready) server.setPodReady('life', unready.metadata!.name!, true);
      const d = await c.apps.readNamespacedDeployment({ name: 'slim', namespace: 'life' });
      if (d.status?.updatedReplicas === 3 && d.status.availableReplicas === 3 && d.status.replicas === 3)
        break;
    }
    const images = (await live('slim')).map((p) => p.spec?.containers[0]?.image);
    assert.deepEqual(images, ['nginx:2', 'nginx:2', 'nginx:2']);
  });

  it('a Recreate rollout takes every old pod down before the first new one starts', async () => {
    await apply(c.objects, deployment('recreate', 'life', { replicas: 2, strategy: { type: 'Recreate' } }));
    await waitFor(
      '2 running pods',
      async () => (await live('recreate')).filter((p) => p.status?.phase === 'Running').length === 2,
    );
    for (const p of await live('recreate')) server.setPodReady('life', p.metadata!.name!, true);
    await apply(
      c.objects,
      deployment('recreate', 'life', { replicas: 2, strategy: { type: 'Recreate' } }, 'nginx:2'),
    );
    await server.settle();
    const all = async () =>
      (await c.core.listNamespacedPod({ namespace: 'life', labelSelector: 'app=recreate' })).items;
    assert.ok(
      (await all()).every((p) => p.spec?.containers[0]?.image !== 'nginx:2'),
      'no new pod while old ones terminate',
    );
    server.advanceClock(31);
    await waitFor('2 new pods', async () => {
      const pods = await all();
      return pods.length === 2 && pods.every((p) => p.spec?.containers[0]?.image === 'nginx:2');
    });
  });

  it('a deleted pod terminates for its grace period on the server clock, then goes', async () => {
    await c.core.createNamespacedPod({
      namespace: 'life',
      body: {
        metadata: { name: 'grace' },
        spec: { terminationGracePeriodSeconds: 20, containers: [{ name: 'c', image: 'busybox:1' }] },
      },
    });
    await waitFor(
      'grace to run',
      async () =>
        (await c.core.readNamespacedPod({ name: 'grace', namespace: 'life' })).status?.phase === 'Running',
    );
    const terminating = await c.core.deleteNamespacedPod({ name: 'grace', namespace: 'life' });
    assert.ok(terminating.metadata?.deletionTimestamp, 'deletionTimestamp set');
    assert.equal(terminating.metadata?.deletionGracePeriodSeconds, 20);
    server.advanceClock(10);
    await server.settle();
    assert.ok(
      await c.core.readNamespacedPod({ name: 'grace', namespace: 'life' }),
      'still terminating after 10s',
    );
    server.advanceClock(11);
    await waitFor('the pod to go', async () => {
      try {
        await c.core.readNamespacedPod({ name: 'grace', namespace: 'life' });
        return false;
      } catch (e) {
        return e instanceof ApiException && e.code === 404;
      }
    });
    const events = await c.core.listNamespacedEvent({
      namespace: 'life',
      fieldSelector: 'involvedObject.name=grace',
    });
    assert.ok(events.items.some((e) => e.reason === 'Killing'));
  });

  it('Orphan propagation leaves the dependents without their owner reference; preconditions are checked', async () => {
    await apply(c.objects, deployment('orphan', 'life', { replicas: 1 }));
    const rs = await waitFor(
      'a ReplicaSet',
      async () =>
        (await c.apps.listNamespacedReplicaSet({ namespace: 'life', labelSelector: 'app=orphan' })).items[0],
    );
    const d = await c.apps.readNamespacedDeployment({ name: 'orphan', namespace: 'life' });
    await rejectsWith(
      c.apps.deleteNamespacedDeployment({
        name: 'orphan',
        namespace: 'life',
        body: { preconditions: { uid: 'not-the-uid' } },
      }),
      409,
      'Conflict',
    );
    await c.apps.deleteNamespacedDeployment({
      name: 'orphan',
      namespace: 'life',
      propagationPolicy: 'Orphan',
      body: { preconditions: { uid: d.metadata!.uid! } },
    });
    const kept = await c.apps.readNamespacedReplicaSet({ name: rs.metadata!.name!, namespace: 'life' });
    assert.equal(kept.metadata?.ownerReferences, undefined);
    assert.equal((await live('orphan')).length, 1, 'its pod stays too');
  });
});

describe('the test API server: pods/log, pods/exec and metrics', () => {
  let server: FakeApiServer;
  let c: ReturnType<typeof clients>;
  let pod: string;
  before(async () => {
    server = await startFakeApiServer({ metrics: true });
    c = clients(server);
    await c.core.createNamespace({ body: { metadata: { name: 'x' } } });
    await c.core.createNamespacedSecret({
      namespace: 'x',
      body: { metadata: { name: 's' }, stringData: { TOKEN: 'sekret' } },
    });
    await c.core.createNamespacedPod({
      namespace: 'x',
      body: {
        metadata: { name: 'box' },
        spec: {
          securityContext: { runAsUser: 1000 },
          containers: [
            {
              name: 'app',
              image: 'busybox:1',
              env: [
                { name: 'PLAIN', value: 'yes' },
                { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'TOKEN' } } },
              ],
            },
          ],
        },
      },
    });
    pod = 'box';
    await waitFor(
      'the pod to run',
      async () => (await c.core.readNamespacedPod({ name: pod, namespace: 'x' })).status?.phase === 'Running',
    );
  });
  after(async () => {
    const errors = [...server.errors];
    await server.close();
    assert.deepEqual(errors, [], 'the controller simulation failed nowhere');
  });

  const collect = () => {
    const chunks: Buffer[] = [];
    let ended = false;
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        cb();
      },
      final(cb) {
        ended = true;
        cb();
      },
    });
    return { stream, text: () => Buffer.concat(chunks).toString('utf8'), ended: () => ended };
  };

  it('serves logs with tailLines and timestamps, and follows until the pod goes', async () => {
    server.appendPodLog('x', pod, 'one\ntwo\nthree\n');
    const tail = collect();
    await new Log(c.kc).log('x', pod, 'app', tail.stream, { tailLines: 2 });
    await waitFor('the tail', () => tail.ended());
    assert.equal(tail.text(), 'two\nthree\n');
    const stamped = collect();
    await new Log(c.kc).log('x', pod, 'app', stamped.stream, { timestamps: true, tailLines: 1 });
    await waitFor('the stamped tail', () => stamped.ended());
    assert.match(stamped.text(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z three\n$/);
    const since = collect();
    await new Log(c.kc).log('x', pod, 'app', since.stream, {
      sinceTime: new Date(server.now() + 60_000).toISOString(),
    });
    await waitFor('the empty since', () => since.ended());
    assert.equal(since.text(), '');

    const follow = collect();
    await new Log(c.kc).log('x', 'box', 'app', follow.stream, { follow: true, tailLines: 1 });
    await waitFor('the tail of the follow', () => follow.text() === 'three\n');
    server.appendPodLog('x', pod, 'four');
    await waitFor('a followed line', () => follow.text() === 'three\nfour\n');
    assert.equal(follow.ended(), false);
    await c.core.createNamespacedPod({
      namespace: 'x',
      body: { metadata: { name: 'short' }, spec: { containers: [{ name: 'app', image: 'busybox:1' }] } },
    });
    await waitFor(
      'short to run',
      async () =>
        (await c.core.readNamespacedPod({ name: 'short', namespace: 'x' })).status?.phase === 'Running',
    );
    const followShort = collect();
    await new Log(c.kc).log('x', 'short', 'app', followShort.stream, { follow: true });
    await c.core.deleteNamespacedPod({ name: 'short', namespace: 'x' });
    await waitFor('the follow to end with the pod', () => followShort.ended());
  });

  const run = async (command: string[], stdin?: string, protocols?: string[]) => {
    const out = collect();
    const err = collect();
    let status: V1Status | undefined;
    const input = stdin === undefined ? null : new PassThrough();
    const exec = new Exec(c.kc);
    const ws = await exec.exec(
      'x',
      pod,
      'app',
      command,
      out.stream,
      err.stream,
      input,
      false,
      (s) => (status = s),
    );
    if (input) input.end(stdin);
    await waitFor(`${command.join(' ')} to end`, () => status !== undefined);
    void protocols;
    return { stdout: out.text(), stderr: err.text(), status: status!, protocol: ws.protocol };
  };

  it('runs commands over exec v5 with stdin, exit codes and the pod user', async () => {
    const echo = await run(['echo', 'hello', 'world']);
    assert.equal(echo.protocol, 'v5.channel.k8s.io');
    assert.equal(echo.stdout, 'hello world\n');
    assert.equal(echo.status.status, 'Success');
    const cat = await run(['cat'], 'line one\nline two\n');
    assert.equal(cat.stdout, 'line one\nline two\n', 'v5 closes stdin without closing the connection');
    const fail = await run(['sh', '-c', 'exit 3']);
    assert.equal(fail.status.status, 'Failure');
    assert.equal(fail.status.reason, 'NonZeroExitCode');
    assert.equal(fail.status.details?.causes?.[0]?.reason, 'ExitCode');
    assert.equal(fail.status.details?.causes?.[0]?.message, '3');
    assert.equal((await run(['id', '-u'])).stdout, '1000\n');
    const env = (await run(['env'])).stdout;
    assert.match(env, /^PLAIN=yes$/m);
    assert.match(env, /^TOKEN=sekret$/m, 'secretKeyRef is resolved');
    // env NAME=VALUE COMMAND runs the command with it (how Berth's exec sets TERM)
    const added = (await run(['env', 'TERM=xterm', 'env'])).stdout;
    assert.match(added, /^TERM=xterm$/m);
    assert.match(added, /^PLAIN=yes$/m);
    assert.equal((await run(['env', 'A=1', 'echo', 'hi'])).stdout, 'hi\n');
    assert.equal((await run(['env', 'A=1', 'nosuch'])).status.details?.causes?.[0]?.message, '127');
    const missing = await run(['nosuch']);
    assert.equal(missing.status.reason, 'InternalError');
    assert.match(missing.status.message!, /executable file not found/);
  });

  it('falls back to v4 when the server refuses v5, and a killed pod ends a sleep', async () => {
    server.setExecProtocols(['v4.channel.k8s.io']);
    try {
      const r = await run(['sh', '-c', 'exit 2']);
      assert.equal(r.protocol, 'v4.channel.k8s.io');
      assert.equal(r.status.details?.causes?.[0]?.message, '2');
      // A client that offers only v5 gets no protocol and the handshake fails.
      const url = `${server.url.replace('https', 'wss')}/api/v1/namespaces/x/pods/${pod}/exec?command=echo&stdout=true`;
      const ca = Buffer.from(c.kc.getCurrentCluster()!.caData!, 'base64');
      const refused = await new Promise<string>((resolve) => {
        const ws = new WebSocket(url, ['v5.channel.k8s.io'], {
          ca,
          headers: { authorization: `Bearer ${server.token}` },
        });
        ws.on('open', () => resolve('open'));
        ws.on('error', (e) => resolve(e.message));
      });
      assert.match(refused, /subprotocol/);
    } finally {
      server.setExecProtocols(['v5.channel.k8s.io', 'v4.channel.k8s.io']);
    }
    const out = collect();
    let status: V1Status | undefined;
    await new Exec(c.kc).exec(
      'x',
      pod,
      'app',
      ['sleep', '600'],
      out.stream,
      null,
      null,
      false,
      (s) => (status = s),
    );
    server.killContainer('x', pod, { exitCode: 137, reason: 'Error' });
    await waitFor('the sleep to end', () => status !== undefined);
    assert.equal(status!.details?.causes?.[0]?.message, '137');
  });

  it('runs an interactive shell on a tty: resize on channel 4, lines on stdin, its exit code on channel 3', async () => {
    const ca = Buffer.from(c.kc.getCurrentCluster()!.caData!, 'base64');
    const url = `${server.url.replace('https', 'wss')}/api/v1/namespaces/x/pods/${pod}/exec?command=sh&stdin=true&stdout=true&tty=true`;
    const ws = new WebSocket(url, ['v5.channel.k8s.io', 'v4.channel.k8s.io'], {
      ca,
      headers: { authorization: `Bearer ${server.token}` },
    });
    let out = '';
    let status: V1Status | undefined;
    ws.on('message', (d: Buffer) => {
      if (d[0] === 1) out += d.subarray(1).toString();
      if (d[0] === 3) status = JSON.parse(d.subarray(1).toString());
    });
    await new Promise((resolve, reject) => ws.on('open', resolve).on('error', reject));
    assert.equal(ws.protocol, 'v5.channel.k8s.io', 'the highest protocol offered');
    const frame = (channel: number, text: string) =>
      Buffer.concat([Buffer.from([channel]), Buffer.from(text)]);
    ws.send(frame(4, JSON.stringify({ Width: 120, Height: 40 })));
    ws.send(frame(0, 'stty size\n'));
    await waitFor('the terminal size', () => out.includes('40 120'));
    assert.ok(out.startsWith('$ '), 'a prompt on a tty');
    ws.send(frame(0, 'exit 4\n'));
    await waitFor('the shell to exit', () => status !== undefined);
    assert.equal(status!.reason, 'NonZeroExitCode');
    assert.equal(status!.details?.causes?.[0]?.message, '4');
    await waitFor('the server to close the connection', () => ws.readyState === WebSocket.CLOSED);
  });

  it('serves metrics.k8s.io pods when enabled and 404 when not', async () => {
    server.setPodUsage('x', pod, { cpu: '250m', memory: '64Mi' });
    const metrics = await new Metrics(c.kc).getPodMetrics('x');
    const box = metrics.items.find((m) => m.metadata.name === pod)!;
    assert.deepEqual(box.containers, [{ name: 'app', usage: { cpu: '250m', memory: '64Mi' } }]);
    const plain = await startFakeApiServer();
    try {
      const pc = clients(plain);
      await assert.rejects(new Metrics(pc.kc).getPodMetrics('default'), (e: Error) =>
        /404|Not Found/i.test(
          `${e.message} ${(e as { statusCode?: number }).statusCode ?? ''} ${JSON.stringify(e)}`,
        ),
      );
    } finally {
      await plain.close();
    }
  });
});
