import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestApi, startPlatform, type TestPlatform } from './helpers/platform';
import { startGatewayPlatform, type GatewayPlatform } from './helpers/gateway-platform';
import { testDialects } from './helpers/db';
import { freePort } from './helpers/net';

type Obj = Record<string, unknown>;
// Tests walk JSON responses; typing each would only restate the assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const routesOf = (project: string) => `/api/v1/projects/${project}/envs/test/routes`;

async function ok(res: Promise<{ status: number; body: unknown }>, status: number, what: string) {
  const r = await res;
  assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
  return r.body as Json;
}

/** Creates a user with one binding and returns their API client. */
async function userWith(p: TestPlatform, name: string, role: string, scope: Obj): Promise<TestApi> {
  const password = `pw-${name}-0123456789`;
  await ok(p.api.post('/api/v1/users', { name, password }), 201, `user ${name}`);
  await ok(p.api.post('/api/v1/bindings', { user: name, role, scope }), 201, `binding of ${name}`);
  return TestApi.login(p.url, name, password);
}

/** Teams alpha (projects a, a2) and beta (project b). */
async function seedTeams(p: TestPlatform) {
  for (const team of ['alpha', 'beta']) await ok(p.api.post('/api/v1/teams', { name: team }), 201, team);
  for (const [name, team] of [
    ['a', 'alpha'],
    ['a2', 'alpha'],
    ['b', 'beta'],
  ])
    await ok(p.api.post('/api/v1/projects', { name, team }), 201, `project ${name}`);
}

for (const dialect of testDialects()) {
  describe(`domains have owners, backends are fenced: a developer of project a tries (${dialect})`, () => {
    let p: GatewayPlatform;
    let dev: TestApi;
    let apiListen: string;

    before(async () => {
      p = await startGatewayPlatform({}, dialect);
      apiListen = new URL(p.url).host;
      await seedTeams(p);
      const zone = (zone: string, kind: string, name: string) =>
        ok(p.api.post('/api/v1/domains', { zone, owner: { kind, name } }), 201, `zone ${zone}`);
      await zone('alpha.example.test', 'team', 'alpha');
      await zone('a2.alpha.example.test', 'project', 'a2');
      await zone('beta.example.test', 'team', 'beta');
      await zone('a.example.test', 'project', 'a');
      await ok(
        p.api.post('/api/v1/networks', { cidr: '10.20.0.0/16', owner: { kind: 'project', name: 'a' } }),
        201,
        'network',
      );
      // the sibling project a2 claims www.alpha.example.test first (a zone of their shared team)
      await ok(
        p.api.post(routesOf('a2'), {
          name: 'www',
          spec: { host: 'www.alpha.example.test', backends: { servers: [{ address: '10.20.0.9:80' }] } },
        }),
        403,
        'a2 has no network yet',
      );
      await ok(
        p.api.post('/api/v1/networks', { cidr: '10.20.0.0/16', owner: { kind: 'team', name: 'alpha' } }),
        201,
        'team network',
      );
      await ok(
        p.api.post(routesOf('a2'), {
          name: 'www',
          spec: { host: 'www.alpha.example.test', backends: { servers: [{ address: '10.20.0.9:80' }] } },
        }),
        201,
        'route of a2',
      );
      dev = await userWith(p, 'dev-a', 'developer', { kind: 'project', name: 'a' });
    });
    after(async () => {
      await p?.close();
    });

    const gatewayVersion = async () =>
      ((await p.api.get<Obj>('/api/v1/gateways/local')).body.appliedVersion as number) ?? 0;
    const routeNames = async (project: string) =>
      ((await p.api.get<{ items: Obj[] }>(routesOf(project))).body.items ?? []).map((r) => r.name).sort();

    /** The attempt is refused with a clear message at the field, audited, and changes nothing. */
    async function refused(
      attempt: () => Promise<{ status: number; body: Json }>,
      expect: { status: number; code: string; message: RegExp; path?: string; action: string },
    ) {
      const before = {
        version: await gatewayVersion(),
        a: await routeNames('a'),
        a2: await routeNames('a2'),
      };
      const res = await attempt();
      assert.equal(res.status, expect.status, JSON.stringify(res.body));
      assert.equal(res.body.error.code, expect.code, JSON.stringify(res.body));
      assert.match(res.body.error.message, expect.message);
      if (expect.path)
        assert.ok(
          (res.body.error.details?.fields ?? []).some((f: Obj) => f.path === expect.path),
          `field error at ${expect.path}: ${JSON.stringify(res.body.error)}`,
        );
      const audit = await p.api.get<{ items: Obj[] }>(
        `/api/v1/audit?actor=dev-a&action=${expect.action}&limit=1`,
      );
      const row = audit.body.items[0];
      assert.ok(row, 'an audit event');
      assert.ok(['denied', 'failure'].includes(row.result as string), JSON.stringify(row));
      assert.equal(row.message, res.body.error.message);
      assert.equal(await gatewayVersion(), before.version, 'the gateway configuration is unchanged');
      assert.deepEqual(await routeNames('a'), before.a);
      assert.deepEqual(await routeNames('a2'), before.a2);
    }

    const create = (host: string, backends: Obj = { servers: [{ address: '10.20.0.5:8080' }] }, path = '/') =>
      dev.post<Json>(routesOf('a'), { name: 'grab', spec: { host, pathPrefix: path, backends } });

    const hostAttempts: Array<[string, string, Obj | undefined, RegExp]> = [
      [
        "another project's automatic name",
        'web.b.test.localhost',
        { service: { name: 'web' } },
        /automatic name of service 'web' of another project/,
      ],
      [
        "another service's automatic name in its own project",
        'api.a.test.localhost',
        { service: { name: 'web' } },
        /belongs to that service alone/,
      ],
      [
        "another team's zone",
        'shop.beta.example.test',
        undefined,
        /zone 'beta\.example\.test'.*another team/,
      ],
      [
        "a sibling project's zone inside its own team's zone",
        'x.a2.alpha.example.test',
        undefined,
        /zone 'a2\.alpha\.example\.test'.*another project/,
      ],
      ['a host under the suffix domain', 'foo.localhost', undefined, /automatic domain 'localhost'/],
      [
        'a host under an environment domain',
        'shop.test.localhost',
        undefined,
        /automatic domain 'localhost'/,
      ],
      [
        'a host no zone covers',
        'www.example.org',
        undefined,
        /No domain zone .* covers host 'www\.example\.org'.*berth domains add/,
      ],
      [
        'an upper-case automatic name with a trailing dot',
        'WEB.B.Test.LocalHost.',
        { service: { name: 'web' } },
        /'web\.b\.test\.localhost' is the automatic name/,
      ],
      [
        "an upper-case host in another team's zone with a trailing dot",
        'Shop.BETA.example.test.',
        undefined,
        /'shop\.beta\.example\.test' lies in zone/,
      ],
    ];
    for (const [what, host, backends, message] of hostAttempts) {
      it(`refuses ${what} (${host})`, () =>
        refused(() => create(host, backends), {
          status: 403,
          code: 'HOST_NOT_OWNED',
          message,
          path: 'spec.host',
          action: 'routes.create',
        }));
    }

    it('refuses a wildcard host at the field', async () => {
      const res = await create('*.a.example.test');
      assert.equal(res.status, 400);
      assert.ok(res.body.error.details.fields.some((f: Obj) => f.path === 'spec.host'));
    });

    it('refuses the same host on another path when another project claimed it', () =>
      refused(() => create('www.alpha.example.test', undefined, '/api/'), {
        status: 409,
        code: 'HOST_CLAIMED',
        message: /already routed by project 'a2'.*one project per gateway/,
        path: 'spec.host',
        action: 'routes.create',
      }));

    it('creates a route in its own zone to an allowed network, normalising the host', async () => {
      const body = await ok(
        dev.post(routesOf('a'), {
          name: 'shop',
          spec: { host: 'Shop.A.Example.Test.', backends: { servers: [{ address: '10.20.0.5:8080' }] } },
        }),
        201,
        'own route',
      );
      assert.equal(body.route.spec.host, 'shop.a.example.test');
      assert.deepEqual(body.route.violations, []);
      // the team's zone serves every project of the team
      await ok(
        dev.post(routesOf('a'), {
          name: 'team',
          spec: { host: 'a-app.alpha.example.test', backends: { servers: [{ address: '10.20.1.1:80' }] } },
        }),
        201,
        'route in the team zone',
      );
    });

    it('refuses to move an existing route to a stolen host', async () => {
      const current = (await dev.get<Obj>(`${routesOf('a')}/shop`)).body;
      await refused(
        () =>
          dev.put(`${routesOf('a')}/shop`, {
            version: current.version,
            spec: { host: 'web.b.test.localhost', backends: { servers: [{ address: '10.20.0.5:8080' }] } },
          }),
        {
          status: 403,
          code: 'HOST_NOT_OWNED',
          message: /another project/,
          path: 'spec.host',
          action: 'routes.update',
        },
      );
      await refused(
        () =>
          dev.put(`${routesOf('a')}/shop`, {
            version: current.version,
            spec: { host: 'www.alpha.example.test', backends: { servers: [{ address: '10.20.0.5:8080' }] } },
          }),
        {
          status: 409,
          code: 'HOST_CLAIMED',
          message: /project 'a2'/,
          path: 'spec.host',
          action: 'routes.update',
        },
      );
      const after = (await dev.get<Obj>(`${routesOf('a')}/shop`)).body as Json;
      assert.equal(after.spec.host, 'shop.a.example.test');
      assert.equal(after.version, current.version);
    });

    const fenced: Array<[string, () => string, RegExp]> = [
      ['loopback 127.0.0.1', () => '127.0.0.1:8080', /loopback/],
      ['loopback 127.1.2.3', () => '127.1.2.3:80', /loopback/],
      ['the unspecified address', () => '0.0.0.0:80', /unspecified/],
      ['the cloud metadata address', () => '169.254.169.254:80', /link-local/],
      ['the Alibaba metadata address', () => '100.100.100.200:80', /metadata/],
      ['a multicast address', () => '224.0.0.1:80', /multicast/],
      ['the broadcast address', () => '255.255.255.255:80', /multicast|broadcast/],
      ["the Berth API's listener", () => apiListen, /the Berth API|loopback/],
      ["the embedded registry's listener", () => p.server.ctx.config.registryListen!, /registry|loopback/],
      [
        'an address outside the allowed networks',
        () => '10.30.0.1:80',
        /not inside a network allowed to project 'a'.*berth networks add/,
      ],
    ];
    for (const [what, address, message] of fenced) {
      it(`refuses a backend at ${what}`, () =>
        refused(() => create('grab.a.example.test', { servers: [{ address: address() }] }), {
          status: 403,
          code: 'BACKEND_NOT_ALLOWED',
          message,
          path: 'spec.backends.servers.0.address',
          action: 'routes.create',
        }));
    }

    it('names every refused backend at its own field', async () => {
      const res = await create('grab.a.example.test', {
        servers: [
          { address: '10.20.0.1:80' },
          { address: '169.254.169.254:80' },
          { address: '10.99.0.1:80' },
        ],
      });
      assert.equal(res.status, 403);
      const paths = (res.body.error.details.fields as Obj[]).map((f) => f.path);
      assert.deepEqual(paths, ['spec.backends.servers.1.address', 'spec.backends.servers.2.address']);
    });

    it('refuses domain and network writes to a developer, audited', async () => {
      await refused(
        () => dev.post('/api/v1/domains', { zone: 'b.example.test', owner: { kind: 'project', name: 'a' } }),
        { status: 403, code: 'FORBIDDEN', message: /platform:admin/, action: 'domains.create' },
      );
      await refused(
        () => dev.post('/api/v1/networks', { cidr: '10.0.0.0/8', owner: { kind: 'project', name: 'a' } }),
        { status: 403, code: 'FORBIDDEN', message: /platform:admin/, action: 'networks.create' },
      );
      await refused(() => dev.delete('/api/v1/domains/beta.example.test'), {
        status: 403,
        code: 'FORBIDDEN',
        message: /platform:admin/,
        action: 'domains.delete',
      });
      const zones = (await dev.get<{ items: Obj[] }>('/api/v1/domains')).body.items.map((z) => z.zone).sort();
      assert.deepEqual(zones, ['a.example.test', 'alpha.example.test']);
      const nets = (await dev.get<{ items: Json[] }>('/api/v1/networks')).body.items.map(
        (n: Json) => `${n.cidr} ${n.owner.kind}`,
      );
      assert.deepEqual(nets.sort(), ['10.20.0.0/16 project', '10.20.0.0/16 team']);
    });

    it('refuses zones under the automatic domains, owned zones and fenced networks', async () => {
      const zone = (z: string) =>
        p.api.post('/api/v1/domains', { zone: z, owner: { kind: 'team', name: 'beta' } });
      for (const z of ['test.localhost', 'x.prod.localhost', 'evil.localhost']) {
        const r = await zone(z);
        assert.equal(r.status, 422, JSON.stringify(r.body));
        assert.match((r.body as Json).error.message, /automatic domain 'localhost'/);
        assert.equal((r.body as Json).error.details.fields[0].path, 'zone');
      }
      const taken = await zone('A.Example.Test.');
      assert.equal(taken.status, 409);
      assert.match((taken.body as Json).error.message, /already owned by project 'a'/);
      for (const cidr of ['127.0.0.0/8', '127.0.0.1', '0.0.0.0/0', '169.254.0.0/16', '224.0.0.0/4']) {
        const r = await p.api.post('/api/v1/networks', { cidr, owner: { kind: 'team', name: 'beta' } });
        assert.equal(r.status, 422, `${cidr}: ${JSON.stringify(r.body)}`);
        assert.equal((r.body as Json).error.details.fields[0].path, 'cidr');
      }
    });

    it('flags a route that breaks a rule after its zone is removed, and keeps it', async () => {
      await ok(p.api.delete('/api/v1/domains/a.example.test'), 204, 'remove zone');
      const list = (await dev.get<{ items: Json[] }>(routesOf('a'))).body.items;
      const shop = list.find((r: Json) => r.name === 'shop');
      assert.ok(shop, 'the route is still there');
      assert.equal(shop.violations[0].rule, 'host-not-owned');
      assert.match(shop.violations[0].message, /No domain zone/);
      assert.deepEqual(list.find((r: Json) => r.name === 'team').violations, []);
      const one = (await dev.get<Json>(`${routesOf('a')}/shop`)).body;
      assert.equal(one.violations.length, 1);
    });

    it('refuses a gateway rollback that would bring back a route the rules refuse today', async () => {
      // shop's zone is gone (above); once shop is deleted, the version that had it cannot return
      const had = (await p.api.get<{ appliedVersion: number }>('/api/v1/gateways/local')).body.appliedVersion;
      await ok(dev.delete(`${routesOf('a')}/shop`), 204, 'delete shop');
      const r = await p.api.post<Json>(`/api/v1/gateways/local/versions/${had}/rollback`, {});
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.match(r.body.error.message, /route 'shop' of project 'a': No domain zone/);
      assert.equal((await dev.get(`${routesOf('a')}/shop`)).status, 404, 'nothing came back');
    });
  });
}

describe('Berth listeners stay fenced with BERTH_GATEWAY_ALLOW_LOOPBACK_BACKENDS', () => {
  let p: TestPlatform;
  let gatewayListen: string;
  before(async () => {
    p = await startPlatform({ BERTH_GATEWAY_LISTEN: 'off', BERTH_GATEWAY_ALLOW_LOOPBACK_BACKENDS: '1' });
    await seedTeams(p);
    gatewayListen = `127.0.0.1:${await freePort()}`;
    await ok(
      p.api.post('/api/v1/gateways', { name: 'edge', env: 'test', listen: gatewayListen }),
      201,
      'gateway',
    );
    await ok(
      p.api.post('/api/v1/domains', { zone: 'a.example.test', owner: { kind: 'project', name: 'a' } }),
      201,
      'zone',
    );
    await ok(
      p.api.post('/api/v1/networks', { cidr: '127.0.0.0/8', owner: { kind: 'project', name: 'a' } }),
      201,
      'loopback network',
    );
  });
  after(async () => {
    await p?.close();
  });

  const create = (name: string, address: string) =>
    p.api.post<Json>(routesOf('a'), {
      name,
      spec: { host: `${name}.a.example.test`, backends: { servers: [{ address }] } },
    });

  it("refuses the API's, the registry's and a gateway's listeners", async () => {
    const api = new URL(p.url).host;
    for (const [address, what] of [
      [api, /the Berth API/],
      [p.server.ctx.config.registryListen!, /the embedded registry/],
      [gatewayListen, /gateway 'edge'/],
      ['169.254.169.254:80', /link-local/],
    ] as const) {
      const r = await create('x', address);
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.match(r.body.error.message, what);
    }
  });

  it('allows another loopback port when the switch is on and the network is granted', async () => {
    const r = await create('dev', `127.0.0.1:${await freePort()}`);
    assert.equal(r.status, 201, JSON.stringify(r.body));
  });
});
