import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canarySchema, routeSpecSchema } from '@berth/shared';
import {
  defaultRouteOptions,
  renderMainConfig,
  renderUpstreams,
  RenderError,
  type RenderGateway,
  type RenderRoute,
} from '../src/index';
import { directiveNames, rendererDirectives } from './nginx-directives';

/** Payloads with a character or length no field may carry: every schema must reject them. */
const payloads = [
  'a; include /etc/passwd',
  'x }\n  server { listen 80; }',
  'x\nlua_code_cache off;',
  'x\r\njs_import evil.js;',
  '$host',
  '${request_id}',
  'a"b',
  "a'b",
  'a\\"; deny all; #',
  'content_by_lua_block { os.execute("id") }',
  'a'.repeat(10_000),
  'x{',
  'é',
];

/** Payloads that are plain words or paths: a field may accept them, but only as quoted data. */
const words = ['../../etc/ssl/private/key.pem', 'include', 'lua_code_cache', '/etc/passwd', 'js_import'];

const base = {
  host: 'web.shop.test.localhost',
  backends: { service: { name: 'web' } },
};

/** Every user-editable field, as a function from a payload to a route spec. */
const fields: Record<string, (v: string) => unknown> = {
  host: (v) => ({ ...base, host: v }),
  pathPrefix: (v) => ({ ...base, pathPrefix: v }),
  'backends.service.name': (v) => ({ ...base, backends: { service: { name: v } } }),
  'backends.servers.address': (v) => ({ ...base, backends: { servers: [{ address: v }] } }),
  'headers.name': (v) => ({ ...base, headers: [{ name: v, value: 'x' }] }),
  'headers.value': (v) => ({ ...base, headers: [{ name: 'X-Test', value: v }] }),
  'redirect.url': (v) => ({ ...base, redirect: { url: v } }),
  allow: (v) => ({ ...base, allow: [v] }),
  deny: (v) => ({ ...base, deny: [v] }),
  'tls.certificate': (v) => ({ ...base, tls: { certificate: v, key: 'k.pem' } }),
  'tls.key': (v) => ({ ...base, tls: { certificate: 'c.pem', key: v } }),
};

const canaryFields: Record<string, (v: string) => unknown> = {
  'header.name': (v) => ({ header: { name: v, value: 'on' }, to: { service: 'b' } }),
  'header.value': (v) => ({ header: { name: 'X-Canary', value: v }, to: { service: 'b' } }),
  'cookie.name': (v) => ({ cookie: { name: v, value: 'on' }, to: { service: 'b' } }),
  'cookie.value': (v) => ({ cookie: { name: 'beta', value: v }, to: { service: 'b' } }),
  'to.service': (v) => ({ percent: 5, to: { service: v } }),
};

const gateway = (r: RenderRoute): RenderGateway => ({
  listen: '127.0.0.1:18181',
  tlsListen: '127.0.0.1:18443',
  certDir: '/srv/certs',
  workerProcesses: 1,
  foreground: true,
  routes: [r],
});

/** Renders and asserts that the text holds only directives the renderer itself writes. */
function assertNeutral(r: RenderRoute, what: string): void {
  let text: string;
  try {
    text = renderMainConfig(gateway(r));
  } catch (err) {
    assert.ok(err instanceof RenderError, `${what}: ${String(err)}`);
    return;
  }
  for (const d of directiveNames(text))
    assert.ok(rendererDirectives.has(d), `${what}: injected directive ${d}`);
  for (const m of text.matchAll(/ssl_certificate(?:_key)? "([^"]*)"/g)) {
    assert.ok(
      m[1]!.startsWith('/srv/certs/') && !m[1]!.includes('..'),
      `${what}: certificate outside the directory`,
    );
  }
}

describe('gateway injection attempts', () => {
  for (const [field, make] of Object.entries(fields)) {
    it(`the schema rejects every payload in ${field}`, () => {
      for (const p of payloads) {
        const r = routeSpecSchema.safeParse(make(p));
        assert.equal(r.success, false, `${field} accepted ${JSON.stringify(p.slice(0, 60))}`);
      }
    });
  }
  for (const [field, make] of Object.entries(canaryFields)) {
    it(`the schema rejects every payload in canary ${field}`, () => {
      for (const p of payloads) {
        assert.equal(
          canarySchema.safeParse(make(p)).success,
          false,
          `${field} accepted ${JSON.stringify(p)}`,
        );
      }
    });
  }

  it('the renderer refuses or neutralises payloads that bypass the schema', () => {
    const ok = defaultRouteOptions();
    for (const p of [...payloads, ...words]) {
      const r = (
        options: Partial<RenderRoute['options']>,
        extra: Partial<RenderRoute> = {},
      ): RenderRoute => ({
        host: 'web.shop.test.localhost',
        pool: 'svc_web',
        canary: null,
        options: { ...ok, ...options },
        ...extra,
      });
      assertNeutral(r({}, { host: p }), 'host');
      assertNeutral(r({}, { pool: p }), 'pool');
      assertNeutral(r({ pathPrefix: p }), 'pathPrefix');
      assertNeutral(r({ headers: [{ name: p, value: 'x' }] }), 'header name');
      assertNeutral(r({ headers: [{ name: 'X-A', value: p }] }), 'header value');
      assertNeutral(r({ redirect: { url: p, code: '302' } }), 'redirect');
      assertNeutral(r({ allow: [p] }), 'allow');
      assertNeutral(r({ deny: [p] }), 'deny');
      assertNeutral(r({ tls: { certificate: p, key: 'k' } }), 'certificate');
      assertNeutral(r({ tls: { certificate: 'c', key: p } }), 'key');
      assertNeutral(r({}, { canary: { pool: 'svc_b', header: { name: p, value: 'x' } } }), 'canary header');
      assertNeutral(r({}, { canary: { pool: 'svc_b', header: { name: 'X-C', value: p } } }), 'canary value');
      assertNeutral(r({}, { canary: { pool: 'svc_b', cookie: { name: p, value: 'x' } } }), 'canary cookie');
      assertNeutral(r({}, { canary: { pool: p, percent: 5 } }), 'canary pool');
      assert.throws(
        () =>
          renderUpstreams([
            { name: 'svc_a', servers: [{ address: p, weight: 1 }], maxFails: 1, failTimeoutSeconds: 1 },
          ]),
        RenderError,
      );
    }
  });

  it('rejects path traversal in certificate and key names', () => {
    for (const p of ['../../etc/ssl/private/key.pem', '/etc/ssl/key.pem', '..', 'a/../b', 'certs/web.crt']) {
      assert.equal(routeSpecSchema.safeParse(fields['tls.certificate']!(p)).success, false, p);
      assert.equal(routeSpecSchema.safeParse(fields['tls.key']!(p)).success, false, p);
    }
  });

  it('accepts ordinary values', () => {
    const r = routeSpecSchema.safeParse({
      ...base,
      pathPrefix: '/api/v1/',
      headers: [{ name: 'Strict-Transport-Security', value: 'max-age=31536000' }],
      allow: ['10.0.0.0/8'],
      tls: { certificate: 'web.crt', key: 'web.key' },
    });
    assert.ok(r.success, JSON.stringify(r.error?.issues));
  });
});
