import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { BerthError, InvalidError } from '@berth/shared';
import {
  LocalNginxNode,
  RenderError,
  lineDiff,
  renderMainConfig,
  renderUpstreams,
  validateConfig,
} from '@berth/gateway-nginx';
import { nowIso } from '../../util';
import { stampRevision, stampedRevision, unstamp } from '../services/controller/rollout-drain';
import type { GatewayPlan } from './gateway-planner';
import type {
  GatewayRow,
  GatewaysRepository,
  RouteChange,
  RouteRow,
  VersionRow,
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

interface Applied {
  main: string | null;
  upstreams: string | null;
  /** JSON of the last rendered RenderGateway, so an unchanged one is not rendered again. */
  signature: string | null;
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
  /** Called after a version was installed (wakes the agents' long polls). */
  onApplied: (gatewayId: string) => void = () => undefined;

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
      s = { main: last?.main_text ?? null, upstreams: null, signature: null, failedSignature: null };
      const node = this.node(gw);
      const installed = await node.readUpstreams();
      if (last && installed !== null) s.upstreams = unstamp(installed);
      // A Berth killed between installing and signalling left the master on older files: HUP it
      // once, so the local node runs what the installed file's stamp says.
      if ((await node.pid()) !== null) await node.reload();
      this.localRevisions.set(gw.id, stampedRevision(installed));
      this.applied.set(gw.id, s);
    }
    return s;
  }

  /**
   * The revision the local Nginx of a gateway runs: the stamp of the endpoints file it was last
   * signalled with; null before this process has loaded or applied the gateway.
   */
  localRevision(gatewayId: string): number | null {
    return this.localRevisions.get(gatewayId) ?? null;
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
    const signature = JSON.stringify(plan.gateway);
    let main: string;
    let upstreams: string;
    try {
      main = signature === s.signature && s.main !== null ? s.main : renderMainConfig(plan.gateway);
      upstreams = renderUpstreams(plan.pools);
    } catch (err) {
      if (err instanceof RenderError)
        throw new InvalidError(err.message, [{ path: err.field, message: err.message }]);
      throw err;
    }
    const mainChanged = main !== s.main;
    const byUser = req.change !== null || req.force === true;
    if (!byUser && !mainChanged && upstreams === s.upstreams) return null;
    if (!byUser && signature === s.failedSignature && upstreams === s.upstreams) return null;
    const check = await validateConfig(this.nginxBin, path.join(this.gatewayDir, `${gw.name}.scratch`), {
      main,
      upstreams,
    });
    const kind = byUser || mainChanged || s.upstreams === null ? 'config' : 'endpoints';
    const diff =
      kind === 'config'
        ? [lineDiff(s.main ?? '', main), lineDiff(s.upstreams ?? '', upstreams)].filter(Boolean).join('\n')
        : lineDiff(s.upstreams ?? '', upstreams);
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
      upstreams_text: kind === 'config' ? upstreams : null,
      routes_snapshot: kind === 'config' ? JSON.stringify(req.routesAfter) : null,
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
    const node = this.node(gw);
    // the stamp tells agents and the drain confirmation which revision the file holds
    await node.install({ main: mainChanged ? main : null, upstreams: stampRevision(upstreams, row.number) });
    const reloaded = await node.reload();
    if (reloaded === 'timeout')
      this.log.warn({ gateway: gw.name }, 'gateway nginx started no new worker after HUP');
    Object.assign(s, { main, upstreams, signature, failedSignature: null });
    this.localRevisions.set(gw.id, row.number);
    this.onApplied(gw.id);
    return row;
  }

  /** Writes the initial files of a node that has none, so that Nginx can start. */
  async ensureInitial(gw: GatewayRow, plan: GatewayPlan): Promise<void> {
    const node = this.node(gw);
    if (await node.hasConfig()) return;
    await node.install({
      main: renderMainConfig(plan.gateway),
      upstreams: stampRevision(renderUpstreams(plan.pools), gw.applied_version),
    });
  }
}
