import http from 'node:http';
import { randomBytes } from 'node:crypto';

export interface AuthProxy {
  url: string;
  close(): Promise<void>;
}

/**
 * An authenticating front of a real registry, as Harbor or GitLab put one before distribution:
 * `basic` checks the Authorization header on every request; `bearer` answers 401 with a Bearer
 * challenge and issues tokens at /token for the right basic credentials. Loopback only.
 */
export async function startAuthProxy(opts: {
  upstream: string;
  mode: 'basic' | 'bearer';
  username: string;
  password: string;
}): Promise<AuthProxy> {
  const expected = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
  const token = randomBytes(16).toString('hex');
  let base = '';
  const server = http.createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    if (opts.mode === 'bearer' && req.url?.startsWith('/token')) {
      res.writeHead(auth === expected ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(auth === expected ? { token } : { errors: [{ code: 'UNAUTHORIZED' }] }));
      return;
    }
    const ok = opts.mode === 'basic' ? auth === expected : auth === `Bearer ${token}`;
    if (!ok) {
      res.writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate':
          opts.mode === 'basic'
            ? 'Basic realm="registry"'
            : `Bearer realm="${base}/token",service="test-registry",scope="registry:catalog:*"`,
      });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    const up = http.request(
      `${opts.upstream}${req.url ?? '/'}`,
      { method: req.method, headers: { accept: req.headers.accept ?? '*/*' } },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    url: base,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
