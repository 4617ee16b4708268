import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where `npm run build -w @berth/web` writes the portal. */
export const defaultWebDist = fileURLToPath(new URL('../../../../web/dist', import.meta.url));

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The portal's page. antd injects its styles at run time, hence 'unsafe-inline' for styles only;
 * scripts come from this origin alone, plus the page's own inline scripts by their hash (the boot
 * guard in index.html, which must come with the page), and no other site may frame the portal.
 */
function pageHeaders(index: Buffer | null) {
  const hashes = index ? inlineScriptHashes(index.toString('utf8')).map((h) => ` '${h}'`) : [];
  return {
    'Cache-Control': 'no-cache',
    'Content-Security-Policy':
      `default-src 'self'; script-src 'self'${hashes.join('')}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; ` +
      "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
  };
}

/** `sha256-…` of each inline script of a page (a `<script>` without `src`), as CSP names it. */
export function inlineScriptHashes(html: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script>/gi)) {
    if (/\ssrc\s*=/i.test(m[1] ?? '')) continue;
    out.push(
      `sha256-${createHash('sha256')
        .update(m[2] ?? '', 'utf8')
        .digest('base64')}`,
    );
  }
  return out;
}

const notBuilt = `<!doctype html><meta charset="utf-8"><title>Berth</title>
<h1>The Berth portal is not built</h1>
<p>The API is running (see <a href="/api/openapi.json">/api/openapi.json</a>). To serve the portal from
this server, build it once and reload this page:</p>
<pre>npm run build -w @berth/web</pre>
<p>For editing, <code>npm run dev -w @berth/web</code> serves it with hot reload on its own port.</p>`;

/**
 * Serves the built portal on the API's port: files under /assets/ (content-hashed names, so
 * cached for a year), and index.html for every other path outside /api, so that client-side
 * routes survive a reload. /api paths that matched no route keep the API's JSON 404.
 */
export function registerWebRoutes(app: FastifyInstance, distDir = defaultWebDist): void {
  const root = path.resolve(distDir);
  const indexPath = path.join(root, 'index.html');
  // Read per request only while missing: the build may land after the server started.
  let index: Buffer | null = existsSync(indexPath) ? readFileSync(indexPath) : null;
  let headers = pageHeaders(index);

  const sendIndex = (reply: FastifyReply) => {
    if (!index && existsSync(indexPath)) {
      index = readFileSync(indexPath);
      headers = pageHeaders(index);
    }
    if (!index) return reply.code(200).headers(headers).type('text/html; charset=utf-8').send(notBuilt);
    return reply.code(200).headers(headers).type('text/html; charset=utf-8').send(index);
  };

  app.get('/', (_req, reply) => sendIndex(reply));
  app.get('/*', async (req, reply) => {
    const urlPath = decodeURIComponentSafe((req.url.split('?')[0] ?? '/').replace(/\/+$/, ''));
    if (urlPath === null) return sendIndex(reply);
    if (urlPath === '/api' || urlPath.startsWith('/api/')) return reply.callNotFound();
    const file = path.resolve(root, `.${urlPath}`);
    // Only files inside dist; anything else (including ../ tricks) falls back to the page.
    if (file.startsWith(root + path.sep) && path.extname(file)) {
      const info = await stat(file).catch(() => null);
      if (info?.isFile()) {
        const immutable = file.startsWith(path.join(root, 'assets') + path.sep);
        return reply
          .code(200)
          .header('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
          .header('X-Content-Type-Options', 'nosniff')
          .type(contentTypes[path.extname(file)] ?? 'application/octet-stream')
          .send(await readFile(file));
      }
      if (immutable(urlPath)) return reply.callNotFound();
    }
    return sendIndex(reply);
  });
}

/** A missing hashed asset is a real 404 (a stale page asking for an old build), not the page. */
function immutable(urlPath: string): boolean {
  return urlPath.startsWith('/assets/');
}

function decodeURIComponentSafe(s: string): string | null {
  try {
    return decodeURIComponent(s) || '/';
  } catch {
    return null;
  }
}
