import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse, stringify } from 'yaml';
import { isWorkloadEngine } from '@berth/engine-api';
import { namespaceName } from '@berth/engine-kubernetes';
import { PodmanEngine } from '@berth/engine-podman';
import {
  startFakeApiServer,
  testNamespace,
  testWorkload,
  type FakeApiServer,
} from '@berth/engine-kubernetes/testing';
import { buildServer, type BerthServer } from '../src/server';
import { SecretBox } from '../src/crypto/secret-box';
import { ClusterEngines } from '../src/modules/clusters/cluster-engines';
import { ClustersRepository } from '../src/modules/clusters/clusters.repository';
import {
  createTestDatabase,
  createUserWith,
  loginAs,
  testConfig,
  testDialects,
  type ApiResult,
  type Caller,
  type Json,
  type TestDatabase,
} from './helpers/db';
import { podmanSocket } from './helpers/platform';

const adminPassword = 'admin-password-for-kubernetes-cluster-tests';

async function ok(res: Promise<ApiResult>, status: number, what: string): Promise<Json> {
  const r = await res;
  assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
  return r.body;
}

type Obj = Record<string, unknown>;

/** The kubeconfig with its current user changed by `edit` (a wrong token, an exec plugin, ...). */
function withUser(kubeconfig: string, edit: (user: Obj) => Obj): string {
  const doc = parse(kubeconfig) as { users: { name: string; user: Obj }[] };
  doc.users = doc.users.map((u) => ({ ...u, user: edit(u.user) }));
  return stringify(doc);
}

/** The same kubeconfig with its users first: the token within the first lines (the audit log keeps 512 characters of a string). */
function tokenFirst(kubeconfig: string): string {
  const { users, ...rest } = parse(kubeconfig) as Obj;
  return stringify({ users, ...rest });
}

/** GET of an object from the test API server with its token (null when 404). */
function kubeGet(fake: FakeApiServer, path: string): Promise<Obj | null> {
  const url = new URL(path, fake.url);
  return new Promise((resolve, reject) => {
    https
      .get(url, { headers: { Authorization: `Bearer ${fake.token}` }, rejectUnauthorized: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve(
            res.statusCode === 404 ? null : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Obj),
          ),
        );
      })
      .on('error', reject);
  });
}

const nsSpec = (cluster: string, instance: string) =>
  testNamespace({ project: 'a', env: 'test', instance, cluster });
const workload = (cluster: string, instance: string) =>
  testWorkload({ project: 'a', env: 'test', instance, cluster, service: 'web', serviceId: 'svc-web' });

/**
 * A front for the test API server that forbids listing nodes (403, as an API server whose RBAC
 * does not grant it answers) and passes everything else on: the fake itself enforces no RBAC.
 */
async function forbidNodes(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && (req.url ?? '').startsWith('/api/v1/nodes')) {
      res.writeHead(403, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message:
            'nodes is forbidden: User "system:serviceaccount:berth:berth" cannot list resource "nodes" in API group "" at the cluster scope',
          reason: 'Forbidden',
          code: 403,
        }),
      );
      return;
    }
    const out = https.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        rejectUnauthorized: false,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Clusters of kind kubernetes against the test Kubernetes API server (engine-kubernetes/testing):
 * registered with a kubeconfig (sealed, never shown), checked through the engine's health and
 * capacity, refused credentials and missing rights said in words an admin can act on, and every
 * request that mixes up the kinds refused at its field with nothing stored.
 */
for (const dialect of testDialects())
  describe(`clusters of kind kubernetes: registration, health, credentials (${dialect})`, () => {
    let db: TestDatabase;
    let server: BerthServer;
    let admin: Caller;
    let dev: Caller;
    let fake: FakeApiServer;
    const instanceId = `k${randomBytes(4).toString('hex')}`;
    const engine = new PodmanEngine({ socketPath: podmanSocket, cluster: 'local' });

    const check = (name: string) => ok(admin.post(`/api/v1/clusters/${name}/check`), 200, `check ${name}`);
    const names = async () =>
      ((await ok(admin.get('/api/v1/clusters'), 200, 'list')).items as Json[]).map((c: Json) => c.name);

    before(async () => {
      fake = await startFakeApiServer();
      db = await createTestDatabase(dialect);
      server = await buildServer(
        testConfig(db, {
          BERTH_ADMIN_PASSWORD: adminPassword,
          BERTH_PODMAN_SOCKET: podmanSocket,
          BERTH_INSTANCE_ID: instanceId,
          BERTH_LISTEN: '127.0.0.1:0',
          // checks run when asked (POST …/check); the periodic round must not race the assertions
          BERTH_CLUSTER_CHECK_SECONDS: '3600',
          BERTH_CLUSTER_SLOW_MS: '20000',
        }),
        { engine },
      );
      await server.start();
      admin = await loginAs(server.app, 'admin', adminPassword);
      await ok(admin.post('/api/v1/teams', { name: 'alpha' }), 201, 'team');
      await ok(admin.post('/api/v1/projects', { name: 'a', team: 'alpha' }), 201, 'project');
      dev = await createUserWith(admin, 'dev-k', [
        { role: 'developer', scope: { kind: 'project', name: 'a' } },
      ]);
    });
    after(async () => {
      await server?.close();
      await fake?.close();
      await db?.drop();
    });

    it('registers a cluster with a kubeconfig: ready with the API server version and capacity, node-port by default', async () => {
      const created = await ok(
        admin.post('/api/v1/clusters', {
          name: 'k8s-a',
          kind: 'kubernetes',
          endpoint: fake.url,
          credentials: { kubeconfig: tokenFirst(fake.kubeconfig) },
          labels: { dc: 'dc1' },
        }),
        201,
        'create k8s-a',
      );
      assert.equal(created.kind, 'kubernetes');
      assert.equal(created.endpoint, fake.url);
      assert.equal(created.exposure, 'node-port');
      assert.equal(created.hasCredentials, true);
      assert.deepEqual(created.warnings, []);
      const checked = await check('k8s-a');
      assert.equal(checked.state, 'ready', JSON.stringify(checked));
      assert.equal(checked.message, null);
      assert.match(checked.engineVersion, /^v1\.\d+/);
      assert.equal(typeof checked.latencyMs, 'number');
      // two seeded nodes of 4 cpu and 8 GiB; nothing of Berth runs there yet
      assert.equal(checked.capacity.cpus, 8);
      assert.equal(checked.capacity.memoryBytes, 16 * 1024 ** 3);
      assert.deepEqual(checked.capacity.used, { cpus: 0, memoryBytes: 0, containers: 0 });
      // no Podman there to ask: the registry check says why it was not run, and judges nothing
      assert.equal(checked.registryCheck.ok, null);
      assert.match(checked.registryCheck.message, /pull secret/);
      const events = await ok(admin.get('/api/v1/clusters/k8s-a/events'), 200, 'events');
      assert.equal(events.items[0].type, 'StateChanged');
      assert.equal(events.items[0].toState, 'ready');
    });

    it('never returns the kubeconfig: admins see that it is set, developers see neither it nor the endpoint and cannot register', async () => {
      const asAdmin = await admin.get('/api/v1/clusters/k8s-a');
      assert.equal(asAdmin.body.hasCredentials, true);
      const list = await admin.get('/api/v1/clusters');
      for (const r of [asAdmin, list]) {
        const text = JSON.stringify(r.body);
        assert.ok(!text.includes(fake.token), 'the token is never in an answer');
        assert.ok(!text.includes('kubeconfig'), 'nor the kubeconfig');
      }
      const asDev = await ok(dev.get('/api/v1/clusters/k8s-a'), 200, 'dev reads');
      assert.equal(asDev.endpoint, null);
      assert.equal(asDev.hasCredentials, false);
      await ok(
        dev.post('/api/v1/clusters', {
          name: 'k8s-dev',
          kind: 'kubernetes',
          endpoint: fake.url,
          credentials: { kubeconfig: fake.kubeconfig },
        }),
        403,
        'dev registers',
      );
      await ok(
        dev.patch('/api/v1/clusters/k8s-a', { credentials: { kubeconfig: fake.kubeconfig } }),
        403,
        'dev replaces the kubeconfig',
      );
      assert.ok(!(await names()).includes('k8s-dev'));
      // the audit log records the refusal and the admin's create, never the kubeconfig's token
      const audit = await ok(admin.get('/api/v1/audit?limit=200'), 200, 'audit');
      const text = JSON.stringify(audit);
      assert.ok(!text.includes(fake.token), 'the audit log never holds the token');
      const created = (audit.items as Json[]).find(
        (e: Json) => e.action === 'clusters.create' && e.actor === 'admin' && e.target === 'k8s-a',
      );
      assert.ok(created, 'the create is audited');
      assert.ok(
        (audit.items as Json[]).some((e: Json) => e.action === 'clusters.create' && e.actor === 'dev-k'),
        "the developer's refused create is audited",
      );
    });

    it("a refused token is unreachable, saying the kubeconfig's credentials were refused and how to replace them", async () => {
      await ok(
        admin.post('/api/v1/clusters', {
          name: 'k8s-bad',
          kind: 'kubernetes',
          endpoint: fake.url,
          namespacePrefix: 'bad',
          credentials: { kubeconfig: withUser(fake.kubeconfig, (u) => ({ ...u, token: 'not-the-token' })) },
        }),
        201,
        'create k8s-bad',
      );
      const c = await check('k8s-bad');
      assert.equal(c.state, 'unreachable');
      assert.match(c.message, /kubeconfig's credentials were refused .*401/);
      assert.match(c.message, /berth clusters update k8s-bad --kubeconfig FILE/);
      assert.ok(!c.message.includes('not-the-token'), 'the token is not repeated');
      // replaced by a working one: ready again
      const fixed = await ok(
        admin.patch('/api/v1/clusters/k8s-bad', { credentials: { kubeconfig: fake.kubeconfig } }),
        200,
        'replace',
      );
      assert.equal(fixed.hasCredentials, true);
      assert.equal((await check('k8s-bad')).state, 'ready');
      await ok(admin.delete('/api/v1/clusters/k8s-bad'), 204, 'delete');
    });

    it('a missing RBAC right is degraded, naming the verb and resource to grant', async () => {
      const front = await forbidNodes(fake.url);
      try {
        const kubeconfig = (() => {
          const doc = parse(fake.kubeconfig) as { clusters: { cluster: Obj }[] };
          // plain http on loopback, as `kubectl proxy` serves: client-node wants TLS verification off for it
          doc.clusters[0]!.cluster = { server: front.url, 'insecure-skip-tls-verify': true };
          return stringify(doc);
        })();
        await ok(
          admin.post('/api/v1/clusters', {
            name: 'k8s-rbac',
            kind: 'kubernetes',
            endpoint: front.url,
            credentials: { kubeconfig },
          }),
          201,
          'create k8s-rbac',
        );
        const c = await check('k8s-rbac');
        assert.equal(c.state, 'degraded', JSON.stringify(c));
        assert.match(c.message, /list/);
        assert.match(c.message, /nodes/);
        await ok(admin.delete('/api/v1/clusters/k8s-rbac'), 204, 'delete');
      } finally {
        await front.close();
      }
    });

    it(
      'an in-cluster cluster where Berth runs outside any pod is unreachable, saying so',
      { skip: process.env.KUBERNETES_SERVICE_HOST ? 'these tests run in a Kubernetes pod' : false },
      async () => {
        await ok(
          admin.post('/api/v1/clusters', { name: 'k8s-in', kind: 'kubernetes', endpoint: 'in-cluster' }),
          201,
          'create k8s-in',
        );
        const c = await check('k8s-in');
        assert.equal(c.state, 'unreachable');
        assert.match(c.message, /does not run in a Kubernetes pod/);
        assert.equal(c.hasCredentials, false);
        await ok(admin.delete('/api/v1/clusters/k8s-in'), 204, 'delete');
      },
    );

    it('refuses requests that mix up the kinds, naming the field, and stores nothing', async () => {
      const before = await names();
      const refused = async (body: Obj, field: string, message: RegExp) => {
        const r = await ok(admin.post('/api/v1/clusters', body), 400, `${JSON.stringify(body).slice(0, 80)}`);
        const fields = r.error.details.fields as { path: string; message: string }[];
        assert.ok(
          fields.some((f) => f.path === field && message.test(f.message)),
          `${field} ${message}: ${JSON.stringify(fields)}`,
        );
      };
      await refused(
        {
          name: 'p-kube',
          kind: 'podman',
          endpoint: `unix://${podmanSocket}`,
          credentials: { kubeconfig: fake.kubeconfig },
        },
        'credentials.kubeconfig',
        /only for kind "kubernetes"/,
      );
      await refused(
        {
          name: 'k-ssh',
          kind: 'kubernetes',
          endpoint: fake.url,
          credentials: { kubeconfig: fake.kubeconfig, privateKey: 'ssh key' },
        },
        'credentials.privateKey',
        /only for podman/,
      );
      await refused(
        {
          name: 'k-url',
          kind: 'kubernetes',
          endpoint: 'ftp://k8s.example.net',
          credentials: { kubeconfig: fake.kubeconfig },
        },
        'endpoint',
        /https/,
      );
      await refused(
        {
          name: 'k-http',
          kind: 'kubernetes',
          endpoint: 'http://k8s.example.net:6443',
          credentials: { kubeconfig: fake.kubeconfig },
        },
        'endpoint',
        /plain http only on a loopback address/,
      );
      await refused(
        { name: 'k-none', kind: 'kubernetes', endpoint: fake.url },
        'credentials.kubeconfig',
        /is needed/,
      );
      await refused(
        {
          name: 'k-in',
          kind: 'kubernetes',
          endpoint: 'in-cluster',
          credentials: { kubeconfig: fake.kubeconfig },
        },
        'credentials.kubeconfig',
        /not used with endpoint "in-cluster"/,
      );
      await refused(
        { name: 'p-exp', kind: 'podman', endpoint: `unix://${podmanSocket}`, exposure: 'pod-ip' },
        'exposure',
        /only for kind "kubernetes"/,
      );
      // deep checks of the kubeconfig (the server's, with client-node)
      await refused(
        {
          name: 'k-exec',
          kind: 'kubernetes',
          endpoint: fake.url,
          credentials: {
            kubeconfig: withUser(fake.kubeconfig, () => ({
              exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'sh', args: ['-c', 'id'] },
            })),
          },
        },
        'credentials.kubeconfig',
        /"exec", which runs a command on Berth's host/,
      );
      await refused(
        {
          name: 'k-file',
          kind: 'kubernetes',
          endpoint: fake.url,
          credentials: { kubeconfig: withUser(fake.kubeconfig, () => ({ 'token-file': '/etc/passwd' })) },
        },
        'credentials.kubeconfig',
        /"token-file", which reads a file on Berth's host/,
      );
      await refused(
        {
          name: 'k-yaml',
          kind: 'kubernetes',
          endpoint: fake.url,
          credentials: { kubeconfig: 'clusters: [' },
        },
        'credentials.kubeconfig',
        /is not YAML/,
      );
      await refused(
        {
          name: 'k-other',
          kind: 'kubernetes',
          endpoint: 'https://k8s.example.net:6443',
          credentials: { kubeconfig: fake.kubeconfig },
        },
        'endpoint',
        /must be the API server of the kubeconfig's current context "fake"/,
      );
      assert.deepEqual(await names(), before, 'nothing was stored');
    });

    it("gives the fleet a kubernetes engine that applies the cluster's exposure and gateway CIDRs, replaced when they change", async () => {
      await ok(
        admin.post('/api/v1/clusters', {
          name: 'k8s-e',
          kind: 'kubernetes',
          endpoint: fake.url,
          credentials: { kubeconfig: fake.kubeconfig },
          gatewayCidrs: ['10.0.8.0/24'],
          namespacePrefix: 'e',
        }),
        201,
        'create k8s-e',
      );
      const engineInstance = `${instanceId}e`;
      const engines = new ClusterEngines(
        engine,
        new ClustersRepository(server.ctx.db),
        SecretBox.fromDataDir(db.dataDir),
        // another instance id: the running controller's sweep of orphans leaves these objects alone
        { instanceId: engineInstance },
      );
      try {
        const k = await engines.get('k8s-e');
        assert.equal(k.kind, 'kubernetes');
        assert.equal(k.cluster, 'k8s-e');
        assert.ok(isWorkloadEngine(k));
        assert.equal(await engines.get('k8s-e'), k, 'one engine while nothing changes');
        const objects = k.manifests(nsSpec('k8s-e', engineInstance), workload('k8s-e', engineInstance));
        const svc = objects.find((o) => o.kind === 'Service') as unknown as { spec: Obj };
        assert.equal(svc.spec.type, 'NodePort', 'the default exposure: NodePorts');
        // a route canary there gets a NodePort Service of its own too (what applyCanaries applies)
        const canary = k.canaryManifests([{ ...workload('k8s-e', engineInstance), release: 2 }]);
        assert.deepEqual(
          canary.map((o) => o.kind),
          ['Deployment', 'Service'],
        );
        assert.equal((canary[1] as unknown as { spec: Obj }).spec.type, 'NodePort');
        const policy = objects.find((o) => o.kind === 'NetworkPolicy') as unknown as {
          spec: { ingress: { from: Obj[] }[] };
        };
        assert.ok(
          policy.spec.ingress[0]!.from.some(
            (f) => JSON.stringify(f) === JSON.stringify({ ipBlock: { cidr: '10.0.8.0/24' } }),
          ),
          JSON.stringify(policy.spec),
        );
        // applied on the test API server: the Service there is a NodePort
        await k.applyNamespace(nsSpec('k8s-e', engineInstance));
        await k.applyWorkload(workload('k8s-e', engineInstance));
        // in the cluster's own prefixed namespace
        const ns = namespaceName('a', 'test', 'e');
        assert.equal(objects[0]!.metadata.name, ns);
        const applied = await kubeGet(fake, `/api/v1/namespaces/${ns}/services/web`);
        assert.equal((applied?.spec as Obj | undefined)?.type, 'NodePort');
        // an admin's change of exposure: a new engine, whose apply makes the Service a ClusterIP
        await ok(admin.patch('/api/v1/clusters/k8s-e', { exposure: 'pod-ip' }), 200, 'exposure');
        const k2 = await engines.get('k8s-e');
        assert.notEqual(k2, k);
        assert.ok(isWorkloadEngine(k2));
        await k2.applyWorkload(workload('k8s-e', engineInstance));
        const reapplied = await kubeGet(fake, `/api/v1/namespaces/${ns}/services/web`);
        assert.equal((reapplied?.spec as Obj | undefined)?.type, 'ClusterIP');
        await k2.deleteWorkload({ project: 'a', env: 'test', service: 'web', serviceId: 'svc-web' });
      } finally {
        await engines.close();
      }
      await ok(admin.delete('/api/v1/clusters/k8s-e'), 204, 'delete');
    });

    it('keeps two clusters on one API server apart by their namespace prefixes: refuses a shared, bad or changed prefix', async () => {
      const before = await names();
      const register = (name: string, extra: Obj) =>
        admin.post('/api/v1/clusters', {
          name,
          kind: 'kubernetes',
          endpoint: fake.url,
          credentials: { kubeconfig: fake.kubeconfig },
          ...extra,
        });
      // k8s-a has no prefix on this API server: a second one without a prefix would share its namespaces
      const shared = await ok(register('k8s-twin', {}), 400, 'a shared prefix');
      assert.match(shared.error.message, /Cluster 'k8s-a' is registered at .* with no namespace prefix/);
      assert.equal(shared.error.details.fields[0].path, 'namespacePrefix');
      for (const bad of ['Twin', 'twin-', '-twin', 'a'.repeat(41), 'tw_in']) {
        const r = await ok(register('k8s-twin', { namespacePrefix: bad }), 400, `prefix ${bad}`);
        assert.equal(r.error.details.fields[0].path, 'namespacePrefix', JSON.stringify(r));
      }
      const podman = await ok(
        admin.post('/api/v1/clusters', {
          name: 'pm-twin',
          endpoint: 'unix:///run/podman/podman.sock',
          namespacePrefix: 'x',
        }),
        400,
        'a podman cluster with a prefix',
      );
      assert.equal(podman.error.details.fields[0].path, 'namespacePrefix');
      assert.deepEqual(await names(), before, 'nothing was stored');
      const twin = await ok(register('k8s-twin', { namespacePrefix: 'twin' }), 201, 'create k8s-twin');
      assert.equal(twin.namespacePrefix, 'twin');
      assert.equal((await ok(admin.get('/api/v1/clusters/k8s-a'), 200, 'get')).namespacePrefix, '');
      // the prefix stays what it was registered with
      const changed = await ok(
        admin.patch('/api/v1/clusters/k8s-twin', { namespacePrefix: 'other' }),
        400,
        'change',
      );
      assert.equal(changed.error.details.fields[0].path, 'namespacePrefix');
      assert.match(changed.error.message, /keeps its namespace prefix "twin"/);
      await ok(admin.patch('/api/v1/clusters/k8s-twin', { namespacePrefix: 'twin' }), 200, 'unchanged');
      await ok(admin.delete('/api/v1/clusters/k8s-twin'), 204, 'delete');
    });

    it('changes exposure and gateway CIDRs of a kubernetes cluster, and refuses what its kind does not take', async () => {
      const changed = await ok(
        admin.patch('/api/v1/clusters/k8s-a', { exposure: 'pod-ip', gatewayCidrs: ['10.0.8.0/24'] }),
        200,
        'exposure',
      );
      assert.equal(changed.exposure, 'pod-ip');
      assert.deepEqual(changed.gatewayCidrs, ['10.0.8.0/24']);
      const refused = async (name: string, body: Obj, field: string) => {
        const r = await ok(admin.patch(`/api/v1/clusters/${name}`, body), 400, JSON.stringify(body));
        assert.equal(r.error.details.fields[0].path, field, JSON.stringify(r.body));
      };
      await refused('k8s-a', { publishAddress: '10.0.3.12' }, 'publishAddress');
      await refused('k8s-a', { credentials: null }, 'credentials.kubeconfig');
      await refused('k8s-a', { credentials: { privateKey: 'k' } }, 'credentials.privateKey');
      await refused('local', { exposure: 'pod-ip' }, 'exposure');
      await refused('local', { credentials: { kubeconfig: fake.kubeconfig } }, 'credentials.kubeconfig');
      const still = await ok(admin.get('/api/v1/clusters/k8s-a'), 200, 'get');
      assert.equal(still.exposure, 'pod-ip');
      assert.equal(still.hasCredentials, true);
      assert.equal((await check('k8s-a')).state, 'ready');
      await ok(admin.delete('/api/v1/clusters/k8s-a'), 204, 'delete');
    });
  });
