import net from 'node:net';

/** A TCP port that is free now on 127.0.0.1, as the OS hands it out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A raw HTTP/1.0 GET of /index.html over TCP to `host:port` (a TCP entry point in front of an HTTP
 * service); the body, trimmed.
 */
export function rawHttpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    let data = '';
    s.setTimeout(5000, () => s.destroy(new Error('timeout')));
    s.on('connect', () => s.write('GET /index.html HTTP/1.0\r\n\r\n'));
    s.on('data', (b: Buffer) => (data += b.toString()));
    s.on('end', () => resolve(data.split('\r\n\r\n')[1]?.trim() ?? ''));
    s.on('error', reject);
  });
}
