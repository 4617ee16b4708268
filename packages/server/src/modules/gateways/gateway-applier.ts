import { readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { BerthError, InvalidError } from '@berth/shared';
import {
  LocalNginxNode,
  RenderError,
  controlSocketPath,
  deliverEndpoints,
  dynamicMainConfig,
  applyDelta,
  endpointDelta,
  endpointSetOf,
  endpointsFile,
  endpointsText,
  mergeDeltas,
  lineDiff,
  poolOf,
  prepareNodeDirs,
  readEndpointsSet,
  renderDynamicUpstreams,
  renderStream,
  samePool,
  streamFileName,
  streamMainLines,
  withStream,
  validateConfig,
  writeEndpointsFile,
  writeEndpointsAhead,
  type EndpointDelta,
  type EndpointSet,
  type PoolServer,
  type RenderGateway,
  type RenderPool,
} from '@berth/gateway-nginx';
import { nowIso } from '../../util';
import { deriveAddresses } from './endpoint-addresses';
import type { GatewayPlan } from './gateway-planner';
import {
  encodeRoutesSnapshot,
  type GatewayRow,
  type GatewaysRepository,
  type RouteChange,
  type RouteRow,
  type VersionRow,
} from './gateways.repository';

/** Who applies and why; a user change also carries the route change to commit with it. */
export interface ApplyRequest {
  author: string;
  reason: string;
  /** The route change this configuration includes; committed only if it validates. */
  change: RouteChange | null;
  /** The env's routes after the change: stored with the version for rollbacks. */
  routesAfter: RouteRow[];
  /** An admin change (gateway settings, snippets): always validated and recorded, like a route change. */
  force?: boolean;
}

/**
 * The gateway's current endpoint set file, its version the version number that produced it: what
 * agents are given and the drain confirmation reads when this process has not published the set
 * itself (a restart, another instance). It is the local node's endpoints file
 * (`<gatewayDir>/<gateway>/endpoints/current.json`, with its journal of the endpoint-only changes
 * since: readCurrentSet), which the local Nginx loads as it starts and which is written ahead of
 * every push anyway: one file, not a second copy of the 1.4 MB set at 10,000 pools. Written after
 * the configuration it belongs to is installed.
 */
export function currentSetFile(gatewayDir: string, gateway: string): string {
  return path.join(gatewayDir, gateway, endpointsFile);
}

/** Where Berth before 2026-12-07 kept a copy of the set (read when the node's file is missing). */
const legacySetFile = (gatewayDir: string, gateway: string) =>
  path.join(gatewayDir, gateway, 'conf', 'endpoints.json');

/** The gateway's current endpoint set (the file with its journal's deltas), or null before the first one. */
export async function readCurrentSet(gatewayDir: string, gateway: string): Promise<EndpointSet | null> {
  const set = await readEndpointsSet(path.join(gatewayDir, gateway));
  if (set) return set;
  const text = await readFile(legacySetFile(gatewayDir, gateway), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    return JSON.parse(text) as EndpointSet;
  } catch {
    return null;
  }
}

/** endpointsText of a set's pools (all of them, or those named). */
function setText(set: EndpointSet, names: Iterable<string> = Object.keys(set.pools)): string {
  const pools: RenderPool[] = [];
  for (const name of names)
    pools.push({ name, servers: poolOf(set, name) ?? [], maxFails: 0, failTimeoutSeconds: 0 });
  return endpointsText(pools);
}

/** Whether two pool lists declare the same pools (names and health): the same dynamic file. */
function samePoolShapes(a: readonly RenderPool[], b: readonly RenderPool[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) {
    const x = a[i]!;
    const y = b[i]!;
    if (
      x !== y &&
      (x.name !== y.name || x.maxFails !== y.maxFails || x.failTimeoutSeconds !== y.failTimeoutSeconds)
    )
      return false;
  }
  return true;
}

/**
 * The endpoint set of a plan's pools (version 0 until numbered) and its delta from the published
 * set (null when the pools themselves differ). A pool whose servers did not change keeps the
 * published set's array (the same object), so comparing the sets and writing their JSON (setBytes
 * caches it per array) cost only the pools that changed. A plan with the published pools in the
 * same order (patchPlanEndpoints reuses the unchanged pool objects) compares only the pools that
 * are new objects, and the new set is the published one with those replaced (applyDelta: no copy
 * of the 10,000-pool record).
 */
function nextSet(
  pools: readonly RenderPool[],
  s: Applied,
): { next: EndpointSet; delta: EndpointDelta | null } {
  const published = s.set;
  const last = s.pools.length === pools.length ? s.pools : null;
  if (published && last && pools.every((p, i) => p === last[i] || p.name === last[i]!.name)) {
    const changed: Record<string, PoolServer[]> = {};
    for (let i = 0; i < pools.length; i += 1) {
      const p = pools[i]!;
      if (p !== last[i] && !samePool(poolOf(published, p.name), p.servers))
        changed[p.name] = p.servers.map((x) => ({ address: x.address, weight: x.weight }));
    }
    const delta: EndpointDelta = { version: 0, base: published.version, pools: changed };
    return { next: applyDelta(published, delta), delta };
  }
  const before = published?.pools;
  const next: EndpointSet = { version: 0, pools: {} };
  for (const p of pools) {
    const old = before?.[p.name];
    next.pools[p.name] =
      old && samePool(old, p.servers)
        ? old
        : p.servers.map((x) => ({ address: x.address, weight: x.weight }));
  }
  return { next, delta: s.set ? endpointDelta(s.set, next) : null };
}

/**
 * The pools of `next` that are not `prev`'s arrays (changed or new) and those `prev` has and
 * `next` does not: a configuration's set keeps the published arrays of unchanged pools
 * (nextSet), so its address index is derived from the published one's by these.
 */
function changedPools(prev: EndpointSet, next: EndpointSet): string[] {
  const out: string[] = [];
  for (const name in next.pools) if (poolOf(prev, name) !== next.pools[name]) out.push(name);
  for (const name in prev.pools) if (!(name in next.pools)) out.push(name);
  return out;
}

const noAddresses: ReadonlySet<string> = new Set();
/** The last stream.conf parsed by streamAddresses (one per process is enough: it rarely changes). */
const streamAddressCache = new Map<string, Set<string>>();

/** How many endpoint deltas a gateway keeps, so a node a few versions behind gets a delta too. */
const deltaHistory = 64;

interface Applied {
  main: string | null;
  /** The dynamic file (pool declarations, balancer, control server) as installed. */
  upstreams: string | null;
  /** The set last published (its version is the version that produced it). */
  set: EndpointSet | null;
  /** The last endpoint-only versions' deltas, oldest first (a config version starts over). */
  deltas: EndpointDelta[];
  /** stream.conf as installed (TCP/UDP entry points), or null when the main file has none. */
  stream: string | null;
  /** JSON of the last rendered RenderGateway, so an unchanged one is not rendered again. */
  signature: string | null;
  /** The last applied plan's gateway and pools: a plan that reuses them (an endpoint change of a
   * few services, patchPlanEndpoints) is recognized without stringifying or rendering them. */
  gatewayRef: RenderGateway | null;
  pools: readonly RenderPool[];
  failedSignature: string | null;
}

/**
 * Renders, validates (`nginx -t` in a scratch prefix), records and installs gateway
 * configurations. Every apply of a gateway runs through one queue, so two applies never
 * interleave and each version's diff is against the one before it.
 */
export class GatewayApplier {
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly applied = new Map<string, Applied>();
  /** Per gateway: the revision the local Nginx runs (installed and HUP sent), once known. */
  private readonly localRevisions = new Map<string, number | null>();
  /**
   * Called when a version is published (`localDone` false: wakes the agents' long polls) and again
   * once the local node runs it (`localDone` true: the drain confirmation listens).
   */
  onApplied: (gatewayId: string, localDone: boolean) => void = () => undefined;

  constructor(
    private readonly repo: GatewaysRepository,
    private readonly gatewayDir: string,
    private readonly log: FastifyBaseLogger,
    readonly nginxBin = '/usr/sbin/nginx',
  ) {}

  /** The local node of a gateway: its own prefix and pid file under the data dir. */
  node(gw: GatewayRow): LocalNginxNode {
    return new LocalNginxNode(path.join(this.gatewayDir, gw.name), this.nginxBin);
  }

  /** Runs fn after every earlier apply of the gateway has finished. */
  enqueue<T>(gatewayId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(gatewayId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.queues.set(
      gatewayId,
      next.catch(() => undefined),
    );
    return next;
  }

  private async state(gw: GatewayRow): Promise<Applied> {
    let s = this.applied.get(gw.id);
    if (!s) {
      const last = await this.repo.latestConfig(gw.id);
      s = {
        main: last?.main_text ?? null,
        upstreams: null,
        set: null,
        deltas: [],
        stream: null,
        signature: null,
        gatewayRef: null,
        pools: [],
        failedSignature: null,
      };
      const node = this.node(gw);
      const installed = await node.readUpstreams();
      if (last && installed !== null) s.upstreams = installed;
      if (last?.main_text?.includes(streamMainLines.include))
        s.stream = await readFile(path.join(node.prefix, 'conf', streamFileName), 'utf8').catch(() => null);
      const current = await readCurrentSet(this.gatewayDir, gw.name);
      if (last && current) s.set = current;
      // A Berth killed between installing and delivering left the master on older files or
      // endpoints: HUP it once (its start code loads the newer endpoints file) and push the set.
      // (The file is where the set was read from, unless that was the legacy copy: written once.)
      this.localRevisions.set(gw.id, null);
      if (current) {
        await writeEndpointsFile(node.prefix, current);
        await unlink(legacySetFile(this.gatewayDir, gw.name)).catch(() => undefined);
        await this.deliverLocal(gw, node, current, true);
      }
      this.applied.set(gw.id, s);
    }
    return s;
  }

  /**
   * The revision the local Nginx of a gateway runs: the version of the endpoint set it last
   * acknowledged (or loads at its start); null before this process has loaded or applied the gateway.
   */
  localRevision(gatewayId: string): number | null {
    return this.localRevisions.get(gatewayId) ?? null;
  }

  /**
   * The servers the gateway's installed stream.conf sends new TCP/UDP connections to (`down` ones
   * are drained, not listed): a container is still reachable through an entry point until a
   * version without it is installed, even when no HTTP pool names it.
   */
  streamAddresses(gatewayId: string): ReadonlySet<string> {
    const text = this.applied.get(gatewayId)?.stream ?? null;
    if (text === null) return noAddresses;
    let out = streamAddressCache.get(text);
    if (!out) {
      out = new Set();
      for (const m of text.matchAll(/^\s*server (\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}) (?!down;)/gm))
        out.add(m[1]!);
      streamAddressCache.clear();
      streamAddressCache.set(text, out);
    }
    return out;
  }

  /** The gateway's current endpoint set, when this process has applied or loaded it. */
  currentSet(gatewayId: string): EndpointSet | null {
    return this.applied.get(gatewayId)?.set ?? null;
  }

  /**
   * The delta from set `base` to the current set, when this process published every version in
   * between (endpoint-only versions since the last config version), else null: a whole set then.
   */
  deltaSince(gatewayId: string, base: number): EndpointDelta | null {
    const s = this.applied.get(gatewayId);
    if (!s?.set || base >= s.set.version) return null;
    const i = s.deltas.findIndex((d) => d.base === base);
    return i < 0 ? null : mergeDeltas(s.deltas.slice(i));
  }

  /** Loads the gateway's applied state (and local revision) if this process has not yet. */
  async load(gw: GatewayRow): Promise<void> {
    await this.enqueue(gw.id, () => this.state(gw));
  }

  /**
   * Applies a plan. Call inside enqueue(). Returns the new version, or null when nothing changed
   * (system applies only). A user change that fails validation throws 422 with Nginx's message
   * and commits nothing but a failed version; the running configuration keeps serving.
   */
  async apply(gw: GatewayRow, plan: GatewayPlan, req: ApplyRequest): Promise<VersionRow | null> {
    const s = await this.state(gw);
    const node = this.node(gw);
    let main: string;
    let upstreams: string;
    let stream: string | null;
    let signature: string;
    try {
      // TCP/UDP entry points: a stream.conf the main file includes (endpoints in it: a reload)
      stream = plan.stream && plan.stream.entryPoints.length > 0 ? renderStream(plan.stream) : null;
      signature =
        plan.gateway === s.gatewayRef && s.signature !== null && (stream !== null) === (s.stream !== null)
          ? s.signature
          : JSON.stringify([plan.gateway, stream !== null]);
      main =
        signature === s.signature && s.main !== null
          ? s.main
          : stream !== null
            ? withStream(dynamicMainConfig(plan.gateway))
            : dynamicMainConfig(plan.gateway);
      upstreams =
        s.upstreams !== null && samePoolShapes(plan.pools, s.pools)
          ? s.upstreams
          : this.renderPools(node, plan.pools);
    } catch (err) {
      if (err instanceof RenderError)
        throw new InvalidError(err.message, [{ path: err.field, message: err.message }]);
      throw err;
    }
    // the new set (numbered below) and, against the published one, the pools that changed
    const { next, delta } = nextSet(plan.pools, s);
    const endpointsChanged = delta === null || Object.keys(delta.pools).length > 0;
    const configChanged = main !== s.main || upstreams !== s.upstreams || stream !== s.stream;
    const byUser = req.change !== null || req.force === true;
    if (!byUser && !configChanged && !endpointsChanged) {
      // Nothing to apply: the plan's pools (and gateway) stand for what is applied. A whole pass
      // makes new pool objects, and the quick passes after it patch its plan: adopting them lets
      // the next change compare only the pools it touched (not 10,000 samePool calls).
      s.pools = plan.pools;
      if (signature === s.signature) s.gatewayRef = plan.gateway;
      return null;
    }
    if (!byUser && signature === s.failedSignature && upstreams === s.upstreams) return null;
    // Routes, TLS and pools go through nginx -t and a reload; endpoints alone are pushed (only
    // the pools that changed).
    const kind = byUser || configChanged || delta === null ? 'config' : 'endpoints';
    // the routes snapshot a config version stores, compressed in the thread pool meanwhile
    const snapshot = kind === 'config' ? encodeRoutesSnapshot(req.routesAfter) : null;
    snapshot?.catch(() => undefined);
    const check =
      kind === 'config'
        ? await validateConfig(this.nginxBin, path.join(this.gatewayDir, `${gw.name}.scratch`), {
            main,
            upstreams,
            stream,
          })
        : ({ ok: true } as const);
    const diff =
      kind === 'config'
        ? [
            lineDiff(s.main ?? '', main),
            lineDiff(s.upstreams ?? '', upstreams),
            lineDiff(s.stream ?? '', stream ?? ''),
            // no endpoint changed: no need to render and compare the text of every pool
            delta && Object.keys(delta.pools).length === 0
              ? ''
              : lineDiff(s.set ? setText(s.set) : '', endpointsText(plan.pools)),
          ]
            .filter(Boolean)
            .join('\n')
        : lineDiff(setText(s.set!, Object.keys(delta!.pools)), setText(next, Object.keys(delta!.pools)));
    const row: VersionRow = {
      gateway_id: gw.id,
      number: await this.repo.nextVersionNumber(gw.id),
      kind,
      author: req.author,
      reason: kind === 'endpoints' && !byUser ? 'endpoints changed' : req.reason,
      created_at: nowIso(),
      state: check.ok ? 'applied' : 'failed',
      error: check.ok ? null : check.message,
      main_text: kind === 'config' ? main : null,
      upstreams_text:
        kind === 'config' ? (stream ? `${upstreams}\n# ${streamFileName}\n${stream}` : upstreams) : null,
      routes_snapshot: snapshot ? await snapshot : null,
      diff,
    };
    if (!check.ok) {
      await this.repo.commit(null, row, false);
      s.failedSignature = signature;
      this.log.warn(
        { gateway: gw.name, version: row.number },
        `gateway configuration refused: ${check.message}`,
      );
      throw new BerthError(
        'UNPROCESSABLE',
        `Nginx refused the configuration; nothing was applied and version ${gw.applied_version} keeps serving. ${check.message}`,
        { nginx: check.message, version: row.number },
      );
    }
    await this.repo.commit(req.change, row, true);
    // the published set with the changed pools replaced (its record is not copied), or the new one
    const set: EndpointSet =
      s.set && delta
        ? applyDelta(s.set, { version: row.number, base: s.set.version, pools: delta.pools })
        : { version: row.number, pools: next.pools };
    // the drain confirmation's address index of the new set, from the published one's by the
    // pools that changed (not rebuilt from every endpoint on each change)
    if (s.set) deriveAddresses(s.set, set, delta ? Object.keys(delta.pools) : changedPools(s.set, set));
    const published: EndpointDelta | null =
      kind === 'endpoints' ? { version: row.number, base: s.set!.version, pools: delta!.pools } : null;
    // The files first, then the set that names their pools (agents read the set, then the files):
    // the local node's endpoints file, which is the gateway's current set file too. An endpoints
    // version has no files; deliverLocal writes its set's file ahead of the push.
    if (kind === 'config') {
      await node.install({ main: main !== s.main ? main : null, upstreams, stream });
      // the same pools as the published set (a route change): its delta joins the journal
      await writeEndpointsAhead(
        node.prefix,
        set,
        s.set && delta ? { version: row.number, base: s.set.version, pools: delta.pools } : null,
      );
    }
    const deltas = published ? [...s.deltas.slice(1 - deltaHistory), published] : [];
    Object.assign(s, { main, upstreams, set, deltas, stream, signature, failedSignature: null });
    s.gatewayRef = plan.gateway;
    s.pools = plan.pools;
    // The agents fetch the version while the local node reloads or takes the push: the nodes
    // apply side by side, not one after another. An endpoints push is started first: none of
    // its steps waits for the event loop before its request is written, so it does not queue
    // behind the agents' answers (which made the local node the last to apply a change).
    if (kind === 'config') {
      this.onApplied(gw.id, false);
      await this.deliverLocal(gw, node, set, true);
    } else {
      const local = this.deliverLocal(gw, node, set, false);
      this.onApplied(gw.id, false);
      await local;
    }
    this.onApplied(gw.id, true);
    return row;
  }

  /** The dynamic file of a gateway's pools, its control socket in the local node's prefix. */
  private renderPools(node: LocalNginxNode, pools: readonly RenderPool[]): string {
    return renderDynamicUpstreams(pools, {
      controlSocket: controlSocketPath(node.prefix),
      fileWriter: 'agent',
    });
  }

  /**
   * Brings the local Nginx to a set: after a new configuration (whose set's endpoints file is
   * written already) a reload (the master loads the newer file as it reads the configuration),
   * then the push, which an endpoints-only change needs alone, its file written ahead of it. The
   * local revision moves only once Nginx acknowledged.
   */
  private async deliverLocal(gw: GatewayRow, node: LocalNginxNode, set: EndpointSet, reload: boolean) {
    if (reload) {
      await prepareNodeDirs(node.prefix, false);
      const reloaded = await node.reload();
      if (reloaded === 'timeout')
        this.log.warn({ gateway: gw.name }, 'gateway nginx started no new worker after HUP');
    }
    // only the changed pools when the local Nginx runs a version this process published since
    const running = this.localRevisions.get(gw.id) ?? null;
    const delta = !reload && running !== null ? this.deltaSince(gw.id, running) : null;
    const d = await deliverEndpoints(node.prefix, set, (await node.pid()) !== null, 10_000, delta, reload);
    if (d.ok) this.localRevisions.set(gw.id, d.version);
    else this.log.warn({ gateway: gw.name, version: set.version }, d.message);
  }

  /**
   * Writes the initial files of a node that has none (so that Nginx can start) and the
   * directories of its endpoints interface (Nginx binds the control socket as it starts).
   */
  async ensureInitial(gw: GatewayRow, plan: GatewayPlan): Promise<void> {
    const node = this.node(gw);
    await prepareNodeDirs(node.prefix, false);
    if (await node.hasConfig()) return;
    const set = endpointSetOf(gw.applied_version, plan.pools);
    await node.install({
      main: dynamicMainConfig(plan.gateway),
      upstreams: this.renderPools(node, plan.pools),
    });
    await writeEndpointsFile(node.prefix, set);
  }
}
