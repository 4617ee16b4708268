import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { patchPlanEndpoints, planGateway, serviceHost } from '../src/modules/gateways/gateway-planner';
import type { EnvServices, GatewayRow, RouteRow } from '../src/modules/gateways/gateways.repository';

const gw: GatewayRow = {
  id: 'g1',
  name: 'local',
  env: 'test',
  listen: '127.0.0.1:7081',
  tls_listen: null,
  domain_suffix: 'localhost',
  applied_version: 0,
  last_version: 0,
  created_at: '',
  updated_at: '',
  created_by: 'system',
  version: 1,
};

const env: EnvServices = {
  services: [
    { id: 'aaa', project: 'shop', name: 'web' },
    { id: 'bbb', project: 'shop', name: 'next' },
  ],
  endpoints: new Map([
    ['aaa', [{ '8080': '127.0.0.1:30001' }, { '8080': '127.0.0.1:30002' }]],
    ['bbb', [{ '8080': '127.0.0.1:30003', '9090': '127.0.0.1:30004' }]],
  ]),
};

const route = (id: string, spec: object, canary: object | null = null): RouteRow => ({
  id,
  project: 'shop',
  env: 'test',
  name: id,
  host: 'x',
  path_prefix: '/',
  spec: JSON.stringify({ pathPrefix: '/', websocket: false, headers: [], allow: [], deny: [], ...spec }),
  canary: canary ? JSON.stringify(canary) : null,
  created_at: '',
  updated_at: '',
  created_by: 'u',
  updated_by: 'u',
  version: 1,
});

const opts = { certDir: '/certs', workerProcesses: 1 };

describe('gateway planner', () => {
  it('gives every service of the env its wildcard host, sharing one pool per service', () => {
    const plan = planGateway(gw, [], env, opts);
    assert.deepEqual(
      plan.gateway.routes.map((r) => [r.host, r.pool]),
      [
        ['web.shop.test.localhost', 'svc_aaa'],
        ['next.shop.test.localhost', 'svc_bbb'],
      ],
    );
    const web = plan.pools.find((p) => p.name === 'svc_aaa')!;
    assert.deepEqual(
      web.servers.map((s) => s.address),
      ['127.0.0.1:30001', '127.0.0.1:30002'],
    );
    assert.equal(serviceHost('web', 'shop', 'test', 'localhost'), 'web.shop.test.localhost');
  });

  it('mixes service endpoints and VM servers in a route pool with its health rules', () => {
    const r = route('r1', {
      host: 'shop.example.com',
      backends: { service: { name: 'next', port: 9090 }, servers: [{ address: '10.0.0.5:80', weight: 5 }] },
      health: { maxFails: 1, failTimeoutSeconds: 3, nextUpstream: true },
    });
    const plan = planGateway(gw, [r], env, opts);
    const pool = plan.pools.find((p) => p.name === 'rt_r1')!;
    assert.deepEqual(pool.servers, [
      { address: '127.0.0.1:30004', weight: 1 },
      { address: '10.0.0.5:80', weight: 5 },
    ]);
    assert.equal(pool.maxFails, 1);
    assert.equal(pool.failTimeoutSeconds, 3);
  });

  it('points a canary at the target service pool and lets an explicit route replace a wildcard host', () => {
    const r = route(
      'r2',
      { host: 'web.shop.test.localhost', backends: { service: { name: 'web' }, servers: [] } },
      { percent: 10, to: { service: 'next' } },
    );
    const plan = planGateway(gw, [r], env, opts);
    const hosts = plan.gateway.routes.filter((x) => x.host === 'web.shop.test.localhost');
    assert.equal(hosts.length, 1);
    assert.deepEqual(hosts[0]!.canary, {
      pool: 'svc_bbb',
      percent: 10,
      header: undefined,
      cookie: undefined,
    });
  });

  it('keeps pool names when only endpoints change, so only the endpoints file differs', () => {
    const a = planGateway(gw, [], env, opts);
    const moved: EnvServices = { ...env, endpoints: new Map([['aaa', [{ '8080': '127.0.0.1:30009' }]]]) };
    const b = planGateway(gw, [], moved, opts);
    assert.deepEqual(JSON.stringify(a.gateway), JSON.stringify(b.gateway));
    assert.notDeepEqual(a.pools, b.pools);
  });

  it('puts the canary containers of a release in their own pool, and renders no canary while it is empty', () => {
    const withCanary: EnvServices = {
      ...env,
      canaryEndpoints: new Map([['aaa:1', [{ '8080': '127.0.0.1:30009' }]]]),
    };
    const spec = {
      host: 'shop.example.test',
      backends: { service: { name: 'web', port: 8080 }, servers: [] },
    };
    const canary = { percent: 10, to: { release: 1 } };
    const plan = planGateway(gw, [route('r1', spec, canary)], withCanary, opts);
    const r = plan.gateway.routes.find((x) => x.host === 'shop.example.test')!;
    assert.equal(r.pool, 'svc_aaa_p8080');
    assert.deepEqual(r.canary, {
      pool: 'svc_aaa_r1_p8080',
      percent: 10,
      header: undefined,
      cookie: undefined,
    });
    assert.deepEqual(
      plan.pools.find((p) => p.name === 'svc_aaa_r1_p8080')!.servers.map((s) => s.address),
      ['127.0.0.1:30009'],
    );
    assert.ok(
      !plan.pools
        .find((p) => p.name === 'svc_aaa_p8080')!
        .servers.some((s) => s.address === '127.0.0.1:30009'),
      'the service pool excludes canary containers',
    );
    const starting = planGateway(gw, [route('r1', spec, canary)], env, opts);
    assert.equal(starting.gateway.routes.find((x) => x.host === 'shop.example.test')!.canary, null);
  });

  it('patches the pools of services whose endpoints changed exactly as a whole plan would, and refuses when a service feeds more', () => {
    const routes = [
      route('r1', {
        host: 'a.example.test',
        backends: { service: { name: 'next', port: 9090 }, servers: [] },
      }),
      route('r2', {
        host: 'b.example.test',
        backends: { service: { name: 'web', port: 8080 }, servers: [] },
      }),
    ];
    const before = planGateway(gw, routes, env, opts);
    const after: EnvServices = {
      ...env,
      endpoints: new Map<string, Record<string, string>[]>([
        ['aaa', [{ '8080': '127.0.0.1:30001' }]],
        ['bbb', [{ '8080': '127.0.0.1:30005', '9090': '127.0.0.1:30006' }, { '9090': '127.0.0.1:30007' }]],
      ]),
    };
    const patched = patchPlanEndpoints(before, after, new Set(['aaa', 'bbb']))!;
    const whole = planGateway(gw, routes, after, opts);
    const byName = (ps: typeof whole.pools) => Object.fromEntries(ps.map((p) => [p.name, p]));
    assert.deepEqual(byName(patched.pools), byName(whole.pools));
    assert.equal(patched.gateway, before.gateway, 'the same gateway object: nothing to render');
    // a service without changes keeps its pool objects
    const onlyWeb = patchPlanEndpoints(before, after, new Set(['aaa']))!;
    assert.equal(
      onlyWeb.pools.find((p) => p.name === 'svc_bbb_p9090'),
      before.pools.find((p) => p.name === 'svc_bbb_p9090'),
    );
    // a route's own pool (VM servers) or a canary mixes a service into more than its pools
    const mixed = planGateway(
      gw,
      [
        route('r3', {
          host: 'c.example.test',
          backends: {
            service: { name: 'next', port: 9090 },
            servers: [{ address: '10.0.0.5:80', weight: 5 }],
          },
        }),
        route(
          'r4',
          { host: 'd.example.test', backends: { service: { name: 'web' }, servers: [] } },
          {
            percent: 10,
            to: { service: 'next' },
          },
        ),
      ],
      env,
      opts,
    );
    assert.equal(patchPlanEndpoints(mixed, after, new Set(['bbb'])), null);
    assert.equal(patchPlanEndpoints(mixed, after, new Set(['aaa'])), null);
  });
});
