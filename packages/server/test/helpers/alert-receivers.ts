import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';

/*
 * Local receivers for alert channels (docs/monitoring.md): an HTTP receiver that checks each
 * request the way the vendor documents it (written here from the vendors' documents, not with
 * Berth's code), and a minimal SMTP sink.
 */

export interface Received {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown>;
  /** What the receiver's check said: null when it accepted. */
  refused: string | null;
}

export interface Receiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/** A check of one request: null to accept, else why it is refused. */
export type Check = (r: {
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown>;
}) => string | null;

/**
 * An HTTP receiver on 127.0.0.1. `answer` gives the status and body per request (default: the
 * check's verdict in the vendor's format).
 */
export async function startReceiver(opts: {
  check?: Check;
  /** The vendor's answer format for accept/refuse. */
  format?: 'plain' | 'dingtalk' | 'feishu' | 'wecom';
  /** Overrides the status of the n-th request (1-based), e.g. fail the first two. */
  statusOf?: (n: number) => number;
}): Promise<Receiver> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        json = {};
      }
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const refused = opts.check ? opts.check({ url, headers: req.headers, body, json }) : null;
      received.push({ url: req.url ?? '/', headers: req.headers, body, json, refused });
      const status = opts.statusOf?.(received.length) ?? (refused && opts.format === 'plain' ? 401 : 200);
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      switch (opts.format ?? 'plain') {
        case 'dingtalk':
        case 'wecom':
          res.end(
            JSON.stringify(refused ? { errcode: 310000, errmsg: refused } : { errcode: 0, errmsg: 'ok' }),
          );
          break;
        case 'feishu':
          res.end(JSON.stringify(refused ? { code: 19021, msg: refused } : { code: 0, msg: 'success' }));
          break;
        default:
          res.end(JSON.stringify(refused ? { error: refused } : { ok: true }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${addr.port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Berth's webhook: X-Berth-Signature = "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." +
 * body)), X-Berth-Timestamp within 5 minutes of now.
 */
export function webhookCheck(secret: string): Check {
  return ({ headers, body }) => {
    const ts = String(headers['x-berth-timestamp'] ?? '');
    const sig = String(headers['x-berth-signature'] ?? '');
    if (!/^\d+$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > 300)
      return 'stale or missing timestamp';
    const want = `sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`;
    return sameText(sig, want) ? null : 'signature mismatch';
  };
}

/**
 * DingTalk robot ("加签"): query timestamp (ms, within one hour) and sign =
 * urlEncode(base64(HmacSHA256(key = secret, data = timestamp + "\n" + secret))).
 */
export function dingtalkCheck(secret: string): Check {
  return ({ url, json }) => {
    const ts = url.searchParams.get('timestamp') ?? '';
    const sign = url.searchParams.get('sign') ?? '';
    if (!/^\d{13}$/.test(ts) || Math.abs(Date.now() - Number(ts)) > 3600_000) return 'timestamp invalid';
    const want = createHmac('sha256', secret).update(`${ts}\n${secret}`).digest('base64');
    if (!sameText(sign, want)) return 'sign not match';
    if (json.msgtype !== 'markdown') return 'msgtype must be markdown';
    return null;
  };
}

/**
 * Feishu/Lark custom bot ("签名校验"): body timestamp (s, within one hour) and sign =
 * base64(HmacSHA256(key = timestamp + "\n" + secret, data = "")).
 */
export function feishuCheck(secret: string): Check {
  return ({ json }) => {
    const ts = typeof json.timestamp === 'string' ? json.timestamp : '';
    const sign = typeof json.sign === 'string' ? json.sign : '';
    if (!/^\d{10}$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > 3600) return 'timestamp invalid';
    const want = createHmac('sha256', `${ts}\n${secret}`).update('').digest('base64');
    if (!sameText(sign, want)) return 'sign match fail';
    if (json.msg_type !== 'interactive' && json.msg_type !== 'text') return 'msg_type invalid';
    return null;
  };
}

export interface Mail {
  from: string;
  to: string[];
  data: string;
}

export interface SmtpSink {
  host: string;
  port: number;
  mails: Mail[];
  close(): Promise<void>;
}

/** A minimal SMTP server (RFC 5321 without extensions): records every mail it accepts. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const mails: Mail[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let buf = '';
    let inData = false;
    let mail: Mail = { from: '', to: [], data: '' };
    const reply = (line: string) => s.write(`${line}\r\n`);
    reply('220 sink.test ESMTP ready');
    s.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          if (end < 0) return;
          mail.data = buf.slice(0, end);
          buf = buf.slice(end + 5);
          inData = false;
          mails.push(mail);
          mail = { from: '', to: [], data: '' };
          reply('250 2.0.0 Ok: queued');
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') s.write('250-sink.test\r\n250 8BITMIME\r\n');
        else if (verb === 'HELO') reply('250 sink.test');
        else if (verb === 'MAIL') {
          mail.from = /<([^>]*)>/.exec(line)?.[1] ?? '';
          reply('250 2.1.0 Ok');
        } else if (verb === 'RCPT') {
          mail.to.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
          reply('250 2.1.5 Ok');
        } else if (verb === 'DATA') {
          inData = true;
          reply('354 End data with <CR><LF>.<CR><LF>');
          buf = `\r\n${buf}`;
        } else if (verb === 'QUIT') {
          reply('221 2.0.0 Bye');
          s.end();
        } else if (verb === 'RSET' || verb === 'NOOP') reply('250 2.0.0 Ok');
        else reply('502 5.5.2 Command not recognized');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address() as net.AddressInfo;
  return {
    host: '127.0.0.1',
    port: addr.port,
    mails,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
