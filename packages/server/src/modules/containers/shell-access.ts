import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ApiErrorBody } from '@berth/shared';

export const shellQuerySchema = z.object({
  /** Only "root" may be asked for; everything else runs as the default non-root user. */
  user: z.literal('root').optional(),
  cols: z.coerce.number().int().min(1).max(1000).default(80),
  rows: z.coerce.number().int().min(1).max(1000).default(24),
  /**
   * The argv to run (repeat `cmd` for each argument). It is handed to the engine as an array,
   * never joined into a command line, so no user input reaches a shell string on the host.
   */
  cmd: z.array(z.string().min(1, 'must not be empty').max(4096)).min(1).max(64).default(['/bin/sh']),
  /** false: no terminal, for scripts (`berth exec` without -it); stdout and stderr stay apart. */
  tty: z.stringbool().default(true),
});
export type ShellQuery = z.output<typeof shellQuerySchema>;

/** uid:gid of nobody; the gid matters, a bare uid without a passwd entry runs with gid 0. */
export const nobodyUser = '65534:65534';
/** Numeric so that images without /etc/passwd work too. */
export const rootUser = '0:0';

const shellPath =
  /^\/api\/v1\/projects\/([^/]+)\/envs\/([^/]+)\/services\/([^/]+)\/containers\/([^/]+)(?:\/debug\/([^/]+))?\/shell\/?$/;

/**
 * The raw parts of a shell URL, or null when the URL is not a shell URL. `debug` is the debug
 * session id of a debug container's shell (…/containers/:container/debug/:id/shell, debug.ts).
 */
export function matchShellUrl(
  url: string | undefined,
): { params: Record<string, string>; query: Record<string, string | string[]>; debug?: string } | null {
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url, 'http://upgrade.invalid');
  } catch {
    return null;
  }
  const m = shellPath.exec(parsed.pathname);
  if (!m) return null;
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return {
    params: { project: decode(m[1]!), env: decode(m[2]!), service: decode(m[3]!), container: decode(m[4]!) },
    ...(m[5] === undefined ? {} : { debug: decode(m[5]) }),
    query: {
      ...Object.fromEntries(parsed.searchParams),
      ...(parsed.searchParams.has('cmd') ? { cmd: parsed.searchParams.getAll('cmd') } : {}),
    },
  };
}

/** True when a user name or uid[:gid] means root. */
export function isRootUser(user: string | null | undefined): boolean {
  const name = (user ?? '').split(':')[0] ?? '';
  return name === '' || name === 'root' || /^0+$/.test(name);
}

/**
 * The user a shell runs as when root was not asked for: the service's configured user when it
 * is not root; without one, the image's user when that is not root; otherwise nobody.
 */
export function defaultShellUser(configured: string | undefined, imageUser: string | null): string {
  if (configured !== undefined) return isRootUser(configured) ? nobodyUser : configured;
  return imageUser && !isRootUser(imageUser) ? imageUser : nobodyUser;
}

/**
 * Browsers send the session cookie on WebSocket upgrades from any site, so a session caller
 * must come from Berth's own origin: the Origin header must name the Host (or the public URL).
 */
export function isSameOrigin(req: IncomingMessage, publicUrl: string): boolean {
  const origin = req.headers.origin;
  if (!origin || origin === 'null') return false;
  try {
    const o = new URL(origin);
    const host = req.headers.host;
    if (host && o.host === new URL(`${o.protocol}//${host}`).host) return true;
    return o.origin === new URL(publicUrl).origin;
  } catch {
    return false;
  }
}

/** What ws would refuse anyway; checked before any work so a bad handshake costs nothing. */
export function handshakeProblem(req: IncomingMessage): string | null {
  if (req.method !== 'GET') return 'A shell is opened with GET.';
  if (String(req.headers.upgrade ?? '').toLowerCase() !== 'websocket')
    return 'Upgrade to "websocket" to open a shell.';
  const key = req.headers['sec-websocket-key'];
  if (!key || !/^[+/0-9A-Za-z]{22}==$/.test(key))
    return 'The Sec-WebSocket-Key header is missing or invalid.';
  const version = req.headers['sec-websocket-version'];
  if (version !== '13' && version !== '8') return 'Use WebSocket protocol version 13.';
  return null;
}

/**
 * An upgrade never becomes a Fastify request, but the authenticator is written against one:
 * it reads the headers (session cookie, Authorization) and the client address, given here.
 */
export function asAuthRequest(req: IncomingMessage, log: FastifyBaseLogger): FastifyRequest {
  const adapter = {
    headers: req.headers,
    ip: req.socket.remoteAddress ?? '',
    method: req.method,
    url: req.url,
    raw: req,
    log,
  };
  return adapter as unknown as FastifyRequest;
}

/** Answers an upgrade with a plain HTTP error carrying the API error body, then closes. */
export function rejectUpgrade(socket: Duplex, status: number, body: ApiErrorBody): void {
  if (socket.destroyed) return;
  const text = JSON.stringify(body);
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(text)}\r\n` +
      'Connection: close\r\n\r\n' +
      text,
  );
}
