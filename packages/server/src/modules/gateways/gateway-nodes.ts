import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  BerthError,
  ConflictError,
  InvalidError,
  NotFoundError,
  UnauthenticatedError,
  type GatewayAgentConfig,
  type GatewayNode,
  type GatewayNodeState,
} from '@berth/shared';
import {
  metricsListenProblem,
  streamFileName,
  streamMainLines,
  upstreamsFileName,
  type EndpointDelta,
  type EndpointSet,
} from '@berth/gateway-nginx';
import { newId, nowIso, sleep } from '../../util';
import { readCurrentSet } from './gateway-applier';
import type { GatewayRow, GatewaysRepository } from './gateways.repository';
import type { GatewayNodeRow, GatewayNodesRepository, GatewaySettings } from './gateway-nodes.repository';
import { certificateFilesOf, type CertificateStore } from './route-certificates';
import type { GatewayNodeTargets } from './gateway-node-targets';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** What a node should run: its version, the config version whose main file it gets, the revision. */
interface Wanted {
  version: number;
  /** The config version whose main file the node gets, or null for the current files. */
  pinnedConfig: number | null;
  revision: number;
}

/**
 * Gateway nodes: tokens, the wanted version per node (one-node-first rollouts), node state and
 * the files an agent pulls. Agents always get full files, never a diff: the main file of the
 * node's wanted version and the gateway's current endpoints file (pool names are stable ids, so
 * an older main file still finds its pools and held nodes keep following the containers).
 */
export class GatewayNodes {
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Called after an agent reported (the drain confirmation listens). */
  onReport: (gatewayId: string) => void = () => undefined;
  /** The gateway's virtual IP: a node's keepalived.conf goes with its files (gateway-vip.ts). */
  vip: { fileFor(gatewayId: string, gateway: string, node: string): Promise<string | null> } | null = null;
  /** The gateways' metrics listener as rendered (BERTH_GATEWAY_METRICS_LISTEN), sent to agents. */
  metricsListen: string | null = null;
  /** The nodes' Prometheus target files (gateway-node-targets.ts); null when monitoring is off. */
  targets: GatewayNodeTargets | null = null;
  /** The per-project certificate store: agents get the certificates their main file names. */
  certificates: CertificateStore | null = null;
  /**
   * The endpoint sets this process publishes (the applier): the current set without reading its
   * file, and deltas for nodes that run an earlier set of the same configuration.
   */
  sets: {
    currentSet(gatewayId: string): EndpointSet | null;
    deltaSince(gatewayId: string, base: number): EndpointDelta | null;
  } | null = null;

  constructor(
    private readonly repo: GatewaysRepository,
    readonly store: GatewayNodesRepository,
    /** The directory holding each gateway's current files (`<dir>/<gateway>/conf`). */
    private readonly gatewayDir: string,
    /** The local node's gateway name and listener, when Berth runs one. */
    private readonly local: { gateway: string; listen: string } | null,
  ) {}

  /** Wakes the long polls of a gateway's agents. */
  notify(gatewayId: string): void {
    const set = this.waiters.get(gatewayId);
    if (!set) return;
    this.waiters.delete(gatewayId);
    for (const w of set) w();
  }

  /** Resolves on the next change of the gateway, or after ms. */
  private waitChange(gatewayId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiters.get(gatewayId) ?? new Set();
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
      this.waiters.set(gatewayId, set);
    });
  }

  private async wanted(gw: GatewayRow, s: GatewaySettings, node: GatewayNodeRow): Promise<Wanted> {
    const target =
      node.pinned_version ??
      (s.rolloutMode === 'staged' ? (s.releasedVersion ?? gw.applied_version) : gw.applied_version);
    const latest = await this.repo.configNumberAtOrBefore(gw.id, null);
    if (latest === null || target >= latest)
      return { version: gw.applied_version, pinnedConfig: null, revision: gw.applied_version };
    return { version: target, pinnedConfig: target, revision: gw.applied_version };
  }

  private toNode(gw: GatewayRow, n: GatewayNodeRow, want: Wanted, now: number): GatewayNode {
    let state: GatewayNodeState;
    if (!n.lease_until || Date.parse(n.lease_until) < now) state = 'offline';
    else if (n.status === 'failed' && n.attempted_version === want.version) state = 'failed';
    // in sync = runs the gateway's newest version; a node held at an older one is behind
    else if (n.applied_version === gw.applied_version) state = 'in-sync';
    else state = 'behind';
    return {
      name: n.name,
      gateway: gw.name,
      state,
      appliedVersion: n.applied_version,
      wantedVersion: want.version,
      pinnedVersion: n.pinned_version,
      lastSeenAt: n.last_seen_at,
      error: n.status === 'failed' ? n.last_error : null,
      address: n.address,
      agentVersion: n.agent_version,
      local: false,
      createdAt: n.created_at,
    };
  }

  /** Every node of a gateway with its state; the local node first when Berth runs one. */
  async list(gw: GatewayRow): Promise<GatewayNode[]> {
    const s = await this.store.settings(gw.id);
    const now = Date.now();
    const out: GatewayNode[] = [];
    if (this.local?.gateway === gw.name)
      out.push({
        name: 'local',
        gateway: gw.name,
        state: 'in-sync',
        appliedVersion: gw.applied_version,
        wantedVersion: gw.applied_version,
        pinnedVersion: null,
        lastSeenAt: nowIso(),
        error: null,
        address: this.local.listen,
        agentVersion: null,
        local: true,
        createdAt: gw.created_at,
      });
    for (const n of await this.store.nodes(gw.id))
      out.push(this.toNode(gw, n, await this.wanted(gw, s, n), now));
    return out;
  }

  async get(gw: GatewayRow, name: string): Promise<GatewayNode> {
    const found = (await this.list(gw)).find((n) => n.name === name);
    if (!found) throw new NotFoundError('NOT_FOUND', `Gateway '${gw.name}' has no node '${name}'.`);
    return found;
  }

  /** Adds a node; returns its token once (only its sha256 is stored). */
  async add(gw: GatewayRow, name: string, author: string): Promise<{ node: GatewayNode; token: string }> {
    if (name === 'local' || (await this.store.node(gw.id, name)))
      throw new ConflictError(
        `Gateway '${gw.name}' already has a node '${name}'.`,
        undefined,
        'ALREADY_EXISTS',
      );
    const token = `bgn_${randomBytes(24).toString('base64url')}`;
    await this.store.insertNode({
      id: newId(),
      gateway_id: gw.id,
      name,
      token_hash: hashToken(token),
      pinned_version: null,
      applied_version: null,
      applied_revision: null,
      attempted_version: null,
      lease_until: null,
      status: 'unknown',
      last_error: null,
      last_seen_at: null,
      agent_version: null,
      address: null,
      metrics_address: null,
      created_at: nowIso(),
      created_by: author,
    });
    return { node: await this.get(gw, name), token };
  }

  async remove(gw: GatewayRow, name: string): Promise<void> {
    if (name === 'local' && this.local?.gateway === gw.name)
      throw new ConflictError(
        'The local node is run by Berth itself (BERTH_GATEWAY_LISTEN); it cannot be removed.',
      );
    const n = await this.store.node(gw.id, name);
    if (!n) throw new NotFoundError('NOT_FOUND', `Gateway '${gw.name}' has no node '${name}'.`);
    await this.store.deleteNode(n.id);
    this.targets?.remove(gw.name, name);
  }

  /** A gateway was deleted (with its nodes): its nodes' target files go. */
  gatewayDeleted(gateway: string): void {
    this.targets?.remove(gateway, null);
  }

  /** Removes target files of nodes that are gone (deleted while Berth was down, or by another instance). */
  async pruneTargets(): Promise<void> {
    if (!this.targets) return;
    const keep = new Set<string>();
    for (const gw of await this.repo.listGateways())
      for (const n of await this.store.nodes(gw.id)) keep.add(`${gw.name}.${n.name}`);
    this.targets.prune(keep);
  }

  /**
   * Rolls a version out: to the named nodes only (they are held at it; the gateway switches to
   * staged rollouts so the others stay where they are), or to every node (releases it, drops holds).
   */
  async rollout(gw: GatewayRow, version: number, nodes: string[] | undefined) {
    const v = await this.repo.findVersion(gw.id, version);
    if (!v) throw new NotFoundError('NOT_FOUND', `Gateway '${gw.name}' has no version ${version}.`);
    if (v.state === 'failed' || (v.kind !== 'config' && version !== gw.applied_version))
      throw new BerthError(
        'UNPROCESSABLE',
        `Version ${version} cannot be rolled out: roll out an applied config version or the current version ${gw.applied_version}.`,
      );
    const s = await this.store.settings(gw.id);
    if (nodes) {
      if (nodes.includes('local') && this.local?.gateway === gw.name)
        throw new BerthError(
          'UNPROCESSABLE',
          'The local node always runs the newest applied version; name agent nodes only.',
        );
      const known = new Set((await this.store.nodes(gw.id)).map((n) => n.name));
      const missing = nodes.filter((n) => !known.has(n));
      if (missing.length > 0)
        throw new NotFoundError(
          'NOT_FOUND',
          `Gateway '${gw.name}' has no node ${missing.map((m) => `'${m}'`).join(', ')}.`,
        );
      if (s.rolloutMode === 'auto')
        await this.store.saveSettings(gw.id, {
          ...s,
          rolloutMode: 'staged',
          releasedVersion: gw.applied_version,
        });
      await this.store.pin(gw.id, nodes, version);
    } else {
      const staged = s.rolloutMode === 'staged' || version !== gw.applied_version;
      await this.store.saveSettings(gw.id, {
        ...s,
        rolloutMode: staged ? 'staged' : 'auto',
        releasedVersion: staged ? version : null,
      });
      await this.store.pin(gw.id, null, null);
    }
    this.notify(gw.id);
    const after = await this.store.settings(gw.id);
    return {
      gateway: gw.name,
      version,
      nodes: nodes ?? null,
      rolloutMode: after.rolloutMode,
      releasedVersion: after.releasedVersion,
    };
  }

  /** The node a Bearer token belongs to. */
  async authenticate(header: string | undefined): Promise<{ node: GatewayNodeRow; gw: GatewayRow }> {
    const m = /^Bearer (\S+)$/.exec(header ?? '');
    const node = m?.[1] ? await this.store.byTokenHash(hashToken(m[1])) : undefined;
    const gw = node ? (await this.repo.listGateways()).find((g) => g.id === node.gateway_id) : undefined;
    if (!node || !gw)
      throw new UnauthenticatedError('A valid gateway node token is required (Authorization: Bearer bgn_…).');
    return { node, gw };
  }

  private async seen(node: GatewayNodeRow, waitSeconds: number): Promise<void> {
    const now = Date.now();
    await this.store.seen(
      node.id,
      new Date(now).toISOString(),
      new Date(now + (2 * waitSeconds + 5) * 1000).toISOString(),
    );
  }

  /**
   * The long poll: answers the node's wanted files as soon as they differ from what it runs
   * (`after` version, `revision`), or null after `wait` seconds. A node that says which config
   * version's files it has (`config`) gets no files when those are still the wanted ones: an
   * endpoint change is then only its endpoint set.
   */
  async poll(
    header: string | undefined,
    after: number | undefined,
    revision: number | undefined,
    waitSeconds: number,
    config?: number,
    /** The set the node holds and takes a delta against (its endpoints file's version). */
    base?: number,
  ): Promise<GatewayAgentConfig | null> {
    const { node } = await this.authenticate(header);
    await this.seen(node, waitSeconds);
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const { node: n, gw } = await this.authenticate(header);
      const want = await this.wanted(gw, await this.store.settings(gw.id), n);
      if (
        after === undefined ||
        want.version !== after ||
        (revision !== undefined && want.revision !== revision)
      ) {
        await this.seen(n, waitSeconds);
        return this.files(gw, n, want, config, base);
      }
      const left = deadline - Date.now();
      if (left <= 0) break;
      // Wake on a local apply or rollout; poll the store each second for other instances' changes.
      await this.waitChange(gw.id, Math.min(left, 1000));
    }
    await this.seen(node, waitSeconds);
    return null;
  }

  private async files(
    gw: GatewayRow,
    n: GatewayNodeRow,
    want: Wanted,
    haveConfig: number | undefined,
    base: number | undefined,
  ): Promise<GatewayAgentConfig> {
    // The node has this config version's files: the set alone (only its changed pools when the
    // node holds an earlier set this process published the deltas from).
    const quick = haveConfig !== undefined ? await this.setOnly(gw, n, want, haveConfig, base) : null;
    if (quick) return quick;
    const conf = path.join(this.gatewayDir, gw.name, 'conf');
    const readUpstreams = () => readFile(path.join(conf, upstreamsFileName), 'utf8');
    // The applier installs a version's files, then writes its endpoint set: wait (briefly) for the
    // set of the wanted revision, and hand out a set with the files it belongs to (read the file
    // again after the set: an apply in between means reading both again).
    const readMain = () => readFile(path.join(conf, 'nginx.conf'), 'utf8');
    let upstreams = '';
    let current = '';
    let set = null;
    for (let i = 0; i < 100; i += 1) {
      upstreams = await readUpstreams();
      current = await readMain();
      // this process's published set (never ahead of the installed files), else the file
      set = this.sets?.currentSet(gw.id) ?? (await readCurrentSet(this.gatewayDir, gw.name));
      if ((set?.version ?? 0) < want.revision && i < 99) {
        await sleep(20);
        continue;
      }
      if ((await readUpstreams()) === upstreams && (await readMain()) === current) break;
    }
    if (!set) throw new BerthError('UNPROCESSABLE', `Gateway '${gw.name}' has no endpoint set yet.`);
    // the revision the set really holds, so a node's applied revision can confirm a removal
    const revision = set.version;
    // the config version these files are: the newest at or before the set (installed before it)
    const configVersion = await this.repo.configNumberAtOrBefore(gw.id, want.pinnedConfig ?? set.version);
    const certDir = path.join(this.gatewayDir, 'certs');
    const answer = {
      gateway: gw.name,
      node: n.name,
      version: want.version,
      revision,
      configVersion,
      endpoints: set,
      listen: gw.listen,
      tlsListen: gw.tls_listen,
      certDir,
      metricsListen: this.metricsListen,
    };
    if (haveConfig !== undefined && configVersion !== null && haveConfig === configVersion)
      return { ...answer, files: null, certificates: [] };
    let main: string;
    if (want.pinnedConfig === null) main = current;
    else {
      // an endpoints version ran with the main file of the config version before it
      const v = await this.repo.configAtOrBefore(gw.id, want.pinnedConfig);
      if (!v?.main_text)
        throw new BerthError('UNPROCESSABLE', `Version ${want.pinnedConfig} has no stored configuration.`);
      main = v.main_text;
    }
    const named = certificateFilesOf(main, certDir);
    return {
      ...answer,
      files: {
        'nginx.conf': main,
        'upstreams.conf': upstreams,
        ...(main.includes(streamMainLines.include)
          ? { 'stream.conf': await readFile(path.join(conf, streamFileName), 'utf8') }
          : {}),
        ...(await this.vip?.fileFor(gw.id, gw.name, n.name).then((k) => (k ? { 'keepalived.conf': k } : {}))),
      },
      certificates:
        this.certificates && named.length > 0 ? await this.certificates.bundle(certDir, named) : [],
    };
  }

  /**
   * The answer without files, when the node's files are those of the config version of the wanted
   * set: the current set in this process's memory, as a delta from `base` when there is one.
   * Null when files must go too (or this process does not hold the set: files() reads them).
   */
  private async setOnly(
    gw: GatewayRow,
    n: GatewayNodeRow,
    want: Wanted,
    haveConfig: number,
    base: number | undefined,
  ): Promise<GatewayAgentConfig | null> {
    if (want.pinnedConfig !== null && want.pinnedConfig !== haveConfig) return null;
    if (!this.sets) return null;
    // the applier publishes the set right after committing its version: wait for it briefly
    let set = this.sets.currentSet(gw.id);
    for (let i = 0; i < 100 && set !== null && set.version < want.revision; i += 1) {
      await sleep(20);
      set = this.sets.currentSet(gw.id);
    }
    if (!set || set.version < want.revision) return null;
    const configVersion = await this.repo.configNumberAtOrBefore(gw.id, want.pinnedConfig ?? set.version);
    if (configVersion !== haveConfig) return null;
    const delta = base !== undefined ? (this.sets?.deltaSince(gw.id, base) ?? null) : null;
    return {
      gateway: gw.name,
      node: n.name,
      version: want.version,
      revision: set.version,
      configVersion,
      ...(delta && delta.version === set.version ? { endpointsDelta: delta } : { endpoints: set }),
      listen: gw.listen,
      tlsListen: gw.tls_listen,
      certDir: path.join(this.gatewayDir, 'certs'),
      metricsListen: this.metricsListen,
      files: null,
      certificates: [],
    };
  }

  /** Stores an agent's report. */
  async report(
    header: string | undefined,
    r: {
      appliedVersion: number | null;
      revision?: number | undefined;
      state: 'applied' | 'failed';
      error?: string | null | undefined;
      agentVersion?: string | undefined;
      address?: string | undefined;
      attemptedVersion?: number | undefined;
      metricsAddress?: string | undefined;
    },
    ip: string,
    waitSeconds = 30,
  ): Promise<GatewayNode> {
    const { node, gw } = await this.authenticate(header);
    // the node token holder (a platform admin's agent) sets the address; still never 0.0.0.0
    const problem = r.metricsAddress === undefined ? null : metricsListenProblem(r.metricsAddress);
    if (problem)
      throw new InvalidError(
        `Node '${node.name}' reported metrics address ${r.metricsAddress}: it ${problem}.`,
        [{ path: 'metricsAddress', message: problem }],
      );
    const now = Date.now();
    await this.store.report(node.id, {
      applied_version: r.appliedVersion,
      applied_revision: r.revision ?? null,
      attempted_version: r.attemptedVersion ?? r.appliedVersion,
      status: r.state,
      last_error: r.state === 'failed' ? (r.error ?? 'failed') : null,
      last_seen_at: new Date(now).toISOString(),
      lease_until: new Date(now + (2 * waitSeconds + 5) * 1000).toISOString(),
      agent_version: r.agentVersion ?? node.agent_version,
      address: r.address ?? ip,
      // what the fence keeps routes from, on every server (targets below: this server's Prometheus)
      metrics_address: r.metricsAddress ?? null,
    });
    this.targets?.sync(gw.name, node.name, r.metricsAddress ?? null, isLoopback(ip));
    this.onReport(gw.id);
    return this.get(gw, node.name);
  }
}

/** Whether a peer address is this machine's loopback (IPv4, IPv6 or IPv4-mapped). */
function isLoopback(ip: string): boolean {
  return /^(::ffff:)?127\./.test(ip) || ip === '::1';
}
