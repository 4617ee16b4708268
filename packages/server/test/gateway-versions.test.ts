import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestApi, eventually, makeProject, waitTask, webSpec } from './helpers/platform';
import { viaGateway } from './helpers/gateway-load';
import { startGatewayPlatform, type GatewayPlatform } from './helpers/gateway-platform';
import { testDialects } from './helpers/db';
import { grantZone } from './helpers/tenancy';

type Obj = Record<string, unknown>;
interface RouteBody {
  route: { version: number; spec: Obj };
  gatewayVersion: { number: number } | null;
}
const routes = '/api/v1/projects/shop/envs/test/routes';
const host = 'api.example.test';
const spec = (rev: number, extra: Obj = {}) => ({
  host,
  backends: { service: { name: 'web' } },
  headers: [{ name: 'X-Rev', value: String(rev) }],
  ...extra,
});

for (const dialect of testDialects())
  describe(`gateway versions, refusals and rollback (${dialect})`, () => {
    let p: GatewayPlatform;

    before(async () => {
      p = await startGatewayPlatform({}, dialect);
      const base = await makeProject(p.api, 'shop');
      await grantZone(p.api, 'example.test', 'shop');
      const r = await p.api.post<{ task: Obj }>(base, { name: 'web', spec: webSpec('v1', 1) });
      assert.equal((await waitTask(p.api, r.body.task.id as string)).state, 'succeeded');
      const c = await p.api.post<RouteBody>(routes, { name: 'api', spec: spec(0) });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      await eventually(async () => (await viaGateway(p.listen, host)).body === 'v1', 'the route serves');
    });
    after(async () => {
      await p?.close();
    });

    const gateway = async () => (await p.api.get<Obj>('/api/v1/gateways/local')).body;
    const current = async () => (await p.api.get<RouteBody['route']>(`${routes}/api`)).body;

    it('refuses a configuration Nginx rejects, with its message, and keeps serving', async () => {
      const before = await gateway();
      const bad = await p.api.put<{ error: { code: string; message: string; details: Obj } }>(
        `${routes}/api`,
        {
          version: (await current()).version,
          spec: spec(0, { tls: { certificate: 'missing.crt', key: 'missing.key' } }),
        },
      );
      assert.equal(bad.status, 422, JSON.stringify(bad.body));
      assert.match(bad.body.error.message, /cannot load certificate/);
      assert.match(String(bad.body.error.details.nginx), /missing\.crt/);
      const afterRefusal = await gateway();
      assert.equal(afterRefusal.appliedVersion, before.appliedVersion);
      assert.equal((await current()).spec.tls, undefined, 'the route was not changed');
      const res = await viaGateway(p.listen, host);
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-rev'], '0');
      const failed = await p.api.get<Obj>(
        `/api/v1/gateways/local/versions/${String(bad.body.error.details.version)}`,
      );
      assert.equal(failed.body.state, 'failed');
    });

    it('rolls back to a version from 10 changes ago, recorded as a new version', async () => {
      const start = (await gateway()).appliedVersion as number;
      for (let rev = 1; rev <= 10; rev += 1) {
        const up = await p.api.put<RouteBody>(`${routes}/api`, {
          version: (await current()).version,
          spec: spec(rev),
        });
        assert.equal(up.status, 200, JSON.stringify(up.body));
      }
      assert.equal((await viaGateway(p.listen, host)).headers['x-rev'], '10');
      const stale = await p.api.put(`${routes}/api`, { version: 1, spec: spec(99) });
      assert.equal(stale.status, 409);
      const all = await p.api.get<{ items: Obj[] }>('/api/v1/gateways/local/versions?kind=config&limit=50');
      const list = { body: { items: all.body.items.filter((v) => v.state === 'applied') } };
      const target = list.body.items[10]!;
      assert.ok((target.number as number) <= start, `version ${String(target.number)} is 10 changes old`);
      const diff = await p.api.get<{ diff: string }>(
        `/api/v1/gateways/local/versions/${String(target.number)}/diff/${String(list.body.items[0]!.number)}`,
      );
      assert.match(diff.body.diff, /- .*"X-Rev" "0"/);
      assert.match(diff.body.diff, /\+ .*"X-Rev" "10"/);
      const rb = await p.api.post<{ gatewayVersion: Obj }>(
        `/api/v1/gateways/local/versions/${String(target.number)}/rollback`,
        {},
      );
      assert.equal(rb.status, 200, JSON.stringify(rb.body));
      assert.ok((rb.body.gatewayVersion.number as number) > (list.body.items[0]!.number as number));
      assert.match(String(rb.body.gatewayVersion.reason), /rollback to version/);
      assert.equal((await viaGateway(p.listen, host)).headers['x-rev'], '0');
      assert.deepEqual((await current()).spec.headers, [{ name: 'X-Rev', value: '0' }]);
    });

    it('rejects injection attempts with 400 and changes nothing', async () => {
      const before = await gateway();
      const version = (await current()).version;
      const attempts: Obj[] = [
        spec(0, { host: 'a.example.test; include /etc/passwd' }),
        spec(0, { pathPrefix: '/x }\n server { listen 80; }' }),
        spec(0, { headers: [{ name: 'X-A', value: 'v"; lua_code_cache off; #' }] }),
        spec(0, { headers: [{ name: 'X-A', value: '$host' }] }),
        spec(0, { headers: [{ name: 'X-A\njs_import evil.js;', value: 'x' }] }),
        spec(0, { headers: [{ name: 'Set-Cookie', value: 'x' }] }),
        spec(0, { tls: { certificate: '../../etc/ssl/private/x.pem', key: 'k.key' } }),
        spec(0, { allow: ['10.0.0.0/8; allow all'] }),
        spec(0, { redirect: { url: "https://x.test/'a'" } }),
        spec(0, { backends: { servers: [{ address: '10.0.0.1:80 backup; include x' }] } }),
        spec(0, { headers: [{ name: 'X-A', value: 'a'.repeat(10_000) }] }),
        spec(0, { unknownField: 'include /etc/passwd;' }),
      ];
      for (const a of attempts) {
        const r = await p.api.put<{ error: { code: string; details: Obj } }>(`${routes}/api`, {
          version,
          spec: a,
        });
        assert.equal(r.status, 400, JSON.stringify(a).slice(0, 100));
        assert.ok(Array.isArray(r.body.error.details.fields), 'field errors are listed');
      }
      const canary = await p.api.post(`${routes}/api/canary`, {
        header: { name: 'X-C', value: 'a;b' },
        to: { service: 'web' },
      });
      assert.equal(canary.status, 400);
      const afterAttempts = await gateway();
      assert.equal(afterAttempts.appliedVersion, before.appliedVersion);
      assert.equal((await current()).version, version);
    });
    it('lets a developer edit routes of the project but not roll back a gateway or read its versions', async () => {
      const as = async (name: string, role: string) => {
        await p.api.post('/api/v1/users', { name, password: `${name}-password` });
        const b = await p.api.post('/api/v1/bindings', {
          user: name,
          role,
          scope: { kind: 'project', name: 'shop' },
        });
        assert.equal(b.status, 201, JSON.stringify(b.body));
        return TestApi.login(p.url, name, `${name}-password`);
      };
      const dev = await as('dave', 'developer');
      const viewer = await as('vera', 'viewer');
      const r = await dev.post<RouteBody>(routes, {
        name: 'dev',
        spec: { ...spec(1), host: 'dev.example.test' },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal((await viewer.get(`${routes}/dev`)).status, 200);
      assert.equal(
        (await viewer.post(routes, { name: 'v', spec: { ...spec(1), host: 'v.example.test' } })).status,
        403,
      );
      assert.equal((await dev.post('/api/v1/gateways/local/versions/1/rollback', {})).status, 403);
      assert.equal((await dev.get('/api/v1/gateways/local/versions')).status, 403);
      assert.equal((await dev.get('/api/v1/gateways/local')).status, 200);
    });
  });
