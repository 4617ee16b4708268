import {
  BerthError,
  ConflictError,
  NotFoundError,
  normalizeHost,
  type AllowedNetwork,
  type CreateDomainRequest,
  type CreateNetworkRequest,
  type DomainZone,
  type ErrorCode,
  type FieldError,
  type Owner,
  type RouteSpec,
  type RouteViolation,
} from '@berth/shared';
import type { AppContext, Actor } from '../../http/context';
import { newId, nowIso } from '../../util';
import {
  berthListeners,
  cidrContains,
  cidrText,
  fencedNetworkReason,
  fencedReason,
  ipv4ToInt,
  parseCidr,
  type Listener,
} from './fence';
import { isUniqueViolation } from '../identity/store-errors';
import type { NetworkRow, OwnerFilter, TenancyRepository, ZoneRow } from './tenancy.repository';

/** One rule a route breaks: what the API says when refusing it, and how a list flags it. */
export interface RouteProblem {
  rule: RouteViolation['rule'];
  code: ErrorCode;
  message: string;
  path: string;
}

/** The route fields the tenancy rules look at. */
export interface RouteFacts {
  project: string;
  env: string;
  spec: Pick<RouteSpec, 'host' | 'backends'>;
}

/** Another route of the same env, for the one-project-per-host rule. */
export interface OtherRoute {
  project: string;
  name: string;
  host: string;
  created_at: string;
}

/** What the checks read, loaded once per request. */
interface Snapshot {
  zones: ZoneRow[];
  networks: NetworkRow[];
  teams: Map<string, string>;
  /** env → the domain suffix of its gateway (the config's when the env has none). */
  envSuffix: Map<string, string>;
  /** Every automatic suffix: the config's and every gateway's. */
  suffixes: string[];
  listeners: Listener[];
}

const under = (host: string, zone: string) => host === zone || host.endsWith(`.${zone}`);

export function toZone(r: ZoneRow): DomainZone {
  return {
    zone: r.zone,
    owner: { kind: r.owner_kind as Owner['kind'], name: r.owner_name },
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}

export function toNetwork(r: NetworkRow): AllowedNetwork {
  return {
    cidr: r.cidr,
    owner: { kind: r.owner_kind as Owner['kind'], name: r.owner_name },
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}

/**
 * Domains have owners and backends are fenced. Platform admins assign DNS zones and allowed
 * networks to teams and projects; every route write is checked against them (checkRoute), and
 * routes stored before a rule existed are flagged on read (violations), never deleted.
 */
export class TenancyService {
  constructor(
    private readonly ctx: Pick<AppContext, 'config' | 'db' | 'auth'>,
    private readonly repo: TenancyRepository,
    /** The port the API really listens on (null before it listens). */
    private readonly apiPort: () => number | null,
  ) {}

  /**
   * Listeners known only at run time, fenced like Berth's own: the agent nodes' metrics listeners
   * (set by the gateways module, from the store, so every server fences every node's; a route to
   * one would read every project's request counts).
   */
  moreListeners: () => Promise<Listener[]> = async () => [];

  /**
   * Every listener no tenant may send traffic to, now: Berth's own and the run-time ones. Route
   * backends, probe targets and alert channels are all fenced by this one list, so a listener
   * added here is kept from each of them.
   */
  async listeners(): Promise<Listener[]> {
    return this.listenersOf(await this.repo.gateways());
  }

  private async listenersOf(
    gateways: Array<{ name: string; listen: string; tls_listen: string | null }>,
  ): Promise<Listener[]> {
    return [...berthListeners(this.ctx.config, gateways, this.apiPort()), ...(await this.moreListeners())];
  }

  /* ---------------- zones ---------------- */

  async listZones(actor: Actor): Promise<DomainZone[]> {
    return (await this.repo.listZones(await this.filterFor(actor))).map(toZone);
  }

  async addZone(body: CreateDomainRequest, actor: Actor): Promise<DomainZone> {
    const zone = normalizeHost(body.zone);
    await this.checkOwner(body.owner);
    const suffix = (await this.suffixes()).find((s) => under(zone, s));
    if (suffix)
      throw new BerthError(
        'UNPROCESSABLE',
        `Zone '${zone}' lies under the automatic domain '${suffix}', where services get their own names (<service>.<project>.<env>.${suffix}); no team or project can own it. Pick a zone outside '${suffix}'.`,
        { fields: [{ path: 'zone', message: `must not be '${suffix}' or lie under it` }] },
      );
    const taken = await this.repo.findZone(zone);
    if (taken)
      throw new ConflictError(
        `Zone '${zone}' is already owned by ${taken.owner_kind} '${taken.owner_name}'; remove it first (\`berth domains remove ${zone}\`) to give it to another owner.`,
        {
          fields: [
            { path: 'zone', message: `is already owned by ${taken.owner_kind} '${taken.owner_name}'` },
          ],
        },
        'ALREADY_EXISTS',
      );
    const row: ZoneRow = {
      zone,
      owner_kind: body.owner.kind,
      owner_name: body.owner.name,
      created_at: nowIso(),
      created_by: actor.name,
    };
    try {
      await this.repo.insertZone(row);
    } catch (err) {
      // a concurrent assignment of the same zone won
      if (isUniqueViolation(err))
        throw new ConflictError(
          `Zone '${zone}' was just assigned by someone else; list zones and retry.`,
          {
            fields: [{ path: 'zone', message: 'is already owned' }],
          },
          'ALREADY_EXISTS',
        );
      throw err;
    }
    return toZone(row);
  }

  async removeZone(zone: string): Promise<void> {
    const z = normalizeHost(zone);
    if (!(await this.repo.deleteZone(z)))
      throw new NotFoundError(
        'NOT_FOUND',
        `Zone '${z}' is not assigned; list zones with \`berth domains list\`.`,
      );
  }

  /* ---------------- networks ---------------- */

  async listNetworks(actor: Actor): Promise<AllowedNetwork[]> {
    return (await this.repo.listNetworks(await this.filterFor(actor))).map(toNetwork);
  }

  async addNetwork(body: CreateNetworkRequest, actor: Actor): Promise<AllowedNetwork> {
    const parsed = parseCidr(body.cidr);
    if (!parsed)
      throw new BerthError('INVALID_REQUEST', `'${body.cidr}' is not an IPv4 CIDR such as 10.20.0.0/16.`, {
        fields: [{ path: 'cidr', message: 'must be an IPv4 CIDR such as 10.20.0.0/16' }],
      });
    await this.checkOwner(body.owner);
    const cidr = cidrText(parsed);
    const fenced = fencedNetworkReason(parsed, this.ctx.config.allowLoopbackBackends);
    if (fenced)
      throw new BerthError(
        'UNPROCESSABLE',
        `Network ${cidr} cannot be allowed: ${fenced}, which no route may ever send traffic to. Allow the backends' own network (for example 10.20.0.0/16).`,
        { fields: [{ path: 'cidr', message: `${fenced}; never allowed` }] },
      );
    const existing = await this.repo.findNetworks(cidr);
    if (existing.some((r) => r.owner_kind === body.owner.kind && r.owner_name === body.owner.name))
      throw new ConflictError(
        `Network ${cidr} is already allowed for ${body.owner.kind} '${body.owner.name}'.`,
        { fields: [{ path: 'cidr', message: 'is already allowed for this owner' }] },
        'ALREADY_EXISTS',
      );
    const row: NetworkRow = {
      id: newId(),
      cidr,
      owner_kind: body.owner.kind,
      owner_name: body.owner.name,
      created_at: nowIso(),
      created_by: actor.name,
    };
    try {
      await this.repo.insertNetwork(row);
    } catch (err) {
      if (isUniqueViolation(err))
        throw new ConflictError(
          `Network ${cidr} was just allowed for this owner by someone else.`,
          {
            fields: [{ path: 'cidr', message: 'is already allowed for this owner' }],
          },
          'ALREADY_EXISTS',
        );
      throw err;
    }
    return toNetwork(row);
  }

  /** Removes the grants of a CIDR: all of them, or only the given owner's. */
  async removeNetwork(cidrIn: string, owner: Owner | null): Promise<void> {
    const parsed = parseCidr(cidrIn);
    if (!parsed)
      throw new BerthError('INVALID_REQUEST', `'${cidrIn}' is not an IPv4 CIDR such as 10.20.0.0/16.`);
    const cidr = cidrText(parsed);
    const rows = (await this.repo.findNetworks(cidr)).filter(
      (r) => !owner || (r.owner_kind === owner.kind && r.owner_name === owner.name),
    );
    if (rows.length === 0)
      throw new NotFoundError(
        'NOT_FOUND',
        `Network ${cidr} is not allowed${owner ? ` for ${owner.kind} '${owner.name}'` : ''}; list networks with \`berth networks list\`.`,
      );
    for (const r of rows) await this.repo.deleteNetwork(r.id);
  }

  /* ---------------- route checks ---------------- */

  /**
   * Refuses a route write that breaks a tenancy rule: 403 HOST_NOT_OWNED, 409 HOST_CLAIMED or
   * 403 BACKEND_NOT_ALLOWED, with the field errors at spec.host / spec.backends.servers.N.address.
   */
  async checkRoute(route: RouteFacts, others: OtherRoute[]): Promise<void> {
    const problems = this.problemsOf(await this.snapshot(), route, others, null);
    const first = problems[0];
    if (!first) return;
    const same = problems.filter((p) => p.code === first.code);
    const fields: FieldError[] = same.map((p) => ({ path: p.path, message: p.message }));
    throw new BerthError(first.code, first.message, { rule: first.rule, fields });
  }

  /** The rules each stored route breaks today, by route id (routes of possibly many envs). */
  async violations(
    routes: Array<OtherRoute & { id: string; env: string; spec: string }>,
    envRoutes: (env: string) => Promise<OtherRoute[]>,
  ): Promise<Map<string, RouteViolation[]>> {
    const out = new Map<string, RouteViolation[]>();
    if (routes.length === 0) return out;
    const snap = await this.snapshot();
    const byEnv = new Map<string, OtherRoute[]>();
    for (const r of routes) {
      let others = byEnv.get(r.env);
      if (!others) {
        others = await envRoutes(r.env);
        byEnv.set(r.env, others);
      }
      const spec = JSON.parse(r.spec) as RouteSpec;
      const problems = this.problemsOf(
        snap,
        { project: r.project, env: r.env, spec },
        others.filter((o) => !(o.project === r.project && o.name === r.name)),
        r.created_at,
      );
      out.set(
        r.id,
        problems.map((p) => ({ rule: p.rule, message: p.message })),
      );
    }
    return out;
  }

  private problemsOf(
    snap: Snapshot,
    route: RouteFacts,
    others: OtherRoute[],
    createdAt: string | null,
  ): RouteProblem[] {
    const out: RouteProblem[] = [];
    const host = normalizeHost(route.spec.host);
    const team = snap.teams.get(route.project) ?? null;
    const hostProblem = this.hostProblem(snap, route, host, team);
    if (hostProblem)
      out.push({ rule: 'host-not-owned', code: 'HOST_NOT_OWNED', path: 'spec.host', message: hostProblem });
    // One project per host on a gateway; on read, the route that came first keeps it.
    const claim = others.find(
      (o) =>
        o.project !== route.project &&
        normalizeHost(o.host) === host &&
        (createdAt === null || o.created_at < createdAt),
    );
    if (claim)
      out.push({
        rule: 'host-claimed',
        code: 'HOST_CLAIMED',
        path: 'spec.host',
        message: `Host '${host}' is already routed by project '${claim.project}' on the gateway of env '${route.env}'; a host belongs to one project per gateway, whatever the path. Use another host in a zone your project owns.`,
      });
    route.spec.backends.servers.forEach((s, i) => {
      const problem = this.backendProblem(snap, route.project, team, s.address);
      if (problem)
        out.push({
          rule: 'backend-not-allowed',
          code: 'BACKEND_NOT_ALLOWED',
          path: `spec.backends.servers.${i}.address`,
          message: problem,
        });
    });
    return out;
  }

  private hostProblem(snap: Snapshot, route: RouteFacts, host: string, team: string | null): string | null {
    const { project, env } = route;
    const own = snap.envSuffix.get(env) ?? this.ctx.config.domainSuffix;
    const askZone = `ask a platform admin to assign a zone: \`berth domains add ZONE --project ${project}\`${team ? ` (or --team ${team})` : ''}`;
    const suffix = [own, ...snap.suffixes].find((s) => under(host, s));
    if (suffix) {
      const labels = host === suffix ? [] : host.slice(0, -(suffix.length + 1)).split('.');
      const [svc, p, e] = labels;
      const automatic = labels.length === 3 && suffix === own && e === env;
      if (automatic && p === project) {
        const backend = route.spec.backends.service?.name;
        if (backend === svc) return null;
        return `Host '${host}' is the automatic name of service '${svc}' and belongs to that service alone. Set backends.service to '${svc}', or use a host in a zone your project or team owns (\`berth domains list\`).`;
      }
      if (automatic)
        return `Host '${host}' is the automatic name of service '${svc}' of another project; it belongs to that service alone. Use your own services' names (<service>.${project}.${env}.${own}) or a host in a zone your project or team owns; ${askZone}.`;
      return `Host '${host}' lies under the automatic domain '${suffix}', where only services' own names (<service>.<project>.<env>.${suffix}) exist. Use a host in a zone your project or team owns; ${askZone}.`;
    }
    let best: ZoneRow | null = null;
    for (const z of snap.zones)
      if (under(host, z.zone) && (!best || z.zone.length > best.zone.length)) best = z;
    if (!best)
      return `No domain zone of project '${project}'${team ? ` or its team '${team}'` : ''} covers host '${host}'. A route's host must lie in a zone its project or team owns; ${askZone}.`;
    const mine =
      (best.owner_kind === 'project' && best.owner_name === project) ||
      (best.owner_kind === 'team' && team !== null && best.owner_name === team);
    if (mine) return null;
    return `Host '${host}' lies in zone '${best.zone}', which is assigned to another ${best.owner_kind}; a route's host must lie in a zone its project or team owns (the most specific zone decides). Use a host in one of your zones (\`berth domains list\`), or ${askZone}.`;
  }

  private backendProblem(
    snap: Snapshot,
    project: string,
    team: string | null,
    address: string,
  ): string | null {
    const allowLoopback = this.ctx.config.allowLoopbackBackends;
    const fenced = fencedReason(address, { allowLoopback, listeners: snap.listeners });
    if (fenced)
      return `Backend ${address} is ${fenced}; it is never allowed as a route backend, whatever the allowed networks say.`;
    const ip = ipv4ToInt(address.split(':')[0] ?? '')!;
    const allowed = snap.networks.some((n) => {
      const mine =
        (n.owner_kind === 'project' && n.owner_name === project) ||
        (n.owner_kind === 'team' && team !== null && n.owner_name === team);
      const c = parseCidr(n.cidr);
      return mine && c !== null && cidrContains(c, ip);
    });
    if (allowed) return null;
    return `Backend ${address} is not inside a network allowed to project '${project}'${team ? ` or its team '${team}'` : ''} (none are allowed by default). Ask a platform admin to allow it: \`berth networks add CIDR --project ${project}\`.`;
  }

  private async snapshot(): Promise<Snapshot> {
    const gateways = await this.repo.gateways();
    const envSuffix = new Map<string, string>();
    for (const g of gateways) envSuffix.set(g.env, g.domain_suffix);
    return {
      zones: await this.repo.listZones(null),
      networks: await this.repo.listNetworks(null),
      teams: await this.repo.projectTeams(),
      envSuffix,
      suffixes: [...new Set([this.ctx.config.domainSuffix, ...gateways.map((g) => g.domain_suffix)])],
      listeners: await this.listenersOf(gateways),
    };
  }

  private async suffixes(): Promise<string[]> {
    const gateways = await this.repo.gateways();
    return [...new Set([this.ctx.config.domainSuffix, ...gateways.map((g) => g.domain_suffix)])];
  }

  private async checkOwner(o: Owner): Promise<void> {
    if (await this.repo.exists(o.kind, o.name)) return;
    throw new NotFoundError(
      o.kind === 'team' ? 'TEAM_NOT_FOUND' : 'PROJECT_NOT_FOUND',
      `${o.kind === 'team' ? 'Team' : 'Project'} '${o.name}' does not exist; pick an existing ${o.kind} as the owner.`,
      { fields: [{ path: 'owner.name', message: `no such ${o.kind}` }] },
    );
  }

  /** What a caller sees: platform admins everything, others their projects' and teams' rows. */
  private async filterFor(actor: Actor): Promise<OwnerFilter | null> {
    if (await this.ctx.auth.authorize(actor, 'platform:admin', { kind: 'platform' })) return null;
    const visible = await this.ctx.auth.visibleProjects(actor);
    const teams = new Set<string>();
    const projectTeams = await this.repo.projectTeams();
    const projects = visible ?? [...projectTeams.keys()];
    for (const p of projects) {
      const t = projectTeams.get(p);
      if (t) teams.add(t);
    }
    const bound = await this.ctx.db
      .selectFrom('role_bindings')
      .select('scope_name')
      .where('user_name', '=', actor.name)
      .where('scope_kind', '=', 'team')
      .execute();
    for (const b of bound) teams.add(b.scope_name);
    return { teams: [...teams], projects };
  }
}
