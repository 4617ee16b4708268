import { readFileSync } from 'node:fs';
import { identifier, integer } from './nginx-syntax';
import { renderMainConfig } from './main-renderer';
import { RenderError, type PoolServer, type RenderGateway, type RenderPool } from './render-model';

/*
 * Endpoints without reload (docs/gateway.md, "Endpoints without reload"): an alternative to
 * renderUpstreams whose text holds the pools but not their endpoints. A balancer_by_lua picks an
 * endpoint from a shared dict; the local agent pushes endpoint sets to a control server on a unix
 * socket, so an endpoint change needs neither `nginx -t` nor a reload. Two layouts:
 * - "balancer" (the default, ingress-nginx's): one `upstream berth_balancer` for every pool; the
 *   balancer takes the pool from $berth_route_pool / $berth_pool. The main configuration's
 *   `proxy_pass http://$berth_pool;` lines become `proxy_pass http://berth_balancer;`
 *   (dynamicMainConfig). No upstream per pool is parsed: `nginx -t` of 10,000 routes drops from
 *   seconds to a fraction of a second (runtime-notes §7).
 * - "pool-upstreams": one upstream per pool, each with its own balancer_by_lua_block; the main
 *   configuration is the same text as today, only prefixed with luaModuleLines.
 * Pure, apart from reading the Lua source once.
 */

/** Debian 12's module files (libnginx-mod-http-ndk, libnginx-mod-http-lua); NDK loads first. */
export const luaModuleLines: readonly string[] = [
  'load_module /usr/lib/nginx/modules/ndk_http_module.so;',
  'load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;',
];

/** The endpoints file, relative to the Nginx prefix: the last acknowledged set, loaded at start. */
export const endpointsFile = 'endpoints/current.json';

/**
 * The endpoints file's journal, relative to the prefix: endpoint-only changes written ahead of
 * their pushes since the file was last written whole, one delta (JSON) per line, each from the
 * version before it. Loaded after the file at start. A change at 10,000 pools then writes its
 * pools, not the 1.4 MB set; the whole set is written again every 64 deltas and with every
 * configuration.
 */
export const endpointsJournal = 'endpoints/current.deltas';

/** Directory of the control socket, relative to the prefix (mode 0700: Nginx makes the socket 0666). */
export const controlDir = 'control';

/** The control socket of a node, in its 0700 control directory (prepareNodeDirs). */
export function controlSocketPath(prefix: string): string {
  return `${prefix.replace(/\/+$/, '')}/${controlDir}/endpoints.sock`;
}

const controlListenRe = /^(\s*listen unix:)\S+(;)$/m;

/**
 * The dynamic file with its control server listening on `socket` instead: a node's own prefix
 * (the agent), or a scratch prefix for `nginx -t`. A file without a control server is returned as is.
 */
export function withControlSocket(text: string, socket: string): string {
  return text.replace(controlListenRe, `$1${socket}$2`);
}

/** The one upstream of the "balancer" layout. */
export const balancerUpstream = 'berth_balancer';

export type DynamicLayout = 'balancer' | 'pool-upstreams';

export interface DynamicUpstreamsOptions {
  /** Default "balancer" (see the top of this file). */
  layout?: DynamicLayout | undefined;
  /** Absolute path of the control socket (controlSocketPath(prefix)). */
  controlSocket: string;
  /** Size of the shared dict holding the applied set (MiB, default 64: ~2 copies of 100,000 endpoints). */
  sharedDictMiB?: number | undefined;
  /** Attempts per request across endpoints, as `proxy_next_upstream_tries` (default 3). */
  tries?: number | undefined;
  /**
   * Who writes the endpoints file: "nginx" (default; a push writes it before it answers 200, so
   * the workers need write access to PREFIX/endpoints) or "agent" (the agent writes it before it
   * pushes, write-ahead: what Berth and its agents use, so the workers, `nobody` under a root
   * master, need no access to the prefix at all).
   */
  fileWriter?: 'nginx' | 'agent' | undefined;
}

/** What the agent pushes: the whole endpoint set of every pool, under one version. */
export interface EndpointSet {
  version: number;
  pools: Record<string, PoolServer[]>;
}

/**
 * The pools whose endpoints changed between two sets: set `version` is set `base` with these
 * pools replaced (a pool listed with no endpoints has none). Pushed with PATCH /endpoints.
 */
export interface EndpointDelta {
  version: number;
  base: number;
  pools: Record<string, PoolServer[]>;
}

/** Whether two pools list the same servers, in the same order, with the same weights. */
export function samePool(a: readonly PoolServer[] | undefined, b: readonly PoolServer[]): boolean {
  if (a === b) return true;
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < b.length; i += 1)
    if (a[i]!.address !== b[i]!.address || a[i]!.weight !== b[i]!.weight) return false;
  return true;
}

/**
 * The delta from `base` to `next`, or null when the pools differ (a pool added or dropped: only a
 * configuration version does that, and a whole set goes with it).
 */
export function endpointDelta(base: EndpointSet, next: EndpointSet): EndpointDelta | null {
  const pools: Record<string, PoolServer[]> = {};
  let n = 0;
  for (const name in next.pools) {
    const servers = next.pools[name]!;
    if (!(name in base.pools)) return null;
    n += 1;
    if (!samePool(base.pools[name], servers)) pools[name] = servers;
  }
  for (const name in base.pools) if (!(name in next.pools)) return null;
  return n === Object.keys(base.pools).length ? { version: next.version, base: base.version, pools } : null;
}

/** Folds deltas (in order) into one from the first one's base to the last one's version. */
export function mergeDeltas(deltas: readonly EndpointDelta[]): EndpointDelta | null {
  if (deltas.length === 0) return null;
  const out: EndpointDelta = { version: deltas[0]!.version, base: deltas[0]!.base, pools: {} };
  for (const d of deltas) {
    if (d.base !== out.version && d !== deltas[0]) return null;
    Object.assign(out.pools, d.pools);
    out.version = d.version;
  }
  return out;
}

/** Each pool array's `"name":[...]` entry as UTF-8 (the name kept to check: empty arrays may be shared). */
const poolEntry = new WeakMap<readonly PoolServer[], { name: string; entry: Buffer }>();
/** A set's bytes and text, so the writers of one set (the node's file, Berth's copy) build them once. */
const setText = new WeakMap<EndpointSet, { version: number; bytes: Buffer; json?: string }>();
const comma = Buffer.from(',');
const close = Buffer.from('}}');

/**
 * JSON.stringify(set) as UTF-8 bytes, with each pool's entry cached per array and the result per
 * set object: sets that share their unchanged pools' arrays (applyDelta, the applier's sets) cost
 * only the changed pools and one copy of the bytes (no string of the whole set is built). A set is
 * not changed after it is built (a new version is a new object); its version is checked anyway.
 */
export function setBytes(set: EndpointSet): Buffer {
  const memo = setText.get(set);
  if (memo !== undefined && memo.version === set.version) return memo.bytes;
  const parts: Buffer[] = [Buffer.from(`{"version":${JSON.stringify(set.version)},"pools":{`)];
  for (const name in set.pools) {
    const servers = set.pools[name]!;
    let c = poolEntry.get(servers);
    if (c === undefined || c.name !== name) {
      c = { name, entry: Buffer.from(`${JSON.stringify(name)}:${JSON.stringify(servers)}`) };
      poolEntry.set(servers, c);
    }
    if (parts.length > 1) parts.push(comma);
    parts.push(c.entry);
  }
  parts.push(close);
  const bytes = Buffer.concat(parts);
  setText.set(set, { version: set.version, bytes });
  return bytes;
}

/** setBytes as text (what JSON.stringify(set) answers), decoded once per set. */
export function setJson(set: EndpointSet): string {
  const bytes = setBytes(set);
  const memo = setText.get(set)!;
  memo.json ??= bytes.toString('utf8');
  return memo.json;
}

type Pools = Record<string, PoolServer[]>;

/**
 * The layers of a set applyDelta built whose pools were not read yet: a base record (some earlier
 * set's, never changed) and the pools replaced since it.
 */
const layers = new WeakMap<EndpointSet, { base: Readonly<Pools>; over: ReadonlyMap<string, PoolServer[]> }>();

/** Pools replaced since the base before applyDelta copies the whole record again. */
const maxOver = 256;

function merged(base: Readonly<Pools>, over: ReadonlyMap<string, PoolServer[]>): Pools {
  const out: Pools = {};
  for (const name in base) out[name] = over.get(name) ?? base[name]!;
  for (const [name, servers] of over) if (!(name in out)) out[name] = servers;
  return out;
}

/**
 * A set with a delta applied (a new object; the pool arrays are shared, not copied). Copying a
 * record of 10,000 pools costs ~9 ms on this machine, on every endpoint change in Berth and in
 * each agent; so the set keeps the base record and the pools replaced since, and builds its
 * `pools` record on first read (poolOf reads one pool without it). Sets are never changed once
 * built, so the layers stay valid.
 */
export function applyDelta(base: EndpointSet, delta: EndpointDelta): EndpointSet {
  const l = layers.get(base);
  const root = l ? l.base : base.pools;
  const over = new Map(l?.over);
  for (const name in delta.pools) over.set(name, delta.pools[name]!);
  if (over.size > maxOver) return { version: delta.version, pools: merged(root, over) };
  const set: EndpointSet = {
    version: delta.version,
    get pools(): Pools {
      const pools = merged(root, over);
      Object.defineProperty(set, 'pools', {
        value: pools,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      layers.delete(set);
      return pools;
    },
  };
  layers.set(set, { base: root, over });
  return set;
}

/** One pool of a set (undefined: the set has no such pool), without building a record of all. */
export function poolOf(set: EndpointSet, name: string): PoolServer[] | undefined {
  const l = layers.get(set);
  return l ? (l.over.get(name) ?? l.base[name]) : set.pools[name];
}

let luaSource: string | null = null;

/** The Lua module that runs inside Nginx (lua/berth_endpoints.lua in this package). */
export function endpointsLua(): string {
  luaSource ??= readFileSync(new URL('../lua/berth_endpoints.lua', import.meta.url), 'utf8');
  return luaSource;
}

/**
 * The pool declarations as `M.declare(function() return {...} end)` calls of at most 500 short
 * strings, each list in a function of its own. ngx_lua's block lexer looks for a long string's closing bracket only
 * in the 4 KiB configuration buffer ("Lua code block missing the closing long bracket", depending
 * on where the string starts), so no token here is long; and no function gets more constants
 * than LuaJIT allows, however many pools there are.
 */
function declarations(lines: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i += 500) {
    out.push('M.declare(function() return {');
    for (const l of lines.slice(i, i + 500)) out.push(`"${l}",`);
    out.push('} end)');
  }
  return out;
}

const socketRe = /^\/[A-Za-z0-9._/-]{1,100}\.sock$/;

/**
 * Renders the endpoints file for the Lua balancer: a shared dict, the module (inlined into
 * init_by_lua_block, so the code is checked by `nginx -t` with the configuration), the pools it
 * knows, the upstream(s) of the layout and the control server. Endpoints in `pools` are not
 * rendered: they are pushed.
 */
export function renderDynamicUpstreams(pools: readonly RenderPool[], o: DynamicUpstreamsOptions): string {
  if (!socketRe.test(o.controlSocket) || o.controlSocket.includes('..'))
    throw new RenderError('the control socket must be an absolute path ending in .sock', 'controlSocket');
  const dictMiB = integer(o.sharedDictMiB ?? 64, 'sharedDictMiB');
  const tries = integer(o.tries ?? 3, 'tries');
  const sorted = [...pools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const declared = sorted.map(
    (p) =>
      `${identifier(p.name, 'pool.name')} ${integer(p.maxFails, 'pool.maxFails')} ${integer(p.failTimeoutSeconds, 'pool.failTimeoutSeconds')}`,
  );
  const out: string[] = [
    '# Generated by Berth: upstream pools whose endpoints are pushed at run time (no reload). Do not edit.',
    `lua_shared_dict berth_endpoints ${dictMiB}m;`,
    'init_by_lua_block {',
    'local M = (function()',
    endpointsLua(),
    'end)()',
    'package.loaded.berth_endpoints = M',
    ...declarations(declared),
    `M.init({ dict = "berth_endpoints", file = "${endpointsFile}", journal = "${endpointsJournal}", tries = ${tries}${o.fileWriter === 'agent' ? ', write = false' : ''} })`,
    '}',
  ];
  // The placeholder server an upstream needs; the balancer sets the peer or ends the attempt
  // with 502, and even if it did neither, a `down` server on loopback is never contacted (not
  // ingress-nginx's 0.0.0.1, which some networks route; runtime-notes §7).
  if ((o.layout ?? 'balancer') === 'balancer') {
    out.push(
      `upstream ${balancerUpstream} { server 127.0.0.1:9 down; balancer_by_lua_block { package.loaded.berth_endpoints.balance() } }`,
    );
  } else {
    // One chunk per pool: the name is a validated identifier, so it is safe inside the string.
    for (const p of sorted) {
      if (p.name === balancerUpstream) throw new RenderError(`pool name ${p.name} is reserved`, 'pool.name');
      out.push(
        `upstream ${p.name} { server 127.0.0.1:9 down; balancer_by_lua_block { package.loaded.berth_endpoints.balance("${p.name}") } }`,
      );
    }
  }
  out.push(
    'server {',
    `  listen unix:${o.controlSocket};`,
    '  server_name _;',
    // Bodies stay in memory: the workers may not write to the prefix's temp directories.
    '  client_max_body_size 64m;',
    '  client_body_buffer_size 64m;',
    '  location = /endpoints { content_by_lua_block { package.loaded.berth_endpoints.control() } }',
    '  location / { return 404; }',
    '}',
    '',
  );
  return out.join('\n');
}

const poolProxyPass = /proxy_pass http:\/\/\$(berth_pool|berth_route_pool);/g;

/**
 * The main configuration for dynamic upstreams: luaModuleLines (load_module must come before
 * http{}), then renderMainConfig's text; in the "balancer" layout every `proxy_pass` to a pool
 * variable goes to the one balancer upstream instead (the pool stays in the variable, where the
 * balancer reads it). Everything else is renderMainConfig's, line for line.
 */
export function dynamicMainConfig(g: RenderGateway, layout: DynamicLayout = 'balancer'): string {
  let main = renderMainConfig(g);
  if (layout === 'balancer') {
    main = main.replace(poolProxyPass, `proxy_pass http://${balancerUpstream};`);
    if (/proxy_pass http:\/\/\$/.test(main))
      throw new RenderError('a proxy_pass to a variable the balancer does not read', 'routes');
  }
  return [...luaModuleLines, main].join('\n');
}

/**
 * The endpoints of rendered pools as sorted lines (`POOL ADDRESS weight=W`, a pool without any as
 * `POOL -`): what a change is detected and diffed on, and what a version shows.
 */
export function endpointsText(pools: readonly RenderPool[]): string {
  const blocks: string[] = [];
  for (const p of pools) {
    if (p.servers.length === 0) {
      blocks.push(`${p.name} -`);
      continue;
    }
    // Array.prototype.sort without a comparator compares UTF-16 code units: plain and fast
    const lines = p.servers.map((srv) => `${p.name} ${srv.address} weight=${srv.weight}`).sort();
    blocks.push(lines.join('\n'));
  }
  return blocks.sort().join('\n');
}

/** The endpoint set of rendered pools under a version (what the agent pushes). */
export function endpointSetOf(version: number, pools: readonly RenderPool[]): EndpointSet {
  const set: EndpointSet = { version, pools: {} };
  for (const p of pools) set.pools[p.name] = p.servers.map((s) => ({ address: s.address, weight: s.weight }));
  return set;
}
