import { promisify } from 'node:util';
import { gunzipSync, gzip } from 'node:zlib';
import type { Selectable } from 'kysely';
import { ConflictError } from '@berth/shared';
import type { Db } from '../../db/database';
import type { GatewayRoutesTable, GatewaysTable, GatewayVersionsTable } from '../../db/schema';

export type GatewayRow = Selectable<GatewaysTable>;
export type RouteRow = Selectable<GatewayRoutesTable>;
export type VersionRow = Selectable<GatewayVersionsTable>;

/** A planned change of the routes table, applied only after the configuration validated. */
export type RouteChange =
  | { kind: 'insert'; row: RouteRow }
  | { kind: 'update'; row: RouteRow; expectedVersion: number }
  | { kind: 'delete'; id: string; expectedVersion: number }
  /** Replaces every route of an env (a rollback restores a snapshot). */
  | { kind: 'replace'; env: string; rows: RouteRow[] };

const gzipAsync = promisify(gzip);

/** Store access for gateways, routes and gateway versions. */
/**
 * A config version's routes snapshot as stored: gzip in base64 behind `gz:` (5.4 MiB of JSON at
 * 10,000 routes would be stored with every route change; repeated keys and values compress well).
 * Older rows hold the plain JSON, which decodeRoutesSnapshot reads too.
 */
export async function encodeRoutesSnapshot(rows: readonly RouteRow[]): Promise<string> {
  // In the thread pool and at level 1, beside the apply's `nginx -t`: at 10,000 routes level 6
  // took 150-180 ms of the event loop for each route change, level 1 takes ~60 ms elsewhere and
  // stores ~10% more (255 KiB instead of 234).
  return `gz:${(await gzipAsync(JSON.stringify(rows), { level: 1 })).toString('base64')}`;
}

export function decodeRoutesSnapshot(text: string): RouteRow[] {
  const json = text.startsWith('gz:')
    ? gunzipSync(Buffer.from(text.slice(3), 'base64')).toString('utf8')
    : text;
  return JSON.parse(json) as RouteRow[];
}

export class GatewaysRepository {
  constructor(private readonly db: Db) {}

  listGateways(): Promise<GatewayRow[]> {
    return this.db.selectFrom('gateways').selectAll().orderBy('name').execute();
  }

  findGateway(name: string): Promise<GatewayRow | undefined> {
    return this.db.selectFrom('gateways').selectAll().where('name', '=', name).executeTakeFirst();
  }

  gatewayForEnv(env: string): Promise<GatewayRow | undefined> {
    return this.db
      .selectFrom('gateways')
      .selectAll()
      .where('env', '=', env)
      .orderBy('name')
      .limit(1)
      .executeTakeFirst();
  }

  async insertGateway(row: GatewayRow): Promise<void> {
    await this.db.insertInto('gateways').values(row).execute();
  }

  async updateGatewayListen(
    id: string,
    listen: string,
    tlsListen: string | null,
    suffix: string,
  ): Promise<void> {
    await this.db
      .updateTable('gateways')
      .set({ listen, tls_listen: tlsListen, domain_suffix: suffix })
      .where('id', '=', id)
      .execute();
  }

  routesOfEnv(env: string): Promise<RouteRow[]> {
    return this.db.selectFrom('gateway_routes').selectAll().where('env', '=', env).orderBy('id').execute();
  }

  /** The env's routes for any of these hosts (the unique (env, host, path) index answers it). */
  async routesOfEnvForHosts(env: string, hosts: readonly string[]): Promise<RouteRow[]> {
    const out: RouteRow[] = [];
    for (let i = 0; i < hosts.length; i += 500) {
      const chunk = hosts.slice(i, i + 500);
      out.push(
        ...(await this.db
          .selectFrom('gateway_routes')
          .selectAll()
          .where('env', '=', env)
          .where('host', 'in', chunk)
          .execute()),
      );
    }
    return out;
  }

  findRoute(project: string, env: string, name: string): Promise<RouteRow | undefined> {
    return this.db
      .selectFrom('gateway_routes')
      .selectAll()
      .where('project', '=', project)
      .where('env', '=', env)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  listRoutes(project: string, env: string, after: string | undefined, limit: number): Promise<RouteRow[]> {
    let q = this.db
      .selectFrom('gateway_routes')
      .selectAll()
      .where('project', '=', project)
      .where('env', '=', env)
      .orderBy('name')
      .limit(limit + 1);
    if (after) q = q.where('name', '>', after);
    return q.execute();
  }

  /**
   * Writes a route change and, when a gateway applied it, its version row, in one transaction.
   * A stale expected version fails the whole write with 409 VERSION_CONFLICT.
   */
  async commit(
    change: RouteChange | null,
    version: VersionRow | null,
    appliedVersion: boolean,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (change?.kind === 'insert') await trx.insertInto('gateway_routes').values(change.row).execute();
      if (change?.kind === 'update' || change?.kind === 'delete') {
        const id = change.kind === 'update' ? change.row.id : change.id;
        const r =
          change.kind === 'update'
            ? await trx
                .updateTable('gateway_routes')
                .set({ ...change.row, version: change.expectedVersion + 1 })
                .where('id', '=', id)
                .where('version', '=', change.expectedVersion)
                .executeTakeFirst()
            : await trx
                .deleteFrom('gateway_routes')
                .where('id', '=', id)
                .where('version', '=', change.expectedVersion)
                .executeTakeFirst();
        const n = 'numUpdatedRows' in r ? r.numUpdatedRows : r.numDeletedRows;
        if (Number(n) !== 1) {
          const now = await trx
            .selectFrom('gateway_routes')
            .select('version')
            .where('id', '=', id)
            .executeTakeFirst();
          throw new ConflictError(
            'The route changed since you read it; read it again and retry with its current version.',
            { currentVersion: now?.version ?? null },
            'VERSION_CONFLICT',
          );
        }
      }
      if (change?.kind === 'replace') {
        await trx.deleteFrom('gateway_routes').where('env', '=', change.env).execute();
        if (change.rows.length > 0) await trx.insertInto('gateway_routes').values(change.rows).execute();
      }
      if (version) {
        await trx.insertInto('gateway_versions').values(version).execute();
        await trx
          .updateTable('gateways')
          .set({
            last_version: version.number,
            ...(appliedVersion ? { applied_version: version.number } : {}),
          })
          .where('id', '=', version.gateway_id)
          .execute();
      }
    });
  }

  async nextVersionNumber(gatewayId: string): Promise<number> {
    const g = await this.db
      .selectFrom('gateways')
      .select('last_version')
      .where('id', '=', gatewayId)
      .executeTakeFirstOrThrow();
    return g.last_version + 1;
  }

  listVersions(
    gatewayId: string,
    before: number | undefined,
    limit: number,
    kind?: string,
  ): Promise<VersionRow[]> {
    let q = this.db
      .selectFrom('gateway_versions')
      .selectAll()
      .where('gateway_id', '=', gatewayId)
      .orderBy('number', 'desc')
      .limit(limit + 1);
    if (before !== undefined) q = q.where('number', '<', before);
    if (kind) q = q.where('kind', '=', kind);
    return q.execute();
  }

  findVersion(gatewayId: string, n: number): Promise<VersionRow | undefined> {
    return this.db
      .selectFrom('gateway_versions')
      .selectAll()
      .where('gateway_id', '=', gatewayId)
      .where('number', '=', n)
      .executeTakeFirst();
  }

  /** The newest applied full configuration: what endpoint-only changes are diffed against. */
  latestConfig(gatewayId: string): Promise<VersionRow | undefined> {
    return this.db
      .selectFrom('gateway_versions')
      .selectAll()
      .where('gateway_id', '=', gatewayId)
      .where('kind', '=', 'config')
      .where('state', '=', 'applied')
      .orderBy('number', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /** The newest applied config version numbered n or lower: the main file version n ran with. */
  /**
   * The number of the newest applied config version at or before `n` (any when n is null), without
   * its texts (a config version holds megabytes at 10,000 routes; agents ask on every poll).
   */
  async configNumberAtOrBefore(gatewayId: string, n: number | null): Promise<number | null> {
    let q = this.db
      .selectFrom('gateway_versions')
      .select('number')
      .where('gateway_id', '=', gatewayId)
      .where('kind', '=', 'config')
      .where('state', '!=', 'failed');
    if (n !== null) q = q.where('number', '<=', n);
    const row = await q.orderBy('number', 'desc').limit(1).executeTakeFirst();
    return row?.number ?? null;
  }

  configAtOrBefore(gatewayId: string, n: number): Promise<VersionRow | undefined> {
    return this.db
      .selectFrom('gateway_versions')
      .selectAll()
      .where('gateway_id', '=', gatewayId)
      .where('kind', '=', 'config')
      .where('state', '!=', 'failed')
      .where('number', '<=', n)
      .orderBy('number', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /** Routes whose canary promotion is under way (`canary.promoting` set). */
  promotingRoutes(): Promise<RouteRow[]> {
    return this.db
      .selectFrom('gateway_routes')
      .selectAll()
      .where('canary', 'like', '%"promoting"%')
      .execute();
  }

  async setVersionState(gatewayId: string, n: number, state: string): Promise<void> {
    await this.db
      .updateTable('gateway_versions')
      .set({ state })
      .where('gateway_id', '=', gatewayId)
      .where('number', '=', n)
      .execute();
  }
}

/**
 * The services of an env and their serving containers, as the gateway planner needs them (the
 * services module's `ServicesRepository.servingEndpoints` answers it; see `GatewayServices`).
 */
export interface EnvServices {
  services: { id: string; project: string; name: string }[];
  /** Serving endpoints per service id: container port → published address. */
  endpoints: Map<string, Record<string, string>[]>;
  /** Serving endpoints of canary containers per `<service id>:<release>`. */
  canaryEndpoints?: Map<string, Record<string, string>[]>;
}
