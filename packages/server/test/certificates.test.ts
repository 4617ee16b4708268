import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestApi, eventually, type TestPlatform } from './helpers/platform';
import { startGatewayPlatform, type GatewayPlatform } from './helpers/gateway-platform';
import { makeCert, pemBody, servedFingerprint, type TestCert } from './helpers/certificates';
import { startAgentNode, type AgentNode } from './helpers/gateway-nodes';
import { testDialects } from './helpers/db';

type Obj = Record<string, unknown>;
// Tests walk JSON responses; typing each would only restate the assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const certs = (project: string) => `/api/v1/projects/${project}/certificates`;
const routes = (project: string) => `/api/v1/projects/${project}/envs/test/routes`;
const host = 'www.shop.example.test';

async function ok(res: Promise<{ status: number; body: unknown }>, status: number, what: string) {
  const r = await res;
  assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
  return r.body as Json;
}

async function userWith(p: TestPlatform, name: string, role: string, scope: Obj): Promise<TestApi> {
  const password = `pw-${name}-0123456789`;
  await ok(p.api.post('/api/v1/users', { name, password }), 201, `user ${name}`);
  await ok(p.api.post('/api/v1/bindings', { user: name, role, scope }), 201, `binding of ${name}`);
  return TestApi.login(p.url, name, password);
}

const routeSpec = (tls: Obj | undefined, h = host) => ({
  host: h,
  backends: { servers: [{ address: '10.20.0.9:80' }] },
  ...(tls ? { tls } : {}),
});

/**
 * The per-project certificate store, tried by the owner and by a developer of another project,
 * and served by real Nginx: the local gateway and one berth-gateway-agent node.
 */
for (const dialect of testDialects())
  describe(`certificates: a per-project store, used only by its project's routes (${dialect})`, () => {
    let p: GatewayPlatform;
    let devA: TestApi;
    let devB: TestApi;
    let dir: string;
    let site: TestCert;
    let renewed: TestCert;
    let other: TestCert;
    let expired: TestCert;
    let weak: TestCert;
    const agents: AgentNode[] = [];

    /** The newest audit events of a user on certificates and routes. */
    const auditOf = async (actor: string) =>
      (await ok(p.api.get(`/api/v1/audit?actor=${actor}&limit=100`), 200, 'audit')).items as Json[];

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'berth-certs-'));
      [site, renewed, other, expired, weak] = await Promise.all([
        makeCert(dir, 'site', [host, '*.shop.example.test']),
        makeCert(dir, 'renewed', [host]),
        makeCert(dir, 'other', ['elsewhere.example.test']),
        makeCert(dir, 'expired', [host], { expired: true }),
        makeCert(dir, 'weak', [host], { rsaBits: 1024 }),
      ]);
      p = await startGatewayPlatform({}, dialect);
      for (const [project, team] of [
        ['shop', 'team-shop'],
        ['rival', 'team-rival'],
      ] as const) {
        await ok(p.api.post('/api/v1/teams', { name: team }), 201, team);
        await ok(p.api.post('/api/v1/projects', { name: project, team }), 201, project);
        await ok(
          p.api.post('/api/v1/domains', {
            zone: `${project}.example.test`,
            owner: { kind: 'project', name: project },
          }),
          201,
          `zone of ${project}`,
        );
        await ok(
          p.api.post('/api/v1/networks', { cidr: '10.20.0.0/16', owner: { kind: 'project', name: project } }),
          201,
          `network of ${project}`,
        );
      }
      devA = await userWith(p, 'dev-a', 'developer', { kind: 'project', name: 'shop' });
      devB = await userWith(p, 'dev-b', 'developer', { kind: 'project', name: 'rival' });
    });
    after(async () => {
      for (const a of agents) {
        await a.kill('SIGTERM');
        a.stopNginx();
      }
      await p?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('uploads, lists and shows a certificate; its key is in no response, audit event or database page', async () => {
      const created = await ok(
        devA.post(certs('shop'), { name: 'site', certificate: site.certificate, key: site.key }),
        201,
        'upload',
      );
      assert.equal(created.name, 'site');
      assert.equal(created.fingerprint, site.fingerprint);
      assert.deepEqual(created.sans, [host, '*.shop.example.test']);
      assert.match(created.subject, /CN=www\.shop\.example\.test/);
      assert.ok(Date.parse(created.notAfter) > Date.now());
      assert.deepEqual(created.usedBy, []);
      const list = await ok(devA.get(certs('shop')), 200, 'list');
      assert.deepEqual(
        list.items.map((c: Json) => c.name),
        ['site'],
      );
      const one = await ok(devA.get(`${certs('shop')}/site`), 200, 'get');
      assert.equal(one.fingerprint, site.fingerprint);
      const body = pemBody(site.key);
      for (const r of [created, list, one]) {
        const text = JSON.stringify(r);
        assert.ok(
          !text.includes('PRIVATE KEY') && !text.includes(body.slice(20, 60)),
          'no key in a response',
        );
        assert.ok(!('key' in (r.items?.[0] ?? r)), 'no key field');
      }
      const events = await auditOf('dev-a');
      const upload = events.find((e) => e.action === 'certificates.create');
      assert.ok(upload, 'the upload is audited');
      assert.equal(upload.request.key, '[redacted]');
      assert.ok(!JSON.stringify(events).includes(body.slice(20, 60)), 'no key in the audit log');
      const row = await p.server.ctx.db
        .selectFrom('certificates')
        .selectAll()
        .where('name', '=', 'site')
        .executeTakeFirstOrThrow();
      assert.match(row.key_sealed, /^enc:v1:/);
      if (dialect === 'sqlite') {
        const file = p.server.ctx.config.databaseUrl;
        const pages = [file, `${file}-wal`]
          .map((f) => {
            try {
              return readFileSync(f).toString('latin1');
            } catch {
              return '';
            }
          })
          .join('');
        assert.ok(pages.includes(pemBody(site.certificate).slice(20, 60)), 'the chain is stored');
        assert.ok(!pages.includes(body.slice(20, 60)), 'the key is not in the database in plain text');
      }
    });

    it('refuses garbage, a key of another certificate, a weak key and an expired certificate at the field', async () => {
      const cases: [Obj, string, RegExp][] = [
        [{ certificate: 'not a pem', key: site.key }, 'certificate', /not a PEM certificate/],
        [
          // a line of the base64 body missing: the DER inside is cut
          {
            certificate: site.certificate
              .split('\n')
              .filter((_l, i) => i !== 3)
              .join('\n'),
            key: site.key,
          },
          'certificate',
          /does not parse/,
        ],
        [{ certificate: site.certificate, key: 'garbage' }, 'key', /not a PEM private key/],
        [{ certificate: site.certificate, key: other.key }, 'key', /does not match the certificate/],
        [{ certificate: expired.certificate, key: expired.key }, 'certificate', /expired on/],
        [{ certificate: weak.certificate, key: weak.key }, 'key', /RSA key of 1024 bits, too weak/],
        [
          { certificate: site.certificate + site.key, key: site.key },
          'certificate',
          /contains a private key/,
        ],
      ];
      for (const [input, field, message] of cases) {
        const r = await ok(devA.post(certs('shop'), { name: 'bad', ...input }), 400, `refused ${field}`);
        const f = r.error.details.fields.find((x: Json) => x.path === field);
        assert.ok(f, `field ${field} in ${JSON.stringify(r.error)}`);
        assert.match(f.message, message);
        assert.ok(!JSON.stringify(r).includes(pemBody(site.key).slice(20, 60)), 'no key in the error');
      }
      await ok(devA.get(`${certs('shop')}/bad`), 404, 'nothing stored');
    });

    it("a developer of another project cannot read, use, renew or delete the project's certificate", async () => {
      const before = await ok(p.api.get(`${certs('shop')}/site`), 200, 'admin reads');
      await ok(devB.get(certs('shop')), 404, 'list');
      await ok(devB.get(`${certs('shop')}/site`), 404, 'get');
      await ok(
        devB.put(`${certs('shop')}/site`, { certificate: other.certificate, key: other.key }),
        404,
        'renew',
      );
      await ok(devB.delete(`${certs('shop')}/site`), 404, 'delete');
      await ok(
        devB.post(certs('shop'), { name: 'planted', certificate: other.certificate, key: other.key }),
        404,
        'upload into the project',
      );
      const use = await ok(
        devB.post(routes('rival'), {
          name: 'steal',
          spec: routeSpec({ certificate: 'site' }, 'www.rival.example.test'),
        }),
        422,
        "a route of rival naming shop's certificate",
      );
      assert.deepEqual(
        use.error.details.fields.map((f: Json) => f.path),
        ['spec.tls.certificate'],
      );
      assert.match(use.error.message, /does not exist in project 'rival'/);
      const legacy = await ok(
        devB.post(routes('rival'), {
          name: 'steal',
          spec: routeSpec({ certificate: 'site.crt', key: 'site.key' }, 'www.rival.example.test'),
        }),
        403,
        'the shared-directory form',
      );
      assert.match(legacy.error.message, /platform admins only/);
      const bad = await ok(
        devB.post(routes('rival'), {
          name: 'steal',
          spec: routeSpec({ certificate: 'shop/site' }, 'www.rival.example.test'),
        }),
        400,
        'a path as the name',
      );
      assert.equal(bad.error.details.fields[0].path, 'spec.tls.certificate');
      const after = await ok(p.api.get(`${certs('shop')}/site`), 200, 'admin reads again');
      assert.deepEqual(after, before, 'nothing changed');
      await ok(devB.get(`${routes('rival')}/steal`), 404, 'no route was created');
      const events = await auditOf('dev-b');
      const seen = (action: string, result: string, status: number) =>
        assert.ok(
          events.some((e) => e.action === action && e.result === result && e.statusCode === status),
          `audited: ${action} ${result} ${status}`,
        );
      seen('certificates.list', 'denied', 404);
      seen('certificates.get', 'denied', 404);
      seen('certificates.replace', 'denied', 404);
      seen('certificates.delete', 'denied', 404);
      seen('certificates.create', 'denied', 404);
      seen('routes.create', 'failure', 422);
      seen('routes.create', 'denied', 403);
    });

    it('a route of the project serves the certificate through the local gateway', async () => {
      const r = await ok(
        devA.post(routes('shop'), { name: 'www', spec: routeSpec({ certificate: 'site' }) }),
        201,
        'route with TLS',
      );
      assert.deepEqual(r.route.spec.tls, { certificate: 'site' });
      const tlsListen = p.server.ctx.config.gatewayTlsListen!;
      assert.equal(await servedFingerprint(tlsListen, host), site.fingerprint);
      const projectDir = path.join(p.dataDir, 'gateway', 'certs', 'shop');
      const keyFile = path.join(
        projectDir,
        `site.${site.fingerprint.replace(/:/g, '').toLowerCase().slice(0, 16)}.key`,
      );
      assert.equal(statSync(keyFile).mode & 0o777, 0o600, 'the key file is 0600');
      const shown = await ok(devA.get(`${certs('shop')}/site`), 200, 'get');
      assert.deepEqual(shown.usedBy, [{ env: 'test', route: 'www', host, covered: true }]);
      const uncovered = await ok(
        devA.post(routes('shop'), {
          name: 'api',
          spec: { ...routeSpec({ certificate: 'site' }, 'api.v2.shop.example.test') },
        }),
        201,
        'a host the certificate does not cover',
      );
      assert.match(uncovered.warnings[0].message, /not api\.v2\.shop\.example\.test/);
      await ok(devA.delete(`${routes('shop')}/api`), 204, 'remove it again');
    });

    it('refuses to delete a certificate while a route uses it', async () => {
      const r = await ok(devA.delete(`${certs('shop')}/site`), 409, 'delete in use');
      assert.match(r.error.message, /used by route 'www'/);
      assert.deepEqual(r.error.details.usedBy, [{ env: 'test', route: 'www', host }]);
      await ok(devA.get(`${certs('shop')}/site`), 200, 'still there');
    });

    it('renewing re-applies the gateway: the new certificate is served', async () => {
      const r = await ok(
        devA.put(`${certs('shop')}/site`, { certificate: renewed.certificate, key: renewed.key, version: 1 }),
        200,
        'renew',
      );
      assert.equal(r.fingerprint, renewed.fingerprint);
      assert.equal(r.version, 2);
      assert.deepEqual(
        r.gateways.map((g: Json) => [g.gateway, g.error]),
        [['local', null]],
      );
      assert.equal(await servedFingerprint(p.server.ctx.config.gatewayTlsListen!, host), renewed.fingerprint);
      await ok(
        devA.put(`${certs('shop')}/site`, { certificate: site.certificate, key: site.key, version: 1 }),
        409,
        'a stale version',
      );
    });

    it('an agent node gets the certificate over its token and serves it', async () => {
      const node = await ok(p.api.post('/api/v1/gateways/local/nodes', { name: 'edge-1' }), 201, 'node');
      const agent = await startAgentNode('edge-1', dir, p.url, node.token);
      agents.push(agent);
      await eventually(
        async () =>
          (await servedFingerprint(agent.tlsListen, host).catch(() => null)) === renewed.fingerprint,
        'the agent node serves the renewed certificate',
        30_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${agent.output().slice(-2000)}`);
      });
      const id = renewed.fingerprint.replace(/:/g, '').toLowerCase().slice(0, 16);
      assert.equal(statSync(path.join(agent.certDir, 'shop', `site.${id}.key`)).mode & 0o777, 0o600);
      // once the route is gone the certificate can be deleted, and its files go with it
      await ok(devA.delete(`${routes('shop')}/www`), 204, 'route removed');
      await ok(devA.delete(`${certs('shop')}/site`), 204, 'certificate removed');
      await ok(devA.get(`${certs('shop')}/site`), 404, 'gone');
      assert.throws(() => statSync(path.join(p.dataDir, 'gateway', 'certs', 'shop', `site.${id}.key`)));
    });
  });
