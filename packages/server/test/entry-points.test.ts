import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestApi, startPlatform, testImage, type TestPlatform } from './helpers/platform';
import { testDialects } from './helpers/db';

type Obj = Record<string, unknown>;
// Tests walk JSON responses; typing each would only restate the assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const ports = '/api/v1/envs/test/entry-ports';
const eps = (project: string) => `/api/v1/projects/${project}/envs/test/entry-points`;

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

for (const dialect of testDialects()) {
  describe(`TCP/UDP entry points: port assignments and the tenancy wall (${dialect})`, () => {
    let p: TestPlatform;
    let devB: TestApi;

    before(async () => {
      p = await startPlatform({}, { dialect });
      for (const team of ['alpha', 'beta']) await ok(p.api.post('/api/v1/teams', { name: team }), 201, team);
      await ok(p.api.post('/api/v1/projects', { name: 'a', team: 'alpha' }), 201, 'project a');
      await ok(p.api.post('/api/v1/projects', { name: 'b', team: 'beta' }), 201, 'project b');
      for (const project of ['a', 'b'])
        await ok(
          p.api.post(`/api/v1/projects/${project}/envs/test/services`, {
            name: `db-${project}`,
            spec: {
              image: testImage,
              command: ['sleep', '3600'],
              replicas: 0,
              ports: [{ containerPort: 6379 }],
            },
          }),
          202,
          `service of ${project}`,
        );
      devB = await userWith(p, 'dev-b', 'developer', { kind: 'project', name: 'b' });
    });
    after(async () => {
      await p?.close();
    });

    /** The last audit event of dev-b for `action` is a denial or failure with the answer's message. */
    async function auditedRefusal(action: string, message: string) {
      const audit = await p.api.get<{ items: Obj[] }>(`/api/v1/audit?actor=dev-b&action=${action}&limit=1`);
      const row = audit.body.items[0];
      assert.ok(row, `an audit event for ${action}`);
      assert.ok(['denied', 'failure'].includes(row.result as string), JSON.stringify(row));
      assert.equal(row.message, message);
    }

    it('an admin assigns a port and a range; a taken port is refused naming its owner', async () => {
      const one = await ok(
        p.api.post(ports, { project: 'a', protocol: 'tcp', port: 16379 }),
        201,
        'assign a',
      );
      assert.deepEqual(
        one.items.map((i: Obj) => [i.port, i.project, i.protocol]),
        [[16379, 'a', 'tcp']],
      );
      const range = await ok(
        p.api.post(ports, { project: 'b', protocol: 'tcp', from: 26379, to: 26381 }),
        201,
        'assign b',
      );
      assert.deepEqual(
        range.items.map((i: Obj) => i.port),
        [26379, 26380, 26381],
      );
      const taken = await ok(
        p.api.post(ports, { project: 'b', protocol: 'tcp', from: 16378, to: 16380 }),
        409,
        'taken',
      );
      assert.match(taken.error.message, /16379\/tcp .* already assigned to project 'a'/);
      // the refused range wrote nothing
      const list = await ok(p.api.get(ports), 200, 'list');
      assert.deepEqual(
        list.items.map((i: Obj) => `${String(i.port)}:${String(i.project)}`),
        ['16379:a', '26379:b', '26380:b', '26381:b'],
      );
      // UDP is a separate namespace
      await ok(p.api.post(ports, { project: 'b', protocol: 'udp', port: 16379 }), 201, 'udp 16379');
      await ok(p.api.call('DELETE', `${ports}/udp/16379`), 204, 'release udp');
    });

    it('refuses bad input at the field, privileged ports without allowPrivileged, the gateway listeners', async () => {
      const big = await ok(
        p.api.post(ports, { project: 'a', protocol: 'tcp', from: 30000, to: 31000 }),
        400,
        'big',
      );
      assert.ok(big.error.details.fields.some((f: Obj) => f.path === 'to'));
      const both = await ok(p.api.post(ports, { project: 'a', protocol: 'tcp' }), 400, 'none');
      assert.ok(both.error.details.fields.some((f: Obj) => f.path === 'port'));
      const bad = await ok(p.api.post(ports, { project: 'a', protocol: 'sctp', port: 70000 }), 400, 'bad');
      const paths = bad.error.details.fields.map((f: Obj) => f.path);
      assert.ok(paths.includes('protocol') && paths.includes('port'), JSON.stringify(paths));
      const low = await ok(p.api.post(ports, { project: 'a', protocol: 'udp', port: 53 }), 400, 'privileged');
      assert.match(low.error.message, /allowPrivileged/);
      await ok(
        p.api.post(ports, { project: 'a', protocol: 'udp', port: 53, allowPrivileged: true }),
        201,
        'allowed',
      );
      const ghost = await ok(
        p.api.post(ports, { project: 'nope', protocol: 'tcp', port: 40000 }),
        400,
        'ghost',
      );
      assert.ok(ghost.error.details.fields.some((f: Obj) => f.path === 'project'));
      // a gateway of the env listens on 7443 (TLS): the port is the gateway's
      const now = new Date().toISOString();
      await p.server.ctx.db
        .insertInto('gateways')
        .values({
          id: 'g-entry-test',
          name: 'entrygw',
          env: 'test',
          listen: '127.0.0.1:7080',
          tls_listen: '127.0.0.1:7443',
          domain_suffix: 'localhost',
          applied_version: 0,
          last_version: 0,
          created_at: now,
          updated_at: now,
          created_by: 'test',
          version: 1,
        })
        .execute();
      try {
        const gw = await ok(
          p.api.post(ports, { project: 'a', protocol: 'tcp', from: 7440, to: 7450 }),
          409,
          'gw',
        );
        assert.match(gw.error.message, /7443 is a listener of gateway 'entrygw'/);
      } finally {
        await p.server.ctx.db.deleteFrom('gateways').where('id', '=', 'g-entry-test').execute();
      }
    });

    it('a developer of b cannot assign ports nor see the assignments of the env', async () => {
      const r = await devB.post<Json>(ports, { project: 'b', protocol: 'tcp', port: 45000 });
      assert.equal(r.status, 403);
      await auditedRefusal('entryPorts.assign', r.body.error.message);
      assert.equal((await devB.get(ports)).status, 403);
      const mine = await ok(devB.get('/api/v1/projects/b/envs/test/entry-ports'), 200, 'own ports');
      assert.deepEqual(
        mine.items.map((i: Obj) => i.port),
        [26379, 26380, 26381],
      );
      // project a is hidden from b: 404, as if it did not exist
      assert.equal((await devB.get('/api/v1/projects/a/envs/test/entry-ports')).status, 404);
    });

    it("b cannot use a's port, a port nobody assigned, nor a's service", async () => {
      const body = { protocol: 'tcp', serviceName: 'db-b', servicePort: 6379 };
      const ofA = await devB.post<Json>(eps('b'), { ...body, port: 16379 });
      assert.equal(ofA.status, 403, JSON.stringify(ofA.body));
      assert.doesNotMatch(ofA.body.error.message, /'a'/, 'the owner is not named to b');
      await auditedRefusal('entryPoints.create', ofA.body.error.message);
      const nobody = await devB.post<Json>(eps('b'), { ...body, port: 40001 });
      assert.equal(nobody.status, 403);
      // the same answer whether the port is another project's or nobody's
      assert.equal(
        nobody.body.error.message.replace('40001', 'N'),
        ofA.body.error.message.replace('16379', 'N'),
      );
      const svcA = await devB.post<Json>(eps('b'), { ...body, port: 26379, serviceName: 'db-a' });
      assert.equal(svcA.status, 400);
      assert.ok(svcA.body.error.details.fields.some((f: Obj) => f.path === 'serviceName'));
      await auditedRefusal('entryPoints.create', svcA.body.error.message);
      const intoA = await devB.post<Json>(eps('a'), { ...body, port: 16379, serviceName: 'db-a' });
      assert.equal(intoA.status, 404, 'project a is hidden from b');
      assert.equal((await devB.get(eps('a'))).status, 404);
      assert.equal((await devB.get(`${eps('a')}/tcp/16379`)).status, 404);
      assert.equal((await p.api.get<Json>(eps('a'))).body.items.length, 0, 'nothing was created in a');
    });

    it('b maps its port to its service; versions guard updates; the port cannot be released while used', async () => {
      const created = await ok(
        devB.post(eps('b'), {
          protocol: 'tcp',
          port: 26379,
          serviceName: 'db-b',
          servicePort: 6379,
          maxFails: 2,
        }),
        201,
        'create',
      );
      assert.equal(created.version, 1);
      assert.equal(created.maxFails, 2);
      const noPort = await devB.post<Json>(eps('b'), {
        protocol: 'tcp',
        port: 26380,
        serviceName: 'db-b',
        servicePort: 9999,
      });
      assert.equal(noPort.status, 400);
      assert.ok(noPort.body.error.details.fields.some((f: Obj) => f.path === 'servicePort'));
      const udpOnly = await devB.post<Json>(eps('b'), {
        protocol: 'tcp',
        port: 26380,
        serviceName: 'db-b',
        servicePort: 6379,
        udpResponses: 1,
      });
      assert.equal(udpOnly.status, 400);
      assert.ok(udpOnly.body.error.details.fields.some((f: Obj) => f.path === 'udpResponses'));
      const dup = await devB.post<Json>(eps('b'), {
        protocol: 'tcp',
        port: 26379,
        serviceName: 'db-b',
        servicePort: 6379,
      });
      assert.equal(dup.status, 409);

      const updated = await ok(
        devB.put(`${eps('b')}/tcp/26379`, { version: 1, timeoutSeconds: 3600 }),
        200,
        'update',
      );
      assert.equal(updated.version, 2);
      assert.equal(updated.timeoutSeconds, 3600);
      const stale = await devB.put<Json>(`${eps('b')}/tcp/26379`, { version: 1, maxFails: 5 });
      assert.equal(stale.status, 409);
      assert.equal(stale.body.error.details.currentVersion, 2);
      const got = await ok(devB.get(`${eps('b')}/tcp/26379`), 200, 'get');
      assert.equal(got.maxFails, 2, 'the stale update changed nothing');
      assert.equal((await p.api.get<Json>(`${eps('a')}/tcp/26379`)).status, 404, "not a's");

      const inUse = await ok(p.api.call('DELETE', `${ports}/tcp/26379`), 409, 'release in use');
      assert.match(inUse.error.message, /used by an entry point of project 'b'/);
      assert.equal((await devB.call('DELETE', `${eps('b')}/tcp/26379?version=1`)).status, 409);
      assert.equal((await devB.call('DELETE', `${eps('b')}/tcp/26379?version=2`)).status, 204);
      await ok(p.api.call('DELETE', `${ports}/tcp/26379`), 204, 'release');
      assert.equal((await p.api.call('DELETE', `${ports}/tcp/26379`)).status, 404);
      const audit = await p.api.get<{ items: Obj[] }>(
        '/api/v1/audit?actor=dev-b&action=entryPoints.update&limit=5',
      );
      assert.ok(audit.body.items.some((r) => r.result === 'success'));
    });
  });
}
