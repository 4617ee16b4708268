import { networkInterfaces } from 'node:os';
import type { Config } from '../../config/config';

/*
 * The backend fence: addresses no route may send traffic to, whatever the allowed networks say.
 * Keep every listener Berth runs in berthListeners(): a new one (Prometheus, Alertmanager, …)
 * is added there and is fenced from then on.
 */

/** An IPv4 address as an unsigned 32-bit number; null when the text is not a dotted quad. */
export function ipv4ToInt(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    n = n * 256 + Number(p);
  }
  return n;
}

export function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export interface Cidr {
  /** Network address (host bits cleared). */
  base: number;
  bits: number;
}

/** Parses "A.B.C.D/N" or a single address (a /32); null when not valid. */
export function parseCidr(text: string): Cidr | null {
  const [ip = '', bitsText] = text.split('/');
  const addr = ipv4ToInt(ip);
  const bits = bitsText === undefined ? 32 : /^\d{1,2}$/.test(bitsText) ? Number(bitsText) : NaN;
  if (addr === null || !(bits >= 0 && bits <= 32)) return null;
  const size = 2 ** (32 - bits);
  return { base: Math.floor(addr / size) * size, bits };
}

/** The canonical text of a CIDR: host bits cleared, always with its prefix length. */
export function cidrText(c: Cidr): string {
  return `${intToIpv4(c.base)}/${c.bits}`;
}

export function cidrContains(c: Cidr, ip: number): boolean {
  const size = 2 ** (32 - c.bits);
  return ip >= c.base && ip < c.base + size;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const wide = a.bits <= b.bits ? a : b;
  const narrow = wide === a ? b : a;
  return cidrContains(wide, narrow.base);
}

interface FencedRange {
  cidr: Cidr;
  what: string;
}

const range = (text: string, what: string): FencedRange => ({ cidr: parseCidr(text)!, what });

/** Loopback: fenced unless BERTH_GATEWAY_ALLOW_LOOPBACK_BACKENDS (development and tests). */
export const loopbackRange = range('127.0.0.0/8', 'a loopback address (127.0.0.0/8): this machine itself');

/** Ranges never allowed as backends, whatever the allowlist says. */
export const fencedRanges: readonly FencedRange[] = [
  range('0.0.0.0/8', 'an unspecified address (0.0.0.0/8): it reaches this machine itself'),
  range('169.254.0.0/16', 'a link-local address (169.254.0.0/16), where cloud metadata services answer'),
  range('100.100.100.200/32', 'a cloud metadata service address (100.100.100.200)'),
  range('224.0.0.0/3', 'a multicast, reserved or broadcast address (224.0.0.0/3)'),
];

/** A HOST:PORT Berth itself listens on, with what it is. */
export interface Listener {
  what: string;
  host: string;
  port: number;
}

/** HOST:PORT (an IPv6 host in brackets) as host and port; null when it names no valid port. */
export function splitHostPort(value: string): { host: string; port: number } | null {
  const i = value.lastIndexOf(':');
  if (i <= 0) return null;
  const port = Number(value.slice(i + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return null;
  return { host: value.slice(0, i).replace(/^\[|\]$/g, ''), port };
}

/** HOST:PORT of an http(s) URL (its default port when it names none). */
function urlHostPort(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`;
}

/** The database server, when it is PostgreSQL on a TCP address. */
function databaseListener(url: string): Listener | null {
  if (!/^postgres(ql)?:\/\//.test(url)) return null;
  try {
    const u = new URL(url);
    if (!u.hostname) return null;
    return { what: 'the PostgreSQL database', host: u.hostname, port: Number(u.port || 5432) };
  } catch {
    return null;
  }
}

/**
 * Every listener Berth runs or depends on: the API, the embedded registry, every gateway's
 * listeners, Prometheus, Alertmanager and the blackbox exporter (embedded or external), and the
 * database. The Podman API is a unix socket (nothing to fence).
 * `apiPort` is the port the API really bound (a config port of 0 picks one at start).
 */
export function berthListeners(
  config: Readonly<Config>,
  gateways: Array<{ name: string; listen: string; tls_listen: string | null }>,
  apiPort: number | null,
): Listener[] {
  const out: Listener[] = [];
  const add = (what: string, value: string | null) => {
    const hp = value ? splitHostPort(value) : null;
    if (hp) out.push({ what, ...hp });
  };
  out.push({ what: 'the Berth API', host: config.listenHost, port: apiPort ?? config.listenPort });
  add('the embedded registry', config.registryListen);
  add('the local gateway', config.gatewayListen);
  add('the local gateway (TLS)', config.gatewayTlsListen);
  add("the gateway nodes' metrics", config.gatewayMetricsListen);
  // the monitoring stack (docs/monitoring.md), embedded or external: a route to it would reach
  // Prometheus' reload and Alertmanager's silences
  const m = config.monitoring;
  if (m.enabled) {
    add('Prometheus', m.prometheusUrl ? urlHostPort(m.prometheusUrl) : m.prometheusListen);
    add('Alertmanager', m.alertmanagerUrl ? urlHostPort(m.alertmanagerUrl) : m.alertmanagerListen);
    add('the blackbox exporter', m.blackboxUrl ? urlHostPort(m.blackboxUrl) : m.blackboxListen);
  }
  for (const g of gateways) {
    add(`gateway '${g.name}'`, g.listen);
    add(`gateway '${g.name}' (TLS)`, g.tls_listen);
  }
  const dbl = databaseListener(config.databaseUrl);
  if (dbl) out.push(dbl);
  return out;
}

/** The IPv4 addresses of this machine's interfaces, and their subnet broadcast addresses. */
export function localAddresses(): { addresses: number[]; broadcasts: number[] } {
  const addresses: number[] = [];
  const broadcasts: number[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family !== 'IPv4') continue;
      const ip = ipv4ToInt(a.address);
      const mask = ipv4ToInt(a.netmask);
      if (ip === null) continue;
      addresses.push(ip);
      if (mask !== null && mask !== 0xffffffff && mask !== 0xfffffffe)
        broadcasts.push((ip | (~mask >>> 0)) >>> 0);
    }
  }
  return { addresses, broadcasts };
}

function hostAddresses(host: string, local: number[]): number[] {
  if (host === '0.0.0.0' || host === '::' || host === '') return [ipv4ToInt('0.0.0.0')!, ...local];
  if (host === 'localhost' || host === '::1') return [ipv4ToInt('127.0.0.1')!];
  const ip = ipv4ToInt(host);
  return ip === null ? [] : [ip];
}

/**
 * Why an address may never be a backend, or null. Loopback counts unless allowLoopback; Berth's
 * own listeners count always (a wildcard listener: every address of this machine at its port).
 */
export function fencedReason(
  address: string,
  opts: { allowLoopback: boolean; listeners: Listener[] },
): string | null {
  const hp = splitHostPort(address);
  const ip = hp ? ipv4ToInt(hp.host) : null;
  if (!hp || ip === null) return 'not an IPv4 address and port';
  const { addresses, broadcasts } = localAddresses();
  for (const l of opts.listeners) {
    if (l.port === hp.port && hostAddresses(l.host, addresses).includes(ip))
      return `${l.what} (${l.host}:${l.port}), a listener of Berth itself`;
  }
  for (const r of fencedRanges) if (cidrContains(r.cidr, ip)) return r.what;
  if (!opts.allowLoopback && cidrContains(loopbackRange.cidr, ip)) return loopbackRange.what;
  if (ip === 0xffffffff || broadcasts.includes(ip)) return 'a broadcast address';
  return null;
}

/** Why a CIDR may never be an allowed network, or null. */
export function fencedNetworkReason(cidr: Cidr, allowLoopback: boolean): string | null {
  const ranges = allowLoopback ? fencedRanges : [loopbackRange, ...fencedRanges];
  // single fenced addresses (a metadata IP) stay fenced per backend; the network around them may be allowed
  for (const r of ranges) if (r.cidr.bits < 32 && cidrsOverlap(cidr, r.cidr)) return `it includes ${r.what}`;
  return null;
}
