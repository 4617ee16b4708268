import { z } from 'zod';
import { NotFoundError, nameSchema, rollbackVersionRequestSchema, type Gateway } from '@berth/shared';
import { lineDiff } from '@berth/gateway-nginx';
import type { Actor } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import { pageQuerySchema } from '../../http/pagination';
import type { GatewayRow, GatewaysRepository, VersionRow } from './gateways.repository';
import type { GatewayNodesRepository, GatewaySettings } from './gateway-nodes.repository';
import { toVersion, type GatewaysService } from './gateways.service';

const base = '/api/v1/gateways';
const gatewayParams = z.object({ gateway: nameSchema }).strict();
const versionParams = gatewayParams.extend({ n: z.coerce.number().int().min(1) }).strict();
const diffParams = gatewayParams
  .extend({ a: z.coerce.number().int().min(1), b: z.coerce.number().int().min(1) })
  .strict();
const platform = { permission: 'platform:admin' as const, scope: () => ({ kind: 'platform' as const }) };
// Anyone logged in may see which gateways exist (name, env, listeners, domain suffix, the
// applied version number), without the admin snippets. Versions and diffs hold every project's
// hosts and backends, and nodes their addresses and tokens: those are for platform admins only
// (users see their own routes in the routes API).
const anyone = 'authenticated' as const;

/** A gateway as the API answers it, with its admin settings (snippets only for `admin`). */
export function toGateway(g: GatewayRow, s: GatewaySettings, admin = true): Gateway {
  return {
    name: g.name,
    env: g.env,
    listen: g.listen,
    tlsListen: g.tls_listen,
    domainSuffix: g.domain_suffix,
    appliedVersion: g.applied_version,
    description: s.description,
    ...(admin ? { snippets: s.snippets } : {}),
    rolloutMode: s.rolloutMode,
    releasedVersion: s.releasedVersion,
    createdAt: g.created_at,
    updatedAt: g.updated_at,
    version: g.version,
  };
}

/** The text a version diff compares: the files of a config version, or an endpoints diff. */
function textOf(v: VersionRow): string {
  return v.kind === 'config' ? `${v.main_text ?? ''}\n${v.upstreams_text ?? ''}` : v.diff;
}

/** Gateways, their versions, diffs and rollbacks. */
export function registerGatewayRoutes(
  registry: RouteRegistry,
  repo: GatewaysRepository,
  svc: GatewaysService,
  settings: GatewayNodesRepository,
  /** Whether the caller is a platform admin (who alone sees snippets). */
  isAdmin: (actor: Actor) => Promise<boolean>,
): void {
  const view = async (g: GatewayRow, admin: boolean) => toGateway(g, await settings.settings(g.id), admin);
  const gateway = async (name: string) => {
    const g = await repo.findGateway(name);
    if (!g) throw new NotFoundError('NOT_FOUND', `Gateway '${name}' does not exist.`);
    return g;
  };
  const version = async (g: GatewayRow, n: number) => {
    const v = await repo.findVersion(g.id, n);
    if (!v) throw new NotFoundError('NOT_FOUND', `Gateway '${g.name}' has no version ${n}.`);
    return v;
  };

  registry.add({
    id: 'gateways.list',
    method: 'GET',
    url: base,
    summary: 'List gateways',
    tags: ['gateways'],
    access: anyone,
    handler: async ({ actor }) => {
      const admin = await isAdmin(actor);
      return {
        items: await Promise.all((await repo.listGateways()).map((g) => view(g, admin))),
        nextCursor: null,
      };
    },
  });

  registry.add({
    id: 'gateways.get',
    method: 'GET',
    url: `${base}/:gateway`,
    summary: 'Show a gateway',
    tags: ['gateways'],
    access: anyone,
    params: gatewayParams,
    handler: async ({ params, actor }) => view(await gateway(params.gateway), await isAdmin(actor)),
  });

  registry.add({
    id: 'gateways.versions',
    method: 'GET',
    url: `${base}/:gateway/versions`,
    summary: 'Versions of a gateway configuration, newest first',
    tags: ['gateways'],
    access: platform,
    params: gatewayParams,
    query: pageQuerySchema.extend({ kind: z.enum(['config', 'endpoints']).optional() }),
    async handler({ params, query }) {
      const g = await gateway(params.gateway);
      const before = query.cursor ? Number(Buffer.from(query.cursor, 'base64url').toString()) : undefined;
      const rows = await repo.listVersions(
        g.id,
        Number.isFinite(before) ? before : undefined,
        query.limit,
        query.kind,
      );
      const items = rows.slice(0, query.limit);
      const last = items[items.length - 1];
      return {
        items: items.map((v) => toVersion(v, g.name, false)),
        nextCursor:
          rows.length > query.limit && last ? Buffer.from(String(last.number)).toString('base64url') : null,
      };
    },
  });

  registry.add({
    id: 'gateways.version',
    method: 'GET',
    url: `${base}/:gateway/versions/:n`,
    summary: 'One version with its rendered configuration and its diff to the previous one',
    tags: ['gateways'],
    access: platform,
    params: versionParams,
    async handler({ params }) {
      const g = await gateway(params.gateway);
      return toVersion(await version(g, params.n), g.name, true);
    },
  });

  registry.add({
    id: 'gateways.diff',
    method: 'GET',
    url: `${base}/:gateway/versions/:a/diff/:b`,
    summary: 'Line diff between two versions',
    tags: ['gateways'],
    access: platform,
    params: diffParams,
    async handler({ params }) {
      const g = await gateway(params.gateway);
      const [a, b] = [await version(g, params.a), await version(g, params.b)];
      return { gateway: g.name, from: a.number, to: b.number, diff: lineDiff(textOf(a), textOf(b)) };
    },
  });

  registry.add({
    id: 'gateways.rollback',
    method: 'POST',
    url: `${base}/:gateway/versions/:n/rollback`,
    summary: 'Apply the routes of an older version again; recorded as a new version',
    tags: ['gateways'],
    access: platform,
    params: versionParams,
    body: rollbackVersionRequestSchema,
    target: { kind: 'gateway' },
    async handler({ params, body, actor }) {
      const g = await gateway(params.gateway);
      const v = await svc.rollback(g, params.n, actor.name, body.reason);
      return { gatewayVersion: v ? toVersion(v, g.name, false) : null };
    },
  });
}
