import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PodmanEngine } from '@berth/engine-podman';
import { buildServer, type BerthServer } from '../src/server';
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
import { eventually, podmanSocket, testImage } from './helpers/platform';
import { probePodman } from '../src/modules/clusters/cluster-probe';
import { ClustersRepository, type ClusterRow } from '../src/modules/clusters/clusters.repository';
import { ClusterHealthChecker } from '../src/modules/clusters/cluster-health';
import type { EndpointOpener } from '../src/modules/clusters/cluster-probe';
import type { SecretBox } from '../src/crypto/secret-box';
import type { FastifyBaseLogger } from 'fastify';

const adminPassword = 'admin-password-for-cluster-tests';
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The loopback sshd of scripts/test-sshd.sh (started when not running): its port and keys. */
async function testSshd(): Promise<{
  port: number;
  privateKey: string;
  knownHosts: string;
  otherKey: string;
}> {
  const { stdout } = await promisify(execFile)('bash', [path.join(repoRoot, 'scripts/test-sshd.sh')], {
    cwd: repoRoot,
  });
  const port = Number(stdout.trim().split('\n').pop());
  const dir = path.join(process.env.BERTH_TEST_DIR ?? '/tmp/berth-test', 'ssh');
  return {
    port,
    privateKey: readFileSync(path.join(dir, 'id_ed25519'), 'utf8'),
    knownHosts: readFileSync(path.join(dir, 'known_hosts'), 'utf8'),
    // A host key line the server does not present (the client key's public half).
    otherKey: `[127.0.0.1]:${port} ${readFileSync(path.join(dir, 'id_ed25519.pub'), 'utf8').split(' ').slice(0, 2).join(' ')}`,
  };
}

async function ok(res: Promise<ApiResult>, status: number, what: string): Promise<Json> {
  const r = await res;
  assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/**
 * The cluster registry against real Podman: a second cluster on the test Podman socket becomes
 * ready with latency and capacity (Berth's own containers counted), one on a socket that does
 * not exist is unreachable and says why, non-admins can neither change anything nor see
 * endpoints, and a cluster an environment names cannot be deleted.
 */
for (const dialect of testDialects())
  describe(`clusters: registry, health, cordon/drain, environments' clusters (${dialect})`, () => {
    let db: TestDatabase;
    let server: BerthServer;
    let admin: Caller;
    let dev: Caller;
    const instanceId = `c${randomBytes(4).toString('hex')}`;
    const engine = new PodmanEngine({ socketPath: podmanSocket, cluster: 'local' });
    const missingSocket = `/tmp/berth-test/no-such-${randomBytes(4).toString('hex')}.sock`;

    const auditOf = async (actor: string) =>
      (await ok(admin.get(`/api/v1/audit?actor=${actor}&limit=200`), 200, 'audit')).items as Json[];

    before(async () => {
      db = await createTestDatabase(dialect);
      server = await buildServer(
        testConfig(db, {
          BERTH_ADMIN_PASSWORD: adminPassword,
          BERTH_PODMAN_SOCKET: podmanSocket,
          BERTH_INSTANCE_ID: instanceId,
          BERTH_LISTEN: '127.0.0.1:0',
          BERTH_CLUSTER_CHECK_SECONDS: '1',
          // Both cores are busy during the suite: a slow ping must not make the real engine degraded here
          // (degraded is tried below against an engine that is slow on purpose).
          BERTH_CLUSTER_SLOW_MS: '20000',
        }),
      );
      await server.start();
      admin = await loginAs(server.app, 'admin', adminPassword);
      await ok(admin.post('/api/v1/teams', { name: 'alpha' }), 201, 'team');
      await ok(admin.post('/api/v1/projects', { name: 'a', team: 'alpha' }), 201, 'project');
      dev = await createUserWith(admin, 'dev-a', [
        { role: 'developer', scope: { kind: 'project', name: 'a' } },
      ]);
    });
    after(async () => {
      await server?.close();
      const left = await engine.listContainers({ 'berth.instance': instanceId });
      await Promise.all(left.map((c) => engine.removeContainer(c.id)));
      await db?.drop();
    });

    it('has the built-in cluster local (the configured socket), which the periodic check finds ready, and every env names it', async () => {
      const local = await eventually(async () => {
        const c = await ok(admin.get('/api/v1/clusters/local'), 200, 'local');
        return c.state === 'ready' ? c : null;
      }, 'local to be ready');
      assert.equal(local.endpoint, `unix://${podmanSocket}`);
      assert.equal(local.builtIn, true);
      assert.ok(local.capacity.cpus >= 1 && local.capacity.memoryBytes > 0, JSON.stringify(local.capacity));
      const envs = await ok(admin.get('/api/v1/envs'), 200, 'envs');
      for (const e of envs.items) {
        assert.deepEqual(e.clusters, ['local'], `env ${e.name}`);
        assert.deepEqual(e.failover, { graceSeconds: 60 });
      }
      const test = await ok(admin.get('/api/v1/envs/test'), 200, 'env test');
      assert.deepEqual(test.clusters, ['local']);
      await ok(admin.delete('/api/v1/clusters/local'), 409, 'local cannot be deleted');
    });

    it('registers a second cluster on the test Podman socket: ready, with latency and capacity counting Berth containers', async () => {
      const created = await ok(
        admin.post('/api/v1/clusters', {
          name: 'dc1-a',
          kind: 'podman',
          endpoint: `unix://${podmanSocket}`,
          labels: { dc: 'dc1' },
        }),
        201,
        'create dc1-a',
      );
      assert.equal(created.endpoint, `unix://${podmanSocket}`);
      assert.deepEqual(created.labels, { dc: 'dc1' });
      const ready = await eventually(async () => {
        const c = await ok(admin.get('/api/v1/clusters/dc1-a'), 200, 'dc1-a');
        return c.state === 'ready' ? c : null;
      }, 'dc1-a to be ready');
      assert.equal(typeof ready.latencyMs, 'number');
      assert.ok(ready.latencyMs >= 0, `latency ${ready.latencyMs}`);
      assert.ok(ready.lastCheckedAt, 'checked at');
      assert.ok(ready.capacity.cpus >= 1);
      assert.ok(ready.capacity.memoryBytes > 0);
      assert.ok(ready.capacity.allocatableMemoryBytes > 0);
      assert.ok(ready.capacity.allocatableMemoryBytes <= ready.capacity.memoryBytes);
      assert.deepEqual(ready.placed, []);
      const before = ready.capacity.used;

      // A container labelled as this Berth's, with limits: the next check counts it.
      await engine.ensureImage(testImage);
      await engine.runContainer({
        name: `${instanceId}-use`,
        image: testImage,
        command: ['sleep', '300'],
        env: {},
        labels: { 'berth.instance': instanceId },
        ports: [],
        cpu: 0.5,
        memoryMiB: 64,
      });
      const checked = await ok(admin.post('/api/v1/clusters/dc1-a/check'), 200, 'check now');
      assert.equal(checked.state, 'ready');
      assert.equal(checked.capacity.used.containers, before.containers + 1);
      assert.equal(checked.capacity.used.memoryBytes, before.memoryBytes + 64 * 1024 * 1024);
      assert.ok(Math.abs(checked.capacity.used.cpus - (before.cpus + 0.5)) < 0.01, JSON.stringify(checked));

      const byLabel = await ok(admin.get('/api/v1/clusters?label=dc=dc1'), 200, 'filter');
      assert.deepEqual(
        byLabel.items.map((c: Json) => c.name),
        ['dc1-a'],
      );
      const events = await ok(admin.get('/api/v1/clusters/dc1-a/events'), 200, 'events');
      assert.ok(
        events.items.some((e: Json) => e.type === 'StateChanged' && e.toState === 'ready'),
        JSON.stringify(events),
      );
    });

    it('a cluster whose socket does not exist is unreachable and says why', async () => {
      await ok(
        admin.post('/api/v1/clusters', {
          name: 'ghost',
          kind: 'podman',
          endpoint: `unix://${missingSocket}`,
        }),
        201,
        'create ghost',
      );
      const c = await ok(admin.post('/api/v1/clusters/ghost/check'), 200, 'check ghost');
      assert.equal(c.state, 'unreachable');
      assert.equal(c.latencyMs, null);
      assert.match(c.message, /not reachable/);
      assert.ok(c.message.includes(missingSocket), c.message);
      assert.match(c.message, /ENOENT/);
      const events = await ok(admin.get('/api/v1/clusters/ghost/events'), 200, 'events');
      const change = events.items.find((e: Json) => e.type === 'StateChanged');
      assert.equal(change?.toState, 'unreachable');
      assert.equal(change?.fromState, 'unknown');
    });

    it('reaches a cluster over ssh:// with sealed credentials; a wrong host key is unreachable and says so', async () => {
      const sshd = await testSshd();
      const endpoint = `ssh://root@127.0.0.1:${sshd.port}${podmanSocket}`;
      const far = await ok(
        admin.post('/api/v1/clusters', {
          name: 'far',
          kind: 'podman',
          endpoint,
          credentials: { privateKey: sshd.privateKey, knownHosts: sshd.knownHosts },
          labels: { dc: 'dc2' },
        }),
        201,
        'create far',
      );
      assert.equal(far.hasCredentials, true);
      assert.deepEqual(far.warnings, [], 'an ssh:// cluster on this host may publish on loopback');
      const ready = await ok(admin.post('/api/v1/clusters/far/check'), 200, 'check far');
      assert.equal(ready.state, 'ready', ready.message);
      assert.equal(typeof ready.latencyMs, 'number');
      assert.ok(ready.capacity.cpus >= 1 && ready.capacity.memoryBytes > 0);

      await ok(
        admin.patch('/api/v1/clusters/far', {
          credentials: { privateKey: sshd.privateKey, knownHosts: sshd.otherKey },
        }),
        200,
        'a wrong host key',
      );
      const refused = await ok(admin.post('/api/v1/clusters/far/check'), 200, 'check again');
      assert.equal(refused.state, 'unreachable');
      assert.match(refused.message, /Host key verification failed/);
      await ok(admin.delete('/api/v1/clusters/far'), 204, 'delete far');
    });

    it('refuses bad requests naming the field, with an example of a valid endpoint', async () => {
      const bad = await ok(
        admin.post('/api/v1/clusters', { name: 'dc2', kind: 'podman', endpoint: 'http://10.0.0.1:8080' }),
        422,
        'http endpoint',
      );
      assert.equal(bad.error.code, 'UNPROCESSABLE');
      assert.equal(bad.error.details.fields[0].path, 'endpoint');
      assert.match(bad.error.details.fields[0].message, /unix:\/\/\/run\/podman\/podman\.sock/);
      const relative = await ok(
        admin.post('/api/v1/clusters', { name: 'dc2', kind: 'podman', endpoint: 'unix://podman.sock' }),
        422,
        'relative socket',
      );
      assert.equal(relative.error.details.fields[0].path, 'endpoint');
      const name = await ok(
        admin.post('/api/v1/clusters', { name: 'DC_2', kind: 'podman', endpoint: `unix://${podmanSocket}` }),
        400,
        'bad name',
      );
      assert.equal(name.error.details.fields[0].path, 'name');
      const kind = await ok(
        admin.post('/api/v1/clusters', {
          name: 'dc2',
          kind: 'nomad',
          endpoint: `unix://${podmanSocket}`,
        }),
        400,
        'bad kind',
      );
      assert.equal(kind.error.details.fields[0].path, 'kind');
      assert.match(kind.error.details.fields[0].message, /"podman".*"kubernetes"/);
      const taken = await ok(
        admin.post('/api/v1/clusters', { name: 'dc1-a', kind: 'podman', endpoint: `unix://${podmanSocket}` }),
        409,
        'name taken',
      );
      assert.equal(taken.error.code, 'ALREADY_EXISTS');
      const missing = await ok(admin.get('/api/v1/clusters/nope'), 404, 'unknown');
      assert.equal(missing.error.code, 'CLUSTER_NOT_FOUND');
      await ok(admin.post('/api/v1/clusters/nope/cordon'), 404, 'cordon unknown');
      const envBad = await ok(
        admin.patch('/api/v1/envs/test', { clusters: ['local', 'nope'] }),
        422,
        'env names an unknown cluster',
      );
      assert.equal(envBad.error.details.fields[0].path, 'clusters[1]');
      const grace = await ok(
        admin.patch('/api/v1/envs/test', { failover: { graceSeconds: 1 } }),
        400,
        'grace',
      );
      assert.equal(grace.error.details.fields[0].path, 'failover.graceSeconds');
      await ok(admin.get('/api/v1/clusters/dc2'), 404, 'nothing was created');
    });

    it('takes a publish address and a registry address, refusing every interface and a scheme at the field', async () => {
      for (const [publishAddress, why] of [
        ['0.0.0.0', /not every interface/],
        ['10.0.0', /IPv4 address/],
        ['host.example.net', /not a name/],
        ['239.1.2.3', /multicast/],
      ] as const) {
        const bad = await ok(
          admin.post('/api/v1/clusters', { name: 'dc3', endpoint: `unix://${podmanSocket}`, publishAddress }),
          400,
          `publish address ${publishAddress}`,
        );
        assert.equal(bad.error.details.fields[0].path, 'publishAddress');
        assert.match(bad.error.details.fields[0].message, why);
      }
      const scheme = await ok(
        admin.post('/api/v1/clusters', {
          name: 'dc3',
          endpoint: `unix://${podmanSocket}`,
          registry: 'https://registry.dc3.example.net',
        }),
        400,
        'registry with a scheme',
      );
      assert.equal(scheme.error.details.fields[0].path, 'registry');
      await ok(admin.get('/api/v1/clusters/dc3'), 404, 'nothing was created');

      const made = await ok(
        admin.post('/api/v1/clusters', {
          name: 'dc3',
          endpoint: `unix://${podmanSocket}`,
          publishAddress: '10.0.3.12',
          registry: 'registry.dc3.example.net:5000',
        }),
        201,
        'create with addresses',
      );
      assert.equal(made.publishAddress, '10.0.3.12');
      assert.equal(made.registry, 'registry.dc3.example.net:5000');
      const local = await ok(admin.get('/api/v1/clusters/local'), 200, 'local');
      assert.equal(local.publishAddress, '127.0.0.1', 'the built-in cluster publishes on loopback');
      assert.equal(local.registry, null);
      const cleared = await ok(
        admin.patch('/api/v1/clusters/dc3', { registry: null, publishAddress: '10.0.3.13' }),
        200,
        'patch',
      );
      assert.equal(cleared.registry, null);
      assert.equal(cleared.publishAddress, '10.0.3.13');
      const refused = await ok(
        admin.patch('/api/v1/clusters/dc3', { publishAddress: '0.0.0.0' }),
        400,
        'patch 0.0.0.0',
      );
      assert.equal(refused.error.details.fields[0].path, 'publishAddress');
      assert.equal((await ok(admin.get('/api/v1/clusters/dc3'), 200, 'kept')).publishAddress, '10.0.3.13');
      await ok(admin.delete('/api/v1/clusters/dc3'), 204, 'delete');
    });

    it('keeps credentials sealed: admins see that they are set, nobody sees them', async () => {
      const key = `-----BEGIN OPENSSH PRIVATE KEY-----\nsecret-${randomBytes(8).toString('hex')}\n-----END OPENSSH PRIVATE KEY-----`;
      const patched = await ok(
        admin.patch('/api/v1/clusters/ghost', { credentials: { privateKey: key }, labels: { dc: 'dc9' } }),
        200,
        'set credentials',
      );
      assert.equal(patched.hasCredentials, true);
      assert.ok(!JSON.stringify(patched).includes('secret-'));
      const row = await server.ctx.db
        .selectFrom('clusters')
        .selectAll()
        .where('name', '=', 'ghost')
        .executeTakeFirstOrThrow();
      assert.ok(row.credentials_sealed?.startsWith('enc:v1:'), 'sealed');
      assert.ok(!JSON.stringify(row).includes('secret-'), 'no plain key in the row');
      const audit = await auditOf('admin');
      assert.ok(!JSON.stringify(audit).includes('secret-'), 'no key in the audit log');
      const cleared = await ok(admin.patch('/api/v1/clusters/ghost', { credentials: null }), 200, 'clear');
      assert.equal(cleared.hasCredentials, false);
    });

    it('cordons and drains: flags shown, events recorded, audited', async () => {
      const cordoned = await ok(admin.post('/api/v1/clusters/dc1-a/cordon'), 200, 'cordon');
      assert.equal(cordoned.cordoned, true);
      assert.equal(cordoned.draining, false);
      const drained = await ok(admin.post('/api/v1/clusters/dc1-a/drain'), 200, 'drain');
      assert.equal(drained.draining, true);
      const shown = await ok(admin.get('/api/v1/clusters/dc1-a'), 200, 'get');
      assert.equal(shown.cordoned, true);
      assert.equal(shown.draining, true);
      await ok(admin.post('/api/v1/clusters/dc1-a/undrain'), 200, 'undrain');
      const un = await ok(admin.post('/api/v1/clusters/dc1-a/uncordon'), 200, 'uncordon');
      assert.equal(un.cordoned, false);
      assert.equal(un.draining, false);
      const events = (await ok(admin.get('/api/v1/clusters/dc1-a/events'), 200, 'events')).items as Json[];
      assert.deepEqual(
        events
          .filter((e) => e.type !== 'StateChanged')
          .map((e) => e.type)
          .reverse(),
        ['Cordoned', 'Draining', 'Undrained', 'Uncordoned'],
      );
      const audit = await auditOf('admin');
      for (const action of ['clusters.cordon', 'clusters.drain', 'clusters.undrain', 'clusters.uncordon'])
        assert.ok(
          audit.some((e) => e.action === action && e.result === 'success' && e.target === 'dc1-a'),
          `audited ${action}`,
        );
    });

    it('a developer reads clusters without endpoints, and every write is refused (403), audited, and changes nothing', async () => {
      const before = await ok(admin.get('/api/v1/clusters/dc1-a'), 200, 'admin reads');
      const list = await ok(dev.get('/api/v1/clusters'), 200, 'dev lists');
      assert.ok(list.items.length >= 3);
      for (const c of list.items) {
        assert.equal(c.endpoint, null, `no endpoint of ${c.name}`);
        assert.equal(c.hasCredentials, false);
      }
      const one = await ok(dev.get('/api/v1/clusters/dc1-a'), 200, 'dev reads one');
      assert.equal(one.endpoint, null);
      assert.equal(one.state, 'ready');

      const refused: Array<[string, Promise<ApiResult>]> = [
        [
          'clusters.create',
          dev.post('/api/v1/clusters', { name: 'mine', kind: 'podman', endpoint: `unix://${podmanSocket}` }),
        ],
        ['clusters.cordon', dev.post('/api/v1/clusters/dc1-a/cordon')],
        ['clusters.drain', dev.post('/api/v1/clusters/dc1-a/drain')],
        ['clusters.update', dev.patch('/api/v1/clusters/dc1-a', { endpoint: 'unix:///tmp/x.sock' })],
        ['clusters.delete', dev.delete('/api/v1/clusters/dc1-a')],
        ['clusters.check', dev.post('/api/v1/clusters/dc1-a/check')],
        ['envs.update', dev.patch('/api/v1/envs/test', { clusters: ['dc1-a'] })],
      ];
      for (const [action, res] of refused) {
        const body = await ok(res, 403, action);
        assert.equal(body.error.code, 'FORBIDDEN');
        assert.match(body.error.message, /clusters:write/);
      }
      const audit = await auditOf('dev-a');
      for (const [action] of refused)
        assert.ok(
          audit.some((e) => e.action === action && e.result === 'denied' && e.statusCode === 403),
          `audited denial of ${action}`,
        );
      await ok(admin.get('/api/v1/clusters/mine'), 404, 'nothing created');
      const afterwards = await ok(admin.get('/api/v1/clusters/dc1-a'), 200, 'admin reads again');
      assert.equal(afterwards.version, before.version);
      assert.equal(afterwards.cordoned, false);
      assert.equal(afterwards.endpoint, before.endpoint);
      assert.deepEqual((await ok(admin.get('/api/v1/envs/test'), 200, 'env')).clusters, ['local']);
    });

    it('keeps only the newest events of a cluster (a flapping cluster does not grow the table)', async () => {
      const repo = new ClustersRepository(server.ctx.db);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const id = `zz${String(i).padStart(3, '0')}${randomBytes(4).toString('hex')}`;
        ids.push(id);
        await repo.addEvent(
          {
            id,
            cluster: 'ghost',
            at: new Date().toISOString(),
            type: 'Test',
            from_state: null,
            to_state: null,
            message: `e${i}`,
          },
          3,
        );
      }
      const left = await ok(admin.get('/api/v1/clusters/ghost/events?limit=50'), 200, 'events');
      assert.deepEqual(
        left.items.map((e: Json) => e.id),
        ids.slice(2).reverse(),
      );
    });

    it('environments name their clusters; a cluster an environment names cannot be deleted', async () => {
      const env = await ok(
        admin.patch('/api/v1/envs/test', { clusters: ['local', 'dc1-a'], failover: { graceSeconds: 90 } }),
        200,
        'set clusters',
      );
      assert.deepEqual(env.clusters, ['local', 'dc1-a']);
      assert.deepEqual(env.failover, { graceSeconds: 90 });
      const listed = await ok(admin.get('/api/v1/envs'), 200, 'envs');
      assert.deepEqual(listed.items.find((e: Json) => e.name === 'test').clusters, ['local', 'dc1-a']);
      const inUse = await ok(admin.delete('/api/v1/clusters/dc1-a'), 409, 'delete while named');
      assert.equal(inUse.error.code, 'CLUSTER_IN_USE');
      assert.match(inUse.error.message, /'test'/);
      assert.deepEqual(inUse.error.details.envs, ['test']);
      await ok(admin.get('/api/v1/clusters/dc1-a'), 200, 'still there');

      await ok(admin.patch('/api/v1/envs/test', { clusters: ['local'] }), 200, 'unname');
      await ok(admin.delete('/api/v1/clusters/dc1-a'), 204, 'delete');
      await ok(admin.get('/api/v1/clusters/dc1-a'), 404, 'gone');
      await ok(admin.get('/api/v1/clusters/dc1-a/events'), 404, 'its events are gone too');
      await ok(admin.delete('/api/v1/clusters/ghost'), 204, 'delete ghost');
    });
  });

/**
 * Degraded: an engine that answers the ping slowly, or whose info fails. A small libpod stand-in
 * on a unix socket plays it (the real Podman cannot be made slow or broken on demand).
 */
describe('clusters: the health probe calls a slow or half-broken engine degraded', () => {
  let dir: string;
  let server: http.Server;
  let socket: string;
  let pingDelayMs = 0;
  let infoStatus = 200;
  /** Berth's containers the fake engine lists (each with 64 MiB). */
  let listed: string[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'berth-probe-'));
    socket = path.join(dir, 'podman.sock');
    server = http.createServer((req, res) => {
      if (req.url?.endsWith('/_ping')) {
        setTimeout(() => res.end('OK'), pingDelayMs);
      } else if (req.url?.endsWith('/info')) {
        res.statusCode = infoStatus;
        res.setHeader('content-type', 'application/json');
        res.end(
          infoStatus === 200
            ? JSON.stringify({ host: { cpus: 4, memTotal: 8 * 2 ** 30, memFree: 6 * 2 ** 30 } })
            : JSON.stringify({ message: 'storage is locked', response: infoStatus }),
        );
      } else if (req.url?.includes('/containers/json')) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(listed.map((Id) => ({ Id }))));
      } else if (/\/containers\/[^/]+\/json/.test(req.url ?? '')) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ HostConfig: { Memory: 64 * 2 ** 20 } }));
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const opts = { timeoutMs: 2000, slowMs: 200, instanceId: 'probe' };

  it('answers in time with info: ready, with its capacity', async () => {
    pingDelayMs = 0;
    infoStatus = 200;
    const r = await probePodman(socket, opts);
    assert.equal(r.state, 'ready');
    assert.deepEqual(r.capacity, {
      cpus: 4,
      memoryBytes: 8 * 2 ** 30,
      allocatableMemoryBytes: 6 * 2 ** 30,
      used: { cpus: 0, memoryBytes: 0, containers: 0 },
    });
  });

  it('a round that only pings reads no info (the last capacity stays)', async () => {
    pingDelayMs = 0;
    infoStatus = 500;
    const r = await probePodman(socket, opts, false);
    assert.equal(r.state, 'ready', 'the broken info was not asked');
    assert.equal(r.capacity, null);
    infoStatus = 200;
  });

  it('a ping slower than the threshold: degraded, saying how slow', async () => {
    pingDelayMs = 400;
    infoStatus = 200;
    const r = await probePodman(socket, opts);
    assert.equal(r.state, 'degraded');
    assert.ok((r.latencyMs ?? 0) >= 400, String(r.latencyMs));
    assert.match(r.message ?? '', /answers slowly: the ping took \d+ ms \(more than 200 ms\)/);
    assert.equal(r.capacity?.cpus, 4, 'capacity is still read');
  });

  it("info fails: degraded with Podman's reason", async () => {
    pingDelayMs = 0;
    infoStatus = 500;
    const r = await probePodman(socket, opts);
    assert.equal(r.state, 'degraded');
    assert.match(r.message ?? '', /info failed: storage is locked/);
    assert.equal(r.capacity, null);
  });

  it('"Check now" reads the cluster after the ask, not through a check that began before it', async () => {
    pingDelayMs = 0;
    infoStatus = 200;
    listed = [];
    const row = {
      name: 'c',
      endpoint: `unix://${socket}`,
      credentials_sealed: null,
      registry_address: null,
      state: 'ready',
      registry_check: null,
      capacity: null,
    } as unknown as ClusterRow;
    const repo = {
      find: () => Promise.resolve(row),
      setHealth: () => Promise.resolve(),
      addEvent: () => Promise.resolve(),
    } as unknown as ClustersRepository;
    // the round's check has read the engine and is closing its connection when the admin asks
    let closing!: () => void;
    const readDone = new Promise<void>((r) => (closing = r));
    let letClose!: () => void;
    const closeGate = new Promise<void>((r) => (letClose = r));
    let opened = 0;
    const open: EndpointOpener = () => {
      const first = ++opened === 1;
      return Promise.resolve({
        socketPath: socket,
        close: () => {
          if (!first) return Promise.resolve();
          closing();
          return closeGate;
        },
      });
    };
    const log = { info: () => undefined, warn: () => undefined } as unknown as FastifyBaseLogger;
    const checker = new ClusterHealthChecker(repo, {} as SecretBox, open, log, {
      ...opts,
      intervalMs: 60_000,
    });
    const round = checker.check(row);
    await readDone;
    listed = ['started-after-the-round-read'];
    const asked = checker.check(row, true, true);
    letClose();
    assert.equal((await round).capacity?.used.containers, 0, 'the round read the engine before');
    const now = await asked;
    assert.equal(
      now.capacity?.used.containers,
      1,
      'the asked check sees the container started before the ask',
    );
    assert.equal(now.capacity?.used.memoryBytes, 64 * 2 ** 20);
    assert.equal(opened, 2, 'a check of its own');
    listed = [];
  });

  it('no answer to the ping within the bound: unreachable, saying so', async () => {
    pingDelayMs = 3000;
    const r = await probePodman(socket, { ...opts, timeoutMs: 300 });
    assert.equal(r.state, 'unreachable');
    assert.match(r.message ?? '', /did not answer GET \/_ping within 300 ms/);
    pingDelayMs = 0;
  });
});
