import { createHmac } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { rootCertificates as tlsRootCertificates } from 'node:tls';
import nodemailer from 'nodemailer';
import type { ChannelKind } from '@berth/shared';

/*
 * One attempt to deliver one message to one channel, per kind (docs/alerts.md, "Channels").
 * HTTP kinds post JSON with node:http(s) through a lookup that refuses fenced addresses, so a
 * name that resolves to a metadata service or to Berth itself is refused at connect time too.
 */

/** An alert as a channel shows it. */
export interface MessageAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string | null;
  fingerprint: string;
}

/** What one delivery says: a group of alerts of one rule of one project. */
export interface AlertMessage {
  project: string;
  env: string;
  ruleName: string;
  severity: string;
  status: 'firing' | 'resolved';
  title: string;
  alerts: MessageAlert[];
  /** A test-send from the API (the receiver can tell it apart). */
  test: boolean;
  /** The project's alerts page in the portal. */
  link: string;
}

/** A channel as its sender needs it: settings and opened secrets. */
export interface ChannelTarget {
  kind: ChannelKind;
  settings: Record<string, unknown>;
  secrets: { url?: string; secret?: string; password?: string };
}

export interface AttemptResult {
  ok: boolean;
  /** HTTP status or SMTP reply code; null when nothing answered. */
  code: number | null;
  detail: string;
  durationMs: number;
}

/** Why an address may not be reached (the fence), or null. */
export type AddressGuard = (ip: string, port: number) => string | null;

const timeoutMs = 10_000;

/** Header names of the webhook kind's signature. */
export const webhookHeaders = { signature: 'x-berth-signature', timestamp: 'x-berth-timestamp' } as const;

/** `sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<body>")>`: what a webhook receiver recomputes. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** DingTalk: base64(HMAC-SHA256(key = secret, message = timestamp + "\n" + secret)), ms timestamp. */
export function dingtalkSign(secret: string, timestampMs: string): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

/** Feishu/Lark: base64(HMAC-SHA256(key = timestamp + "\n" + secret, message = "")), s timestamp. */
export function feishuSign(secret: string, timestampS: string): string {
  return createHmac('sha256', `${timestampS}\n${secret}`).update('').digest('base64');
}

/**
 * The alert group as markdown lines (DingTalk, WeCom, Slack's mrkdwn, e-mail text). `maxBytes`
 * (UTF-8) is the receiver's limit: alerts that do not fit are counted in one line instead, so a
 * big group is still delivered and the link shows them all.
 */
export function messageText(
  m: AlertMessage,
  style: 'markdown' | 'slack' | 'plain',
  maxBytes = Number.POSITIVE_INFINITY,
): string {
  const bold = (s: string) => (style === 'markdown' ? `**${s}**` : style === 'slack' ? `*${s}*` : s);
  const blocks = m.alerts.map((a) => {
    const what = a.annotations.summary ?? a.labels.alertname ?? m.ruleName;
    const where = ['service', 'container', 'route']
      .filter((k) => a.labels[k])
      .map((k) => `${k}=${a.labels[k]}`);
    const lines = [
      `- ${a.status === 'firing' ? 'FIRING' : 'RESOLVED'}: ${what}${where.length ? ` (${where.join(', ')})` : ''}`,
    ];
    if (a.annotations.description) lines.push(`  ${a.annotations.description}`);
    lines.push(`  since ${a.startsAt}${a.status === 'resolved' && a.endsAt ? `, ended ${a.endsAt}` : ''}`);
    return lines.join('\n');
  });
  const link = style === 'markdown' ? `[Open in Berth](${m.link})` : m.link;
  const text = (shown: number) => {
    const rest = blocks.length - shown;
    const more =
      rest > 0 ? [`- … and ${rest} more alert${rest > 1 ? 's' : ''}: open the link to see all`] : [];
    return [bold(m.title), '', ...blocks.slice(0, shown), ...more, '', link].join('\n');
  };
  let shown = blocks.length;
  while (shown > 0 && Buffer.byteLength(text(shown), 'utf8') > maxBytes) shown -= 1;
  return text(shown);
}

/** The webhook kind's JSON body. */
export function webhookBody(m: AlertMessage): Record<string, unknown> {
  return {
    version: 'berth.alerts/v1',
    project: m.project,
    env: m.env,
    rule: m.ruleName,
    severity: m.severity,
    status: m.status,
    title: m.title,
    test: m.test,
    link: m.link,
    alerts: m.alerts,
  };
}

function guardedLookup(guard: AddressGuard, port: number) {
  return (
    hostname: string,
    options: unknown,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    dnsLookup(hostname, { all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      for (const a of addresses) {
        const why = guard(a.address, port);
        if (why)
          return callback(
            Object.assign(new Error(`${hostname} resolves to ${a.address}: ${why}`), { code: 'EFENCED' }),
            [],
          );
      }
      const all = (options as { all?: boolean }).all;
      if (all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** Where a URL's host:port may not go, checked before connecting (IP literals skip the lookup). */
function checkLiteral(url: URL, guard: AddressGuard): string | null {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return isIP(host) ? guard(host, port) : null;
}

async function postJson(
  url: URL,
  body: string,
  headers: Record<string, string>,
  guard: AddressGuard,
): Promise<{ status: number; text: string }> {
  const refused = checkLiteral(url, guard);
  if (refused) throw Object.assign(new Error(`${url.host}: ${refused}`), { code: 'EFENCED' });
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
        lookup: guardedLookup(guard, port),
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < 4096) chunks.push(c);
          size += c.length;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8').slice(0, 4096),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Robots answer 200 with an error code in the body: DingTalk/WeCom errcode, Feishu code. */
/**
 * What of an answer's body a delivery record keeps: only Slack's one-word answers (`ok`,
 * `invalid_payload`, `no_service`). A channel's URL may point at an internal service of the
 * company (it is fenced from Berth's own listeners, not from every address), and a record that
 * echoed the body would hand that service's content to whoever may test-send and read the
 * channel. The robots' JSON error codes are read by robotError; a webhook keeps its status only.
 */
function vendorWord(kind: ChannelKind, text: string): string | null {
  const word = text.trim();
  return kind === 'slack' && /^[a-z_]{1,40}$/.test(word) ? word : null;
}

function robotError(kind: ChannelKind, text: string): string | null {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return kind === 'slack' ? null : `the answer is not JSON (${text.length} characters, not shown)`;
  }
  const code = kind === 'feishu' ? (json.code ?? json.StatusCode) : json.errcode;
  if (code === undefined || code === 0) return null;
  const msg = kind === 'feishu' ? (json.msg ?? json.StatusMessage) : json.errmsg;
  return `${kind} refused it: code ${JSON.stringify(code)}${typeof msg === 'string' && msg ? `, ${msg}` : ''}`;
}

function httpRequestFor(
  t: ChannelTarget,
  m: AlertMessage,
  now: Date,
): { url: URL; body: string; headers: Record<string, string> } {
  const url = new URL(t.secrets.url ?? '');
  const headers: Record<string, string> = {};
  let payload: Record<string, unknown>;
  switch (t.kind) {
    case 'webhook': {
      const body = JSON.stringify(webhookBody(m));
      const ts = String(Math.floor(now.getTime() / 1000));
      headers[webhookHeaders.timestamp] = ts;
      headers[webhookHeaders.signature] = webhookSignature(t.secrets.secret ?? '', ts, body);
      return { url, body, headers };
    }
    case 'slack':
      payload = { text: messageText(m, 'slack') };
      break;
    case 'dingtalk': {
      if (t.secrets.secret) {
        const ts = String(now.getTime());
        url.searchParams.set('timestamp', ts);
        // URLSearchParams encodes the base64 ("+", "/", "=") as DingTalk's urlencode does
        url.searchParams.set('sign', dingtalkSign(t.secrets.secret, ts));
      }
      // DingTalk's limit for a message is 20000 bytes
      payload = {
        msgtype: 'markdown',
        markdown: { title: m.title, text: messageText(m, 'markdown', 20_000) },
      };
      break;
    }
    case 'feishu': {
      const text = messageText(m, 'plain');
      payload =
        t.settings.msgType === 'text'
          ? { msg_type: 'text', content: { text } }
          : {
              msg_type: 'interactive',
              card: {
                header: {
                  title: { tag: 'plain_text', content: m.title },
                  template: m.status === 'resolved' ? 'green' : m.severity === 'critical' ? 'red' : 'orange',
                },
                elements: [{ tag: 'div', text: { tag: 'lark_md', content: messageText(m, 'markdown') } }],
              },
            };
      if (t.secrets.secret) {
        const ts = String(Math.floor(now.getTime() / 1000));
        payload = { timestamp: ts, sign: feishuSign(t.secrets.secret, ts), ...payload };
      }
      break;
    }
    case 'wecom':
      // WeCom refuses markdown.content over 4096 bytes (errcode 40058)
      payload = { msgtype: 'markdown', markdown: { content: messageText(m, 'markdown', 4096) } };
      break;
    default:
      throw new Error(`not an HTTP channel kind: ${t.kind}`);
  }
  return { url, body: JSON.stringify(payload), headers };
}

async function sendEmail(
  t: ChannelTarget,
  m: AlertMessage,
  guard: AddressGuard,
): Promise<{ code: number | null; detail: string }> {
  const s = t.settings as {
    host: string;
    port: number;
    tls: 'none' | 'starttls' | 'tls';
    user?: string;
    from: string;
    to: string[];
    caCertificate?: string;
  };
  const host = s.host.replace(/^\[|\]$/g, '');
  // resolve here and connect to the checked address (nodemailer resolves on its own otherwise)
  const addresses = isIP(host)
    ? [{ address: host }]
    : await new Promise<LookupAddress[]>((resolve, reject) =>
        dnsLookup(host, { all: true }, (err, a) => (err ? reject(err) : resolve(a))),
      );
  for (const a of addresses) {
    const why = guard(a.address, s.port);
    if (why)
      throw Object.assign(new Error(`${s.host} (${a.address}:${s.port}): ${why}`), { code: 'EFENCED' });
  }
  const transport = nodemailer.createTransport({
    host: addresses[0]!.address,
    port: s.port,
    secure: s.tls === 'tls',
    requireTLS: s.tls === 'starttls',
    ignoreTLS: s.tls === 'none',
    // the server's certificate is checked (name and chain); caCertificate adds what to trust
    tls: {
      servername: isIP(host) ? undefined : host,
      ...(s.caCertificate ? { ca: [...tlsRootCertificates, s.caCertificate] } : {}),
    },
    ...(s.user ? { auth: { user: s.user, pass: t.secrets.password ?? '' } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  try {
    const info = (await transport.sendMail({
      from: s.from,
      to: s.to,
      subject: m.title,
      text: messageText(m, 'plain'),
      headers: { 'X-Berth-Project': m.project },
    })) as { response?: string };
    const response = info.response ?? '';
    const code = /^\d{3}/.test(response) ? Number(response.slice(0, 3)) : null;
    return { code, detail: response.slice(0, 500) };
  } catch (err) {
    throw certificateHint(err, s.tls);
  } finally {
    transport.close();
  }
}

/** A refused certificate says how to trust the server's (an internal CA, a self-signed one). */
function certificateHint(err: unknown, mode: string): unknown {
  // nodemailer replaces Node's TLS error code with its own (ETLS…): match Node's messages
  const untrusted =
    /self[- ]signed certificate|unable to verify the first certificate|unable to get (local )?issuer certificate|does not match certificate's altnames|certificate has expired/i;
  if (mode === 'none' || !(err instanceof Error) || !untrusted.test(err.message)) return err;
  err.message = `${err.message} (the SMTP server's certificate is not trusted: put the PEM of its CA, or its self-signed certificate, in settings.caCertificate)`;
  return err;
}

/** One attempt: never throws; the result says what happened. */
export async function deliverOnce(
  t: ChannelTarget,
  m: AlertMessage,
  guard: AddressGuard,
  now = new Date(),
): Promise<AttemptResult> {
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  try {
    if (t.kind === 'email') {
      const r = await sendEmail(t, m, guard);
      return { ok: true, code: r.code, detail: r.detail, durationMs: took() };
    }
    const req = httpRequestFor(t, m, now);
    const res = await postJson(req.url, req.body, req.headers, guard);
    const ok2xx = res.status >= 200 && res.status < 300;
    const refused = ok2xx && t.kind !== 'webhook' ? robotError(t.kind, res.text) : null;
    const said = vendorWord(t.kind, res.text);
    if (!ok2xx)
      return {
        ok: false,
        code: res.status,
        detail: `HTTP ${res.status}${said ? `: ${said}` : ''}`,
        durationMs: took(),
      };
    if (refused) return { ok: false, code: res.status, detail: refused, durationMs: took() };
    return { ok: true, code: res.status, detail: said || `HTTP ${res.status}`, durationMs: took() };
  } catch (err) {
    const e = err as { responseCode?: number; response?: string; message?: string };
    const detail = e.response ? `${e.message ?? ''} (${e.response})` : (e.message ?? String(err));
    return {
      ok: false,
      code: typeof e.responseCode === 'number' ? e.responseCode : null,
      detail: detail.slice(0, 500),
      durationMs: took(),
    };
  }
}
