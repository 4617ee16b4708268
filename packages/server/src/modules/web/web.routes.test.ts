import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createHttpApp } from '../../http/app';
import { inlineScriptHashes, registerWebRoutes } from './web.routes';

describe('web routes', () => {
  const dist = mkdtempSync(path.join(tmpdir(), 'berth-web-'));
  mkdirSync(path.join(dist, 'assets'));
  writeFileSync(path.join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
  writeFileSync(path.join(dist, 'assets', 'index-abc.js'), 'console.log(1)');
  const app = createHttpApp('silent');
  registerWebRoutes(app, dist);
  after(async () => {
    await app.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it('serves index.html for / and every client route, not cached', async () => {
    for (const url of ['/', '/p/shop/test', '/p/shop/test/s/web/logs?container=x', '/login']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 200, url);
      assert.match(res.body, /id="root"/);
      assert.equal(res.headers['cache-control'], 'no-cache');
      assert.match(String(res.headers['content-security-policy']), /script-src 'self'/);
    }
  });

  it('serves assets with long cache headers and a real 404 for missing ones', async () => {
    const res = await app.inject({ url: '/assets/index-abc.js' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /javascript/);
    assert.match(String(res.headers['cache-control']), /max-age=31536000, immutable/);
    assert.equal((await app.inject({ url: '/assets/gone-123.js' })).statusCode, 404);
  });

  it('keeps the API 404 for unknown /api paths and never leaves dist', async () => {
    const api = await app.inject({ url: '/api/v1/nope' });
    assert.equal(api.statusCode, 404);
    assert.equal(api.json<{ error: { code: string } }>().error.code, 'NOT_FOUND');
    const escape = await app.inject({ url: '/assets/..%2f..%2f..%2fetc%2fpasswd' });
    assert.doesNotMatch(escape.body, /root:/);
  });

  it("allows the page's inline scripts by their hash, and no other inline script", async () => {
    const page = mkdtempSync(path.join(tmpdir(), 'berth-web-inline-'));
    try {
      const guard = "(function () { console.log('guard'); })();";
      writeFileSync(
        path.join(page, 'index.html'),
        `<!doctype html><script>${guard}</script><script type="module" src="/assets/a.js"></script><div id="root"></div>`,
      );
      const withInline = createHttpApp('silent');
      registerWebRoutes(withInline, page);
      const csp = String((await withInline.inject({ url: '/' })).headers['content-security-policy']);
      await withInline.close();
      const hash = createHash('sha256').update(guard).digest('base64');
      // exactly the one inline script: the module script has a src
      assert.match(csp, new RegExp(`script-src 'self' 'sha256-${hash.replace(/[+/]/g, '\\$&')}';`));
      assert.deepEqual(inlineScriptHashes(`<script src="/x.js"></script><p>no script</p>`), []);
    } finally {
      rmSync(page, { recursive: true, force: true });
    }
  });

  it('says how to build the portal when dist is missing', async () => {
    const bare = createHttpApp('silent');
    registerWebRoutes(bare, path.join(dist, 'missing'));
    const res = await bare.inject({ url: '/' });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /npm run build -w @berth\/web/);
    await bare.close();
  });
});
