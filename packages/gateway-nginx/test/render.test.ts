import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  defaultRouteOptions,
  lineDiff,
  renderMainConfig,
  renderUpstreams,
  validateConfig,
  type RenderGateway,
  type RenderRoute,
} from '../src/index';
import { directiveNames, rendererDirectives } from './nginx-directives';

const route = (host: string, pool: string, extra: Partial<RenderRoute> = {}): RenderRoute => ({
  host,
  pool,
  canary: null,
  options: defaultRouteOptions(),
  ...extra,
});

const gateway = (routes: RenderRoute[]): RenderGateway => ({
  listen: '127.0.0.1:18181',
  tlsListen: null,
  certDir: '/nonexistent/certs',
  workerProcesses: 1,
  foreground: true,
  routes,
});

describe('gateway rendering', () => {
  it('routes simple hosts through one map and one default server, with no upstream per route', () => {
    const text = renderMainConfig(
      gateway([route('a.x.test.localhost', 'svc_a'), route('b.x.test.localhost', 'svc_b')]),
    );
    assert.match(text, /map \$host \$berth_pool \{\n {4}hostnames;/);
    assert.match(text, /"a\.x\.test\.localhost" svc_a;/);
    assert.equal(text.match(/server \{/g)?.length, 1);
    assert.ok(!/^\s*upstream /m.test(text), 'upstreams live in the endpoints file');
    assert.match(text, /include upstreams\.conf;/);
  });

  it('gives routes with per-location settings a server of their own', () => {
    const opts = { ...defaultRouteOptions(), pathPrefix: '/api/', timeouts: { readSeconds: 30 } };
    const text = renderMainConfig(gateway([route('a.x.test.localhost', 'svc_a', { options: opts })]));
    assert.match(text, /server_name "a\.x\.test\.localhost";/);
    assert.match(text, /location \^~ "\/api\/" \{/);
    assert.match(text, /proxy_read_timeout 30s;/);
    assert.match(text, /location \/ \{ return 404; \}/);
  });

  it('renders canaries as split_clients per request and as header/cookie maps', () => {
    const text = renderMainConfig(
      gateway([
        route('a.x.test.localhost', 'svc_a', { canary: { pool: 'svc_c', percent: 10 } }),
        route('b.x.test.localhost', 'svc_b', {
          canary: { pool: 'svc_c', header: { name: 'X-Canary', value: 'on' } },
        }),
        route('c.x.test.localhost', 'svc_b', {
          canary: { pool: 'svc_c', cookie: { name: 'beta', value: '1' } },
        }),
      ]),
    );
    assert.match(text, /split_clients "\$\{request_id\}" \$berth_canary_0 \{ 10% svc_c; \* svc_a; \}/);
    assert.match(text, /map \$http_x_canary \$berth_canary_1 \{ default svc_b; "on" svc_c; \}/);
    assert.match(text, /map \$cookie_beta \$berth_canary_2 \{ default svc_b; "1" svc_c; \}/);
    assert.match(text, /"a\.x\.test\.localhost" \$berth_canary_0;/);
  });

  it('renders pools with health rules and a down server when a pool is empty', () => {
    const text = renderUpstreams([
      {
        name: 'svc_a',
        servers: [{ address: '127.0.0.1:8081', weight: 2 }],
        maxFails: 3,
        failTimeoutSeconds: 10,
      },
      { name: 'svc_b', servers: [], maxFails: 1, failTimeoutSeconds: 5 },
    ]);
    assert.match(
      text,
      /upstream svc_a \{ server 127\.0\.0\.1:8081 weight=2 max_fails=3 fail_timeout=10s; \}/,
    );
    assert.match(text, /upstream svc_b \{ server 127\.0\.0\.1:9 down; \}/);
  });

  it('produces only renderer directives, and nginx -t accepts it', async () => {
    const options = {
      ...defaultRouteOptions(),
      pathPrefix: '/v1/',
      websocket: true,
      headers: [{ name: 'X-Frame-Options', value: 'DENY' }],
      allow: ['10.0.0.0/8'],
      deny: ['10.1.0.0/16'],
      rateLimit: { requestsPerSecond: 10, burst: 5 },
      maxBodyMiB: 8,
      health: { maxFails: 2, failTimeoutSeconds: 5, nextUpstream: false },
    };
    const g = gateway([
      route('a.x.test.localhost', 'svc_a'),
      route('b.x.test.localhost', 'svc_a', { options }),
    ]);
    const main = renderMainConfig(g);
    for (const d of directiveNames(main)) assert.ok(rendererDirectives.has(d), `unexpected directive ${d}`);
    const scratch = mkdtempSync(path.join(tmpdir(), 'gw-render-'));
    try {
      const upstreams = renderUpstreams([
        { name: 'svc_a', servers: [], maxFails: 3, failTimeoutSeconds: 10 },
      ]);
      assert.deepEqual(await validateConfig('/usr/sbin/nginx', scratch, { main, upstreams }), { ok: true });
      const bad = await validateConfig('/usr/sbin/nginx', scratch, { main, upstreams: 'upstream svc_a {' });
      assert.equal(bad.ok, false);
      assert.match(bad.ok ? '' : bad.message, /unexpected end of file/);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('refuses two routes for the same host and prefix', () => {
    assert.throws(() => renderMainConfig(gateway([route('a.x.y', 'p'), route('a.x.y', 'q')])), /two routes/);
  });

  it('diffs two renders by lines', () => {
    const d = lineDiff('a\nb\nc\nd', 'a\nb\nX\nd');
    assert.match(d, /- c\n\+ X/);
    assert.equal(lineDiff('same', 'same'), '');
  });
});
