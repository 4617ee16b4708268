import { execFile } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';

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
  format?: 'plain' | 'dingtalk' | 'feishu' | 'wecom' | 'slack';
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
        case 'slack':
          // Slack answers text: "ok", or an error word with 400 (invalid_payload, no_text, …)
          res.statusCode = opts.statusOf?.(received.length) ?? (refused ? 400 : 200);
          res.setHeader('content-type', 'text/html');
          res.end(refused ?? 'ok');
          break;
        case 'wecom':
          // WeCom: 93000 "invalid webhook url" for a wrong key, 40008 "invalid message type"
          res.end(
            JSON.stringify(
              refused
                ? { errcode: /key/.test(refused) ? 93000 : 40008, errmsg: refused }
                : { errcode: 0, errmsg: 'ok' },
            ),
          );
          break;
        case 'dingtalk':
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

/**
 * Slack incoming webhook: a POST of JSON (content-type application/json) with `text` (mrkdwn:
 * *bold*, not **bold**) and/or `blocks`; no text and no blocks is `no_text`, other JSON
 * `invalid_payload`.
 */
export function slackCheck(): Check {
  return ({ headers, json, body }) => {
    if (!String(headers['content-type'] ?? '').startsWith('application/json')) return 'invalid_payload';
    if (body && Object.keys(json).length === 0) return 'invalid_payload';
    const text = json.text;
    const blocks = json.blocks;
    if (text === undefined && blocks === undefined) return 'no_text';
    if (text !== undefined && (typeof text !== 'string' || !text.trim())) return 'no_text';
    if (blocks !== undefined && !Array.isArray(blocks)) return 'invalid_blocks';
    if (typeof text === 'string' && /\*\*/.test(text)) return 'invalid_payload: ** is not mrkdwn bold';
    return null;
  };
}

/**
 * WeCom group robot (群机器人): POST …/cgi-bin/webhook/send?key=KEY with
 * {"msgtype":"markdown","markdown":{"content":…}}, content at most 4096 bytes of UTF-8.
 */
export function wecomCheck(key: string): Check {
  return ({ url, json }) => {
    if (url.pathname !== '/cgi-bin/webhook/send' || url.searchParams.get('key') !== key)
      return 'invalid webhook url, the key is wrong';
    if (json.msgtype !== 'markdown') return 'invalid message type';
    const md = json.markdown as { content?: unknown } | undefined;
    if (!md || typeof md.content !== 'string' || !md.content) return 'markdown.content missing';
    if (Buffer.byteLength(md.content, 'utf8') > 4096) return 'markdown.content exceeds 4096 bytes';
    return null;
  };
}

/** A self-signed certificate for 127.0.0.1 (an IP SAN) and its key, made by openssl (argv only). */
export async function makeLoopbackCert(): Promise<{ certificate: string; key: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-smtp-cert-'));
  try {
    await promisify(execFile)('openssl', [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
      ...['-days', '2', '-subj', '/CN=sink.test', '-addext', 'subjectAltName=IP:127.0.0.1'],
      ...['-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem')],
    ]);
    return {
      certificate: readFileSync(path.join(dir, 'c.pem'), 'utf8'),
      key: readFileSync(path.join(dir, 'k.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Mail {
  from: string;
  to: string[];
  data: string;
  /** Whether the mail came after STARTTLS. */
  tls: boolean;
}

export interface SmtpSink {
  host: string;
  port: number;
  mails: Mail[];
  close(): Promise<void>;
}

/**
 * A minimal SMTP server (RFC 5321): records every mail it accepts. With `starttls` it offers
 * STARTTLS (RFC 3207) with that certificate and, as servers that require it do, answers 530 to a
 * MAIL before it.
 */
export async function startSmtpSink(
  opts: { starttls?: { certificate: string; key: string } } = {},
): Promise<SmtpSink> {
  const mails: Mail[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((plain) => {
    sockets.add(plain);
    plain.on('close', () => sockets.delete(plain));
    plain.on('error', () => undefined);
    let s: net.Socket = plain;
    let secure = false;
    let buf = '';
    let inData = false;
    let mail: Mail = { from: '', to: [], data: '', tls: false };
    const reply = (line: string) => s.write(`${line}\r\n`);
    reply('220 sink.test ESMTP ready');
    const onData = (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          if (end < 0) return;
          mail.data = buf.slice(0, end);
          buf = buf.slice(end + 5);
          inData = false;
          mails.push(mail);
          mail = { from: '', to: [], data: '', tls: secure };
          reply('250 2.0.0 Ok: queued');
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO')
          s.write(`250-sink.test\r\n${opts.starttls && !secure ? '250-STARTTLS\r\n' : ''}250 8BITMIME\r\n`);
        else if (verb === 'HELO') reply('250 sink.test');
        else if (line.toUpperCase() === 'STARTTLS' && opts.starttls && !secure) {
          reply('220 2.0.0 Ready to start TLS');
          // the rest is read from the TLS socket; what came before the handshake is dropped (RFC 3207)
          plain.removeListener('data', onData);
          buf = '';
          const t = new tls.TLSSocket(plain, {
            isServer: true,
            cert: opts.starttls.certificate,
            key: opts.starttls.key,
          });
          t.on('error', () => undefined);
          t.on('data', onData);
          s = t;
          secure = true;
          mail.tls = true;
          return;
        } else if (verb === 'MAIL' && opts.starttls && !secure)
          reply('530 5.7.0 Must issue a STARTTLS command first');
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
    };
    plain.on('data', onData);
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
