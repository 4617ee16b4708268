import { identifier } from './nginx-syntax';
import { RenderError } from './render-model';

/*
 * TCP and UDP entry points (docs/gateway.md, "TCP and UDP entry points; virtual IP"): a
 * `stream {}` configuration in a file of its own, loaded from the main configuration by a
 * top-level `include` after the stream module (Debian 12: libnginx-mod-stream). One `upstream{}`
 * and one `server{}` per entry point; passive health checks (max_fails/fail_timeout) and
 * `proxy_next_upstream` move a connection to the next server when one refuses. Every value is
 * checked here again, whatever schema it came through: a value that could end a directive, open
 * a block or start a line is refused with a RenderError naming the field. Pure: no I/O.
 */

/** The stream file, relative to the main configuration's directory (like upstreams.conf). */
export const streamFileName = 'stream.conf';

/** Debian 12's stream module (libnginx-mod-stream), by absolute path (runtime-notes §7). */
export const streamModuleFile = '/usr/lib/nginx/modules/ngx_stream_module.so';

/**
 * The lines the main configuration needs, at top level: the `load_module` before `events {}`
 * (Nginx refuses a load_module after the first block that counts modules), the `include` anywhere
 * after it outside `http {}`.
 */
export const streamMainLines = {
  loadModule: `load_module ${streamModuleFile};`,
  include: `include ${streamFileName};`,
} as const;

/**
 * A main configuration (renderMainConfig or dynamicMainConfig output) with the stream lines: the
 * load_module first, the include last. What the applier can use until main-renderer has them.
 */
export function withStream(main: string): string {
  return [streamMainLines.loadModule, main.trimEnd(), streamMainLines.include, ''].join('\n');
}

export type StreamProtocol = 'tcp' | 'udp';

/** One server of an entry point's pool. */
export interface StreamServer {
  /** IPV4:PORT. */
  address: string;
  /** 0-1000; 0 keeps the server in the pool marked `down` (no new connections). */
  weight: number;
}

/** One port of the gateway, forwarded to a pool of servers. */
export interface StreamEntryPoint {
  /** Stable identifier ([a-z][a-z0-9_]*), e.g. `berth_tcp_6379`; names the upstream. */
  name: string;
  /** IPV4:PORT the gateway listens on (0.0.0.0:PORT for every address). */
  listen: string;
  protocol: StreamProtocol;
  servers: StreamServer[];
  /** Failed attempts within failTimeoutSeconds that take a server out (0: never). 0-100. */
  maxFails: number;
  /** How long a failed server stays out, and the window failures are counted in. 1-3600. */
  failTimeoutSeconds: number;
  /** TCP only: time to establish the connection to a server (1-600, default 5). */
  connectTimeoutSeconds?: number | undefined;
  /** Idle time between two reads or writes before the session closes (1-86400; default TCP 600, UDP 30). */
  timeoutSeconds?: number | undefined;
  /** Servers tried for one connection, 1-100 (default 3). */
  nextUpstreamTries?: number | undefined;
  /**
   * UDP only: datagrams expected back for each client datagram (0-1000). 1 suits request/answer
   * protocols (DNS): the session ends on the answer. Unset: the session lasts until timeoutSeconds.
   */
  udpResponses?: number | undefined;
}

export interface RenderStream {
  entryPoints: StreamEntryPoint[];
}

function fail(message: string, field: string): never {
  throw new RenderError(message, field);
}

/** An integer in [min, max]. */
function bounded(value: unknown, min: number, max: number, field: string): string {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    fail(`${field} must be an integer from ${min} to ${max}`, field);
  }
  return String(value);
}

const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** IPV4:PORT with a port from 1 to 65535; nothing else reaches the text. */
export function ipv4Address(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length > 21) fail(`${field} must be IPV4:PORT`, field);
  const m = /^([0-9.]+):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : 0;
  if (!m || !ipv4.test(m[1] ?? '') || port < 1 || port > 65535) {
    fail(`${field} must be IPV4:PORT (port 1-65535), not "${printable(value)}"`, field);
  }
  return value;
}

/** A short, single-line excerpt of a refused value for a message. */
function printable(value: string): string {
  return value.slice(0, 40).replace(/[^\x20-\x7e]/g, '?');
}

function entryPoint(e: StreamEntryPoint, i: number, out: string[]): void {
  const f = `entryPoints[${i}]`;
  const name = identifier(e.name, `${f}.name`);
  const listen = ipv4Address(e.listen, `${f}.listen`);
  if (e.protocol !== 'tcp' && e.protocol !== 'udp')
    fail(`${f}.protocol must be "tcp" or "udp"`, `${f}.protocol`);
  const udp = e.protocol === 'udp';
  if (!Array.isArray(e.servers)) fail(`${f}.servers must be a list`, `${f}.servers`);
  if (e.servers.length > 1000) fail(`${f}.servers has more than 1000 servers`, `${f}.servers`);
  const health = `max_fails=${bounded(e.maxFails, 0, 100, `${f}.maxFails`)} fail_timeout=${bounded(e.failTimeoutSeconds, 1, 3600, `${f}.failTimeoutSeconds`)}s`;
  const seen = new Set<string>();
  const servers = e.servers.map((s, j) => {
    const sf = `${f}.servers[${j}]`;
    const addr = ipv4Address(s.address, `${sf}.address`);
    if (seen.has(addr)) fail(`${sf}.address ${addr} is listed twice`, `${sf}.address`);
    seen.add(addr);
    const weight = bounded(s.weight, 0, 1000, `${sf}.weight`);
    return weight === '0' ? `server ${addr} down;` : `server ${addr} weight=${weight} ${health};`;
  });
  // Nginx refuses an empty upstream; a pool with no server refuses connections at once.
  if (servers.length === 0) servers.push('server 127.0.0.1:9 down;');
  const connect = e.connectTimeoutSeconds ?? 5;
  const timeout = e.timeoutSeconds ?? (udp ? 30 : 600);
  const tries = e.nextUpstreamTries ?? 3;
  if (!udp && e.udpResponses !== undefined)
    fail(`${f}.udpResponses applies to UDP entry points only`, `${f}.udpResponses`);
  if (udp && e.connectTimeoutSeconds !== undefined)
    fail(`${f}.connectTimeoutSeconds applies to TCP entry points only`, `${f}.connectTimeoutSeconds`);

  out.push(`  upstream ${name} {`);
  for (const s of servers) out.push(`    ${s}`);
  out.push('  }');
  out.push('  server {');
  out.push(`    listen ${listen}${udp ? ' udp' : ''};`);
  out.push(`    proxy_pass ${name};`);
  if (!udp) out.push(`    proxy_connect_timeout ${bounded(connect, 1, 600, `${f}.connectTimeoutSeconds`)}s;`);
  out.push(`    proxy_timeout ${bounded(timeout, 1, 86400, `${f}.timeoutSeconds`)}s;`);
  out.push('    proxy_next_upstream on;');
  out.push(`    proxy_next_upstream_tries ${bounded(tries, 1, 100, `${f}.nextUpstreamTries`)};`);
  if (udp && e.udpResponses !== undefined)
    out.push(`    proxy_responses ${bounded(e.udpResponses, 0, 1000, `${f}.udpResponses`)};`);
  out.push('  }');
}

/**
 * Renders the stream file: `stream { upstream … server … }`, entry points sorted by name so the
 * same model gives the same text. An empty model gives an empty `stream {}` (the main
 * configuration's two lines can stay the same whether a gateway has entry points or not).
 */
export function renderStream(model: RenderStream): string {
  const out = ['# Generated by Berth: TCP and UDP entry points. Do not edit.', 'stream {'];
  const list = model.entryPoints.map((e, i) => ({ e, i }));
  list.sort((a, b) => (a.e.name < b.e.name ? -1 : a.e.name > b.e.name ? 1 : a.i - b.i));
  const names = new Set<string>();
  const listens = new Map<string, number>();
  for (const { e, i } of list) {
    entryPoint(e, i, out);
    if (names.has(e.name)) fail(`entryPoints[${i}].name ${e.name} is used twice`, `entryPoints[${i}].name`);
    names.add(e.name);
    // Nginx refuses one address and port twice for a protocol (0.0.0.0:P beside 127.0.0.1:P is
    // fine: Nginx binds the wildcard and picks the server by the connection's address).
    const key = `${e.listen}/${e.protocol}`;
    const j = listens.get(key);
    if (j !== undefined)
      fail(
        `entryPoints[${i}].listen ${key} is already used by entryPoints[${j}]`,
        `entryPoints[${i}].listen`,
      );
    listens.set(key, i);
  }
  out.push('}', '');
  return out.join('\n');
}

/**
 * stream.conf adapted to one node (the agent, like adaptConfig for the main file): every
 * rendered `listen HOST:PORT[ udp];` whose HOST is the gateway's listen host moves to the node's
 * host, keeping the entry point's port. Other lines are kept as they are.
 */
export function adaptStreamListen(stream: string, gatewayHost: string, nodeHost: string | undefined): string {
  if (!nodeHost || nodeHost === gatewayHost) return stream;
  return stream
    .split('\n')
    .map((line) => {
      const l = /^(\s*listen )([^\s:]+)(:\d{1,5}(?: udp)?;)$/.exec(line);
      return l && l[2] === gatewayHost ? `${l[1]}${nodeHost}${l[3]}` : line;
    })
    .join('\n');
}
