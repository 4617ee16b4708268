import {
  BerthError,
  ConflictError,
  NotFoundError,
  canaryRelease,
  type Canary,
  type GatewayVersion,
  type Route,
  type RouteSpec,
  type RouteViolation,
} from '@berth/shared';
import type { Actor } from '../../http/context';
import { newId, nowIso } from '../../util';
import type { TenancyService } from '../tenancy/tenancy.service';
import type { GatewayApplier } from './gateway-applier';
import { patchPlanEndpoints, planGateway, type GatewayPlan, type PlanOptions } from './gateway-planner';
import { planEntryPoints, type EntryPointChange, type EntryPointsPort } from './entry-points';
import { certKey, certificateRefs, checkRouteTls, type CertificateStore } from './route-certificates';
import {
  decodeRoutesSnapshot,
  type EnvServices,
  type GatewayRow,
  type GatewaysRepository,
  type RouteChange,
  type RouteRow,
  type VersionRow,
} from './gateways.repository';

export function toRoute(row: RouteRow, violations: RouteViolation[] = []): Route {
  return {
    name: row.name,
    project: row.project,
    env: row.env,
    spec: JSON.parse(row.spec) as RouteSpec,
    canary: row.canary ? (JSON.parse(row.canary) as Canary) : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    createdBy: row.created_by,
    updatedBy: row.updated_by,
    version: row.version,
    violations,
  };
}

export function toVersion(row: VersionRow, gateway: string, full: boolean): GatewayVersion {
  return {
    gateway,
    number: row.number,
    kind: row.kind as GatewayVersion['kind'],
    author: row.author,
    reason: row.reason,
    createdAt: row.created_at,
    state: row.state as GatewayVersion['state'],
    error: row.error,
    ...(full ? { config: row.main_text, endpoints: row.upstreams_text, diff: row.diff } : {}),
  };
}

function afterChange(current: RouteRow[], c: RouteChange): RouteRow[] {
  switch (c.kind) {
    case 'insert':
      return [...current, c.row];
    case 'update':
      return current.map((r) => (r.id === c.row.id ? { ...c.row, version: c.expectedVersion + 1 } : r));
    case 'delete':
      return current.filter((r) => r.id !== c.id);
    case 'replace':
      return c.rows;
  }
}

export interface ServiceKey {
  project: string;
  env: string;
  service: string;
}

export interface RouteKey {
  project: string;
  env: string;
  route: string;
}

/**
 * Route edits, canaries and rollbacks. Each one is planned against the env's current routes,
 * validated by Nginx and committed together with its gateway version inside the gateway's queue.
 */
/**
 * What the gateways read of the services module: the serving endpoints they route to, and the
 * services and releases that routes and canaries name. The services module's repository
 * implements it; the composition root hands it over (server.ts).
 */
export interface GatewayServices {
  servingEndpoints(env: string): Promise<EnvServices>;
  findByPath(
    project: string,
    env: string,
    name: string,
  ): Promise<
    | {
        id: string;
        name: string;
        release: number;
        stable_release: number | null;
        rollout_task: string | null;
        status: string;
        deleting: number;
      }
    | undefined
  >;
  getRelease(serviceId: string, number: number): Promise<{ number: number; spec: string } | undefined>;
}

/** The ports the gateways service is handed at construction (gateways.module.ts, server.ts). */
export interface GatewaysServicePorts {
  /** The services and their serving endpoints (the services module's repository). */
  services: GatewayServices;
  /** An env's TCP/UDP entry points (rendered into stream.conf) and their version snapshots. */
  entryPoints?: EntryPointsPort;
  /** Reads a gateway's admin snippets (the gateway settings store). */
  snippetsOf?: (gatewayId: string) => Promise<PlanOptions['snippets']>;
  /** Rolls a service to one of its releases (the services module's rollback); null without an engine. */
  rollService?: ((k: ServiceKey, release: number, actor: Actor) => Promise<unknown>) | null;
  /** Quota admission of a release canary's replicas (see modules/quotas). */
  admitCanary?:
    | ((
        project: string,
        svc: { id: string; env: string; name: string },
        release: number,
        replicas: number,
      ) => Promise<void>)
    | null;
  /** Domain owners and the backend fence (the tenancy module); every route write is checked. */
  tenancy?: TenancyService | null;
}

/**
 * The VIP settings each configuration version was applied with (gateway-vip.ts, migration 0027),
 * so a rollback brings them back with the routes and entry points.
 */
export interface VipSnapshots {
  /** Records the gateway's current VIP settings as those of version `number`. */
  save(gatewayId: string, number: number): Promise<void>;
  /**
   * Stores version `number`'s settings as the current ones (checked like new settings); returns
   * how to undo that, or null when the version recorded none or they are the current ones.
   */
  restore(gw: GatewayRow, number: number, author: string): Promise<(() => Promise<void>) | null>;
}

/** What a gateway's plan depends on besides routes and services (changes need a whole plan). */
function planKey(gw: GatewayRow): string {
  return JSON.stringify([gw.env, gw.listen, gw.tls_listen, gw.domain_suffix]);
}

function sameServices(a: EnvServices, b: EnvServices): boolean {
  if (a.services.length !== b.services.length) return false;
  for (let i = 0; i < a.services.length; i += 1) {
    const x = a.services[i]!;
    const y = b.services[i]!;
    if (x.id !== y.id || x.name !== y.name || x.project !== y.project) return false;
  }
  return true;
}

/**
 * Whether two endpoint maps are equal; with `changed`, compares them all and collects the keys
 * (service ids) that differ instead of stopping at the first.
 */
function sameEndpoints(
  a: EnvServices['endpoints'] | undefined,
  b: EnvServices['endpoints'] | undefined,
  changed: Set<string> | null,
): boolean {
  const x = a ?? new Map<string, Record<string, string>[]>();
  const y = b ?? new Map<string, Record<string, string>[]>();
  const same = (l: Record<string, string>[] | undefined, r: Record<string, string>[] | undefined) => {
    if (!l || !r || l.length !== r.length) return false;
    for (let i = 0; i < l.length; i += 1) {
      const p = l[i]!;
      const q = r[i]!;
      for (const k in p) if (p[k] !== q[k]) return false;
      for (const k in q) if (!(k in p)) return false;
    }
    return true;
  };
  let equal = true;
  for (const [id, list] of y)
    if (!same(x.get(id), list)) {
      if (!changed) return false;
      equal = false;
      changed.add(id);
    }
  for (const id of x.keys())
    if (!y.has(id)) {
      if (!changed) return false;
      equal = false;
      changed.add(id);
    }
  return equal;
}

export class GatewaysService {
  readonly snippetsOf: (gatewayId: string) => Promise<PlanOptions['snippets']>;
  readonly rollService: NonNullable<GatewaysServicePorts['rollService']> | null;
  readonly admitCanary: NonNullable<GatewaysServicePorts['admitCanary']> | null;
  /** The per-project certificate store (the certificates module); routes name its certificates. */
  certificates: CertificateStore | null = null;
  /** The gateways' VIP settings per version (set by the VIP routes, which own that store). */
  vipSnapshots: VipSnapshots | null = null;
  readonly tenancy: TenancyService | null;
  private readonly entryPoints: GatewaysServicePorts['entryPoints'] | null;
  /** The services and their serving endpoints (a port of the services module). */
  readonly services: GatewayServices;
  /** Per gateway: its last applied whole plan and what it was made of (applyEndpointChange). */
  private readonly lastPlans = new Map<
    string,
    { key: string; routes: RouteRow[]; env: EnvServices; plan: GatewayPlan }
  >();

  constructor(
    private readonly repo: GatewaysRepository,
    private readonly applier: GatewayApplier,
    readonly planOptions: PlanOptions,
    ports: GatewaysServicePorts,
  ) {
    this.services = ports.services;
    this.snippetsOf = ports.snippetsOf ?? (() => Promise.resolve(undefined));
    this.rollService = ports.rollService ?? null;
    this.admitCanary = ports.admitCanary ?? null;
    this.tenancy = ports.tenancy ?? null;
    this.entryPoints = ports.entryPoints ?? null;
  }

  async route(k: RouteKey): Promise<RouteRow> {
    const row = await this.repo.findRoute(k.project, k.env, k.route);
    if (!row)
      throw new NotFoundError(
        'NOT_FOUND',
        `Route '${k.route}' does not exist in project '${k.project}' (env '${k.env}').`,
      );
    return row;
  }

  /**
   * Routes as the API returns them, each with the tenancy rules it breaks today. Only routes of
   * the same hosts can claim a host first, so only those are read (not every route of the env:
   * 529 ms at 10,000 routes for the answer to one create).
   */
  async present(rows: RouteRow[]): Promise<Route[]> {
    const hosts = new Map<string, Set<string>>();
    for (const r of rows) hosts.set(r.env, (hosts.get(r.env) ?? new Set()).add(r.host));
    const found = this.tenancy
      ? await this.tenancy.violations(rows, (env) =>
          this.repo.routesOfEnvForHosts(env, [...(hosts.get(env) ?? [])]),
        )
      : new Map<string, RouteViolation[]>();
    return rows.map((r) => toRoute(r, found.get(r.id)));
  }

  /** Plans, validates and commits one change; returns the gateway version it produced. */
  async mutate(
    env: string,
    author: string,
    reason: string,
    build: (current: RouteRow[]) => RouteChange | Promise<RouteChange>,
  ): Promise<VersionRow | null> {
    const gw = await this.repo.gatewayForEnv(env);
    const run = async () => {
      const current = await this.repo.routesOfEnv(env);
      const change = await build(current);
      const after = afterChange(current, change);
      if (!gw) {
        await this.repo.commit(change, null, false);
        return null;
      }
      return this.applyWith(gw, after, { author, reason, change, routesAfter: after });
    };
    return gw ? this.applier.enqueue(gw.id, run) : run();
  }

  /**
   * Stores a change to the env's entry points and applies its gateway, in one turn of the
   * gateway's queue (no system apply in between takes the change into its own version): a version
   * by the author (like a route change: validated, recorded even when the text is the same,
   * installed). When Nginx refuses it the change is undone and the applier's error thrown.
   * Without a gateway the change is only stored.
   */
  async applyEntryPoints(
    env: string,
    author: string,
    reason: string,
    change: EntryPointChange,
  ): Promise<VersionRow | null> {
    const gw = await this.repo.gatewayForEnv(env);
    if (!gw) {
      await change.store();
      return null;
    }
    return this.applier.enqueue(gw.id, async () => {
      await change.store();
      try {
        const fresh = (await this.repo.findGateway(gw.name)) ?? gw;
        const routes = await this.repo.routesOfEnv(env);
        return await this.applyWith(fresh, routes, {
          author,
          reason,
          change: null,
          routesAfter: routes,
          force: true,
        });
      } catch (err) {
        await change.undo();
        throw err;
      }
    });
  }

  /** Plans the gateway with the given routes and applies it (inside the gateway's queue). */
  async applyWith(
    gw: GatewayRow,
    routes: RouteRow[],
    req: Parameters<GatewayApplier['apply']>[2],
    snippetsOverride?: PlanOptions['snippets'],
  ): Promise<VersionRow | null> {
    const snippets = snippetsOverride ?? (await this.snippetsOf(gw.id));
    const certificates = await this.routeCertificates(routes, req.change?.kind === 'replace');
    const env = await this.services.servingEndpoints(gw.env);
    const plan = planGateway(gw, routes, env, { ...this.planOptions, snippets, certificates });
    const entryPoints = (await this.entryPoints?.ofEnv(gw.env)) ?? [];
    if (entryPoints.length > 0)
      plan.stream = planEntryPoints(entryPoints, env, gw.listen.slice(0, gw.listen.lastIndexOf(':')));
    const row = await this.applier.apply(gw, plan, req);
    // every configuration version records the entry points it was planned with (rollbacks)
    if (row?.kind === 'config' && row.state === 'applied') {
      if (this.entryPoints?.saveSnapshot) await this.entryPoints.saveSnapshot(gw.id, row.number, entryPoints);
      await this.vipSnapshots?.save(gw.id, row.number);
    }
    this.lastPlans.set(gw.id, { key: planKey(gw), routes, env, plan });
    return row;
  }

  /**
   * An endpoint change without planning the routes again: reads the env's serving endpoints,
   * recomputes the pools of the services whose endpoints changed since the last whole plan and
   * applies that plan (an endpoints version; the applier renders nothing). Returns undefined
   * when only a whole pass can tell (no plan yet, the gateway or the env's services changed,
   * a canary, a route's own pool or TCP/UDP entry points involved): call applyWith then.
   */
  async applyEndpointChange(
    gw: GatewayRow,
    req: Omit<Parameters<GatewayApplier['apply']>[2], 'routesAfter'>,
  ): Promise<VersionRow | null | undefined> {
    const last = this.lastPlans.get(gw.id);
    if (!last || last.key !== planKey(gw) || last.plan.stream) return undefined;
    const env = await this.services.servingEndpoints(gw.env);
    if (!sameServices(last.env, env) || !sameEndpoints(last.env.canaryEndpoints, env.canaryEndpoints, null))
      return undefined;
    const changed = new Set<string>();
    sameEndpoints(last.env.endpoints, env.endpoints, changed);
    if (changed.size === 0) return null;
    const plan = patchPlanEndpoints(last.plan, env, changed);
    if (!plan) return undefined;
    const row = await this.applier.apply(gw, plan, { ...req, routesAfter: last.routes });
    this.lastPlans.set(gw.id, { ...last, env, plan });
    return row;
  }

  /**
   * The file ids of the certificates the routes name, their files written for the local nodes
   * (before `nginx -t`). A named certificate that is gone renders no TLS; a rollback to routes
   * that name one is refused.
   */
  private async routeCertificates(routes: RouteRow[], strict: boolean): Promise<Map<string, string>> {
    const refs = certificateRefs(routes);
    if (!this.certificates || refs.length === 0) return new Map();
    const found = await this.certificates.lookup(refs);
    const missing = refs.filter((r) => !found.has(certKey(r)));
    if (strict && missing.length > 0)
      throw new BerthError(
        'UNPROCESSABLE',
        `Routes name certificates that no longer exist: ${missing.map(certKey).join(', ')}; upload them again first.`,
      );
    await this.certificates.materialize(
      this.planOptions.certDir,
      refs.filter((r) => found.has(certKey(r))),
    );
    return new Map([...found].map(([k, f]) => [k, f.fileId]));
  }

  create(k: Omit<RouteKey, 'route'>, name: string, spec: RouteSpec, author: string, reason?: string) {
    return this.mutate(k.env, author, reason ?? `create route ${k.project}/${name}`, async (current) => {
      if (current.some((r) => r.project === k.project && r.name === name))
        throw new ConflictError(
          `Route '${name}' already exists in project '${k.project}'.`,
          undefined,
          'ALREADY_EXISTS',
        );
      await this.checkSpec(k, spec, current, null);
      await checkRouteTls(this.certificates, k.project, spec, null, author);
      const now = nowIso();
      const row: RouteRow = {
        id: newId(),
        project: k.project,
        env: k.env,
        name,
        host: spec.host,
        path_prefix: spec.pathPrefix,
        spec: JSON.stringify(spec),
        canary: null,
        created_at: now,
        updated_at: now,
        created_by: author,
        updated_by: author,
        version: 1,
      };
      return { kind: 'insert', row };
    });
  }

  /** Replaces a route's spec and/or canary, checking the caller's version. */
  update(
    k: RouteKey,
    patch: { spec?: RouteSpec; canary?: Canary | null; version?: number },
    author: string,
    reason: string,
  ) {
    return this.mutate(k.env, author, reason, async (current) => {
      const row = current.find((r) => r.project === k.project && r.name === k.route);
      if (!row)
        throw new NotFoundError('NOT_FOUND', `Route '${k.route}' does not exist in project '${k.project}'.`);
      const expected = patch.version ?? row.version;
      if (expected !== row.version)
        throw new ConflictError(
          'The route changed since you read it; read it again and retry with its current version.',
          { currentVersion: row.version },
          'VERSION_CONFLICT',
        );
      const spec = patch.spec ?? (JSON.parse(row.spec) as RouteSpec);
      if (patch.spec) await this.checkSpec(k, spec, current, row.id);
      if (patch.spec)
        await checkRouteTls(this.certificates, k.project, spec, JSON.parse(row.spec) as RouteSpec, author);
      if (patch.canary) await this.checkCanary(k, patch.canary, spec);
      const canary =
        patch.canary === undefined ? row.canary : patch.canary ? JSON.stringify(patch.canary) : null;
      const next: RouteRow = {
        ...row,
        host: spec.host,
        path_prefix: spec.pathPrefix,
        spec: JSON.stringify(spec),
        canary,
        updated_at: nowIso(),
        updated_by: author,
      };
      return { kind: 'update', row: next, expectedVersion: expected };
    });
  }

  remove(k: RouteKey, version: number | undefined, author: string) {
    return this.mutate(k.env, author, `delete route ${k.project}/${k.route}`, (current) => {
      const row = current.find((r) => r.project === k.project && r.name === k.route);
      if (!row)
        throw new NotFoundError('NOT_FOUND', `Route '${k.route}' does not exist in project '${k.project}'.`);
      return { kind: 'delete', id: row.id, expectedVersion: version ?? row.version };
    });
  }

  /**
   * Promote. To a service: it becomes the route's service and the canary ends. To a release: the
   * service rolls to it (a rolling update); the canary stays, marked `promoting`, until the
   * rollout completed (finishPromotions), so no request meets a half-empty pool.
   */
  async promote(k: RouteKey, version: number | undefined, actor: Actor, reason?: string) {
    const author = actor.name;
    const row = await this.route(k);
    if (!row.canary) throw new BerthError('UNPROCESSABLE', `Route '${k.route}' has no canary to promote.`);
    const canary = JSON.parse(row.canary) as Canary;
    const spec = JSON.parse(row.spec) as RouteSpec;
    if (version !== undefined && version !== row.version)
      throw new ConflictError(
        'The route changed since you read it; read it again and retry with its current version.',
        { currentVersion: row.version },
        'VERSION_CONFLICT',
      );
    const release = canaryRelease(canary);
    if (release !== null) {
      const service = await this.serviceOf(k, spec);
      if (!this.rollService)
        throw new BerthError(
          'UNPROCESSABLE',
          'This Berth server runs no containers; it cannot roll a service.',
        );
      if (service.release !== release)
        await this.rollService({ project: k.project, env: k.env, service: service.name }, release, actor);
      return this.update(
        k,
        { canary: { ...canary, promoting: canary.promoting ?? nowIso() }, version: row.version },
        author,
        reason ?? `promote canary of ${k.route}: roll '${service.name}' to release ${release}`,
      );
    }
    if (!('service' in canary.to)) throw new BerthError('UNPROCESSABLE', 'Unknown canary target.');
    const promoted: RouteSpec = {
      ...spec,
      backends: { ...spec.backends, service: { name: canary.to.service } },
    };
    return this.update(
      k,
      { spec: promoted, canary: null, version },
      author,
      reason ?? `promote canary of ${k.route}`,
    );
  }

  private async checkSpec(
    k: Omit<RouteKey, 'route'>,
    spec: RouteSpec,
    current: RouteRow[],
    self: string | null,
  ) {
    // Domain owners, one project per host, and the backend fence: before anything else.
    if (this.tenancy)
      await this.tenancy.checkRoute(
        { project: k.project, env: k.env, spec },
        current.filter((r) => r.id !== self),
      );
    const clash = current.find(
      (r) => r.id !== self && r.host === spec.host && r.path_prefix === spec.pathPrefix,
    );
    if (clash)
      throw new ConflictError(
        `${spec.host}${spec.pathPrefix} is already routed by '${clash.project}/${clash.name}'.`,
        undefined,
        'ALREADY_EXISTS',
      );
    if (spec.backends.service) await this.checkService(k, spec.backends.service.name);
  }

  /**
   * Ends the canaries whose promotion is done: the service runs the release, its rollout
   * completed (no task, release marked stable). Called by the gateway controller on every pass.
   */
  async finishPromotions(): Promise<void> {
    const rows = await this.repo.promotingRoutes();
    for (const row of rows) {
      const canary = JSON.parse(row.canary!) as Canary;
      const release = canaryRelease(canary);
      const name = (JSON.parse(row.spec) as RouteSpec).backends.service?.name;
      if (!canary.promoting || release === null || !name) continue;
      const svc = await this.services.findByPath(row.project, row.env, name);
      const done =
        !svc ||
        (svc.release === release &&
          svc.stable_release === release &&
          svc.rollout_task === null &&
          svc.status === 'healthy');
      // The service settled on another release: its rollout to the canary's release was rolled
      // back at the deadline, or someone deployed a newer one meanwhile. The promotion is over
      // without success; the canary goes back to what it was, for the user to abort or promote again.
      const abandoned = !!svc && svc.release !== release && svc.rollout_task === null;
      if (!done && !abandoned) continue;
      const { promoting: _promoting, ...active } = canary;
      await this.update(
        { project: row.project, env: row.env, route: row.name },
        { canary: done ? null : active, version: row.version },
        'system',
        done
          ? `canary of ${row.name} promoted: '${name}' runs release ${release}`
          : `promotion of the canary of ${row.name} did not complete: '${name}' runs release ${svc.release}; the canary stays`,
      ).catch((err: unknown) => {
        // a concurrent edit of the route: the next pass retries
        if (!(err instanceof ConflictError)) throw err;
      });
    }
  }

  /** A canary's target must exist: another service, or another release of the route's service. */
  private async checkCanary(k: Omit<RouteKey, 'route'>, canary: Canary, spec: RouteSpec): Promise<void> {
    const release = canaryRelease(canary);
    if (release === null) {
      if ('service' in canary.to) await this.checkService(k, canary.to.service);
      return;
    }
    const service = await this.serviceOf(k, spec);
    const found = await this.services.getRelease(service.id, release);
    if (!found)
      throw new BerthError(
        'UNPROCESSABLE',
        `Release ${release} of service '${service.name}' does not exist; list its releases with \`berth releases ${service.name}\`.`,
      );
    if (release === service.release && !canary.promoting)
      throw new BerthError(
        'UNPROCESSABLE',
        `Service '${service.name}' already runs release ${release}; a canary must go to another release.`,
      );
    if (!canary.promoting && this.admitCanary)
      await this.admitCanary(
        k.project,
        { id: service.id, env: k.env, name: service.name },
        release,
        'release' in canary.to ? (canary.to.replicas ?? 1) : 1,
      );
  }

  /** The service a route sends traffic to (a release canary needs one). */
  private async serviceOf(k: Omit<RouteKey, 'route'>, spec: RouteSpec) {
    const name = spec.backends.service?.name;
    if (!name)
      throw new BerthError(
        'UNPROCESSABLE',
        'A canary to a release needs a route whose backend is a service; set backends.service, or use to.service.',
      );
    const found = await this.services.findByPath(k.project, k.env, name);
    const svc = found && found.deleting === 0 ? found : undefined;
    if (!svc)
      throw new BerthError(
        'UNPROCESSABLE',
        `Service '${name}' does not exist in project '${k.project}' (env '${k.env}').`,
      );
    return svc;
  }

  private async checkService(k: Omit<RouteKey, 'route'>, service: string): Promise<void> {
    const found = await this.services.findByPath(k.project, k.env, service);
    if (!found)
      throw new BerthError(
        'UNPROCESSABLE',
        `Service '${service}' does not exist in project '${k.project}' (env '${k.env}').`,
      );
  }

  /**
   * A rollback must not bring back what the tenant rules refuse today (a host whose zone was
   * taken away, a host another project claimed since, a fenced backend): every route it would
   * add or change is checked like a new one. Routes it leaves as they are keep what they have.
   */
  private async admitRollback(n: number, current: RouteRow[], rows: RouteRow[]): Promise<void> {
    if (!this.tenancy) return;
    const now = new Map(current.map((r) => [r.id, r.spec]));
    const changed = rows.filter((r) => now.get(r.id) !== r.spec);
    if (changed.length === 0) return;
    const found = await this.tenancy.violations(changed, () => Promise.resolve(rows));
    const refused = changed.flatMap((r) =>
      (found.get(r.id) ?? []).map((v) => `route '${r.name}' of project '${r.project}': ${v.message}`),
    );
    if (refused.length > 0)
      throw new BerthError(
        'UNPROCESSABLE',
        `Version ${n} cannot be rolled back to: it would bring back what the tenant rules refuse today — ${refused.join('; ')}. Change or delete those routes in a new change instead.`,
        { refused },
      );
  }

  /**
   * Re-applies the routes of an older version, and the TCP/UDP entry points and VIP settings it
   * was applied with when it recorded them (migrations 0021, 0027); recorded as a new version.
   * Entry points and VIP are written before the apply (the plan and the agents' files read them)
   * and put back when it fails.
   */
  async rollback(gw: GatewayRow, n: number, author: string, reason?: string): Promise<VersionRow | null> {
    const target = await this.repo.findVersion(gw.id, n);
    if (!target) throw new NotFoundError('NOT_FOUND', `Gateway '${gw.name}' has no version ${n}.`);
    if (target.kind !== 'config' || target.state === 'failed' || !target.routes_snapshot)
      throw new BerthError(
        'UNPROCESSABLE',
        `Version ${n} is not an applied configuration; roll back to a config version.`,
      );
    const snapshot = decodeRoutesSnapshot(target.routes_snapshot);
    const entryPoints = (await this.entryPoints?.snapshot?.(gw.id, n)) ?? null;
    const previous = await this.repo.latestConfig(gw.id);
    let undo: (() => Promise<void>) | null = null;
    const v = await this.mutate(gw.env, author, reason ?? `rollback to version ${n}`, async (current) => {
      const versions = new Map(current.map((r) => [r.id, r.version]));
      const rows = snapshot.map((r) => ({
        ...r,
        version: (versions.get(r.id) ?? r.version) + 1,
        updated_at: nowIso(),
        updated_by: author,
      }));
      await this.admitRollback(n, current, rows);
      const undoVip = await this.vipSnapshots?.restore(gw, n, author);
      const undoEntryPoints =
        entryPoints && this.entryPoints?.restore
          ? await this.entryPoints.restore(gw.env, entryPoints, author, n).catch(async (err: unknown) => {
              await undoVip?.();
              throw err;
            })
          : null;
      undo = async () => {
        await undoEntryPoints?.();
        await undoVip?.();
      };
      return { kind: 'replace', env: gw.env, rows };
    }).catch(async (err: unknown) => {
      await undo?.();
      throw err;
    });
    if (previous && v) await this.repo.setVersionState(gw.id, previous.number, 'rolled-back');
    return v;
  }
}
