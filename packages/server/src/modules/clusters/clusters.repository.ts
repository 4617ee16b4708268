import { newId, nowIso } from '../../util';
import type { Selectable } from 'kysely';
import type { Db } from '../../db/database';
import type { ClusterEventsTable, ClustersTable, EnvironmentsTable } from '../../db/schema';

/**
 * A cluster row; `registry_check` and `engine_version` are written by the health checker only,
 * `exposure`, `gateway_cidrs` and `namespace_prefix` concern kubernetes clusters only (absent: null).
 */
export type ClusterRow = Omit<
  Selectable<ClustersTable>,
  'registry_check' | 'exposure' | 'gateway_cidrs' | 'engine_version' | 'namespace_prefix'
> & {
  registry_check?: string | null;
  exposure?: string | null;
  gateway_cidrs?: string | null;
  engine_version?: string | null;
  namespace_prefix?: string | null;
};
export type ClusterEventRow = Selectable<ClusterEventsTable>;
export type EnvironmentRow = Selectable<EnvironmentsTable>;

/** Health columns the checker writes; they do not bump the row's version (admins' edits do). */
export type ClusterHealthColumns = Pick<
  ClusterRow,
  'state' | 'message' | 'latency_ms' | 'capacity' | 'last_checked_at'
> &
  Partial<Pick<ClusterRow, 'state_since' | 'registry_check' | 'engine_version'>>;

/** Container states that no longer occupy a cluster. */
const goneStates = ['exited', 'removed'];

/** The `clusters` and `cluster_events` tables and the environments' cluster columns (migration 0013). */
export class ClustersRepository {
  constructor(private readonly db: Db) {}

  list(): Promise<ClusterRow[]> {
    return this.db.selectFrom('clusters').selectAll().orderBy('name').execute();
  }

  find(name: string): Promise<ClusterRow | undefined> {
    return this.db.selectFrom('clusters').selectAll().where('name', '=', name).executeTakeFirst();
  }

  async insert(row: ClusterRow): Promise<void> {
    await this.db.insertInto('clusters').values(row).execute();
  }

  /** Replaces the admin-owned columns if the version is still `expected`; false when it changed. */
  async replace(row: ClusterRow, expected: number): Promise<boolean> {
    const r = await this.db
      .updateTable('clusters')
      .set({
        endpoint: row.endpoint,
        credentials_sealed: row.credentials_sealed,
        labels: row.labels,
        publish_address: row.publish_address,
        registry_address: row.registry_address,
        exposure: row.exposure ?? null,
        gateway_cidrs: row.gateway_cidrs ?? null,
        cordoned: row.cordoned,
        draining: row.draining,
        updated_at: row.updated_at,
        version: row.version,
      })
      .where('name', '=', row.name)
      .where('version', '=', expected)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async setHealth(name: string, health: ClusterHealthColumns): Promise<void> {
    await this.db.updateTable('clusters').set(health).where('name', '=', name).execute();
  }

  async delete(name: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('cluster_events').where('cluster', '=', name).execute();
      await trx.deleteFrom('clusters').where('name', '=', name).execute();
    });
  }

  /** An event without a state change (a fleet decision such as FailoverStarted), at now. */
  addNote(cluster: string, type: string, message: string): Promise<void> {
    return this.addEvent({
      id: newId(),
      cluster,
      at: nowIso(),
      type,
      from_state: null,
      to_state: null,
      message,
    });
  }

  /** Adds an event and keeps the newest `keep` of the cluster (a flapping cluster must not grow the table). */
  async addEvent(row: ClusterEventRow, keep = 500): Promise<void> {
    await this.db.insertInto('cluster_events').values(row).execute();
    const oldestKept = await this.db
      .selectFrom('cluster_events')
      .select('id')
      .where('cluster', '=', row.cluster)
      .orderBy('id', 'desc')
      .offset(keep - 1)
      .limit(1)
      .executeTakeFirst();
    if (oldestKept)
      await this.db
        .deleteFrom('cluster_events')
        .where('cluster', '=', row.cluster)
        .where('id', '<', oldestKept.id)
        .execute();
  }

  /** Newest first. */
  events(cluster: string, limit: number, before?: string): Promise<ClusterEventRow[]> {
    let q = this.db.selectFrom('cluster_events').selectAll().where('cluster', '=', cluster);
    if (before !== undefined) q = q.where('id', '<', before);
    return q
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
  }

  /** Containers of Berth's ledger that still occupy the cluster, per service. */
  async placed(
    cluster: string,
  ): Promise<Array<{ project: string; env: string; service: string; containers: number }>> {
    const rows = await this.db
      .selectFrom('containers')
      .innerJoin('services', 'services.id', 'containers.service_id')
      .select(['services.project', 'services.env', 'services.name'])
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('containers.cluster', '=', cluster)
      .where('containers.state', 'not in', goneStates)
      .groupBy(['services.project', 'services.env', 'services.name'])
      .orderBy('services.project')
      .orderBy('services.env')
      .orderBy('services.name')
      .execute();
    return rows.map((r) => ({ project: r.project, env: r.env, service: r.name, containers: Number(r.n) }));
  }

  envs(): Promise<EnvironmentRow[]> {
    return this.db.selectFrom('environments').selectAll().execute();
  }

  findEnv(name: string): Promise<EnvironmentRow | undefined> {
    return this.db.selectFrom('environments').selectAll().where('name', '=', name).executeTakeFirst();
  }

  async updateEnv(name: string, set: { clusters?: string; failover_grace_seconds?: number }): Promise<void> {
    await this.db.updateTable('environments').set(set).where('name', '=', name).execute();
  }
}

/** The cluster names an environment row names (JSON column; ["local"] when unreadable). */
export function envClusters(row: Pick<EnvironmentRow, 'clusters'>): string[] {
  try {
    const parsed: unknown = JSON.parse(row.clusters);
    if (Array.isArray(parsed) && parsed.every((c) => typeof c === 'string')) return parsed;
  } catch {
    // fall through
  }
  return ['local'];
}
