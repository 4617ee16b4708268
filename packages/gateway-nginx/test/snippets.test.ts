import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gatewaySnippetsRequestSchema, snippetDirectives } from '@berth/shared';
import {
  renderMainConfig,
  renderUpstreams,
  RenderError,
  validateConfig,
  type RenderGateway,
} from '../src/index';
import { directiveNames, rendererDirectives } from './nginx-directives';

const gateway = (snippets: RenderGateway['snippets']): RenderGateway => ({
  listen: '127.0.0.1:8080',
  tlsListen: null,
  certDir: '/tmp/certs',
  workerProcesses: 1,
  foreground: true,
  routes: [],
  snippets,
});

const payloads = [
  'a; include /etc/passwd',
  'x }\n  server { listen 80; }',
  'x\nlua_code_cache off;',
  '$host',
  '${request_id}',
  'a"b',
  "a'b",
  'a\\"; deny all; #',
  'content_by_lua_block { os.execute("id") }',
  'a'.repeat(10_000),
  'x{',
];

describe('admin snippets', () => {
  it('refuses directives outside the allowlist, in the schema and in the renderer', () => {
    for (const directive of [
      'include',
      'lua_code_cache',
      'js_import',
      'proxy_pass',
      'root',
      'alias',
      'load_module',
      'GZIP',
      ...payloads,
    ]) {
      const s = { directive, args: ['on'] };
      assert.equal(gatewaySnippetsRequestSchema.safeParse({ http: [s] }).success, false, directive);
      assert.throws(
        () => renderMainConfig(gateway({ http: [s], server: [] })),
        RenderError,
        directive.slice(0, 30),
      );
    }
  });

  it('refuses every payload in every argument of every directive', () => {
    for (const [directive, rule] of Object.entries(snippetDirectives)) {
      const ctx = rule.contexts[0]!;
      for (let i = 0; i < rule.max; i += 1)
        for (const p of payloads) {
          const args = Array.from({ length: rule.max }, (_, j) => (j === i ? p : 'on'));
          const body = { [ctx]: [{ directive, args }] };
          assert.equal(
            gatewaySnippetsRequestSchema.safeParse(body).success,
            false,
            `${directive} arg ${i}: ${p.slice(0, 30)}`,
          );
          const g = gateway({ http: [], server: [], [ctx]: [{ directive, args }] });
          assert.throws(() => renderMainConfig(g), RenderError, `${directive} arg ${i}`);
        }
    }
  });

  it('checks argument counts and contexts', () => {
    const bad = [
      { http: [{ directive: 'gzip', args: [] }] },
      { http: [{ directive: 'gzip', args: ['on', 'off'] }] },
      { http: [{ directive: 'server_tokens', args: ['on'] }] },
      { http: [{ directive: 'gzip_comp_level', args: ['10'] }] },
      { server: [{ directive: 'set_real_ip_from', args: ['300.0.0.0/8 x'] }] },
    ];
    for (const b of bad)
      assert.equal(gatewaySnippetsRequestSchema.safeParse(b).success, false, JSON.stringify(b));
  });

  it('renders allowed snippets as directives only from the allowlist, and Nginx accepts them', async () => {
    const snippets = {
      http: [
        { directive: 'gzip', args: ['on'] },
        { directive: 'gzip_types', args: ['text/css', 'application/json'] },
        { directive: 'large_client_header_buffers', args: ['4', '16k'] },
        { directive: 'set_real_ip_from', args: ['10.0.0.0/8'] },
        { directive: 'real_ip_header', args: ['X-Forwarded-For'] },
      ],
      server: [
        { directive: 'add_header', args: ['X-Served-By', 'berth edge (a)', 'always'] },
        { directive: 'keepalive_timeout', args: ['30s', '25s'] },
      ],
    };
    const parsed = gatewaySnippetsRequestSchema.parse(snippets);
    const text = renderMainConfig(gateway({ http: parsed.http ?? [], server: parsed.server ?? [] }));
    assert.match(text, /^ {4}add_header X-Served-By "berth edge \(a\)" always;$/m);
    const allowed = new Set([...rendererDirectives, ...Object.keys(snippetDirectives)]);
    for (const d of directiveNames(text)) assert.ok(allowed.has(d), `unexpected directive ${d}`);
    const scratch = mkdtempSync(path.join(tmpdir(), 'berth-snippets-'));
    try {
      const r = await validateConfig('/usr/sbin/nginx', scratch, {
        main: text,
        upstreams: renderUpstreams([]),
      });
      assert.deepEqual(r, { ok: true });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
