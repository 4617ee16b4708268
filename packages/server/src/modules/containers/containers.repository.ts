import type { Selectable, Updateable } from 'kysely';
import type { Db } from '../../db/database';
import type { ContainersTable, EventsTable, StatsSamplesTable } from '../../db/schema';
import { activeStates, type ContainerRow } from '../services/services.repository';

export type StatsRow = Selectable<StatsSamplesTable>;

/** A keyset position: the sort key of the last row of the previous page. */
export interface Position {
  at: string;
  name: string;
}

/** Splits a decoded cursor `<timestamp>|<name>`; undefined when absent, null when malformed. */
export function parsePosition(key: string | undefined): Position | undefined | null {
  if (key === undefined) return undefined;
  const bar = key.indexOf('|');
  if (bar <= 0) return null;
  return { at: key.slice(0, bar), name: key.slice(bar + 1) };
}

/**
 * Store access the container routes need beyond ServicesRepository: keyset pages with a
 * tie-breaker (many containers share a created_at millisecond during a scale-up), compare-and-set
 * ledger updates, and stats samples.
 */
export class ContainersStore {
  constructor(private readonly db: Db) {}

  /** The names of a service's containers on one cluster: a subquery for `?cluster=` filters. */
  private namesOn(serviceId: string, cluster: string) {
    return this.db
      .selectFrom('containers')
      .select('name')
      .where('service_id', '=', serviceId)
      .where('cluster', '=', cluster);
  }

  findActive(serviceId: string, name: string): Promise<ContainerRow | undefined> {
    return this.db
      .selectFrom('containers')
      .selectAll()
      .where('service_id', '=', serviceId)
      .where('name', '=', name)
      .where('state', 'in', [...activeStates])
      .executeTakeFirst();
  }

  /** The ledger newest first; `since` keeps containers still alive at or after it. */
  ledgerPage(
    serviceId: string,
    opts: { ip?: string; cluster?: string; since?: string; until?: string; after?: Position; limit: number },
  ): Promise<ContainerRow[]> {
    let q = this.db.selectFrom('containers').selectAll().where('service_id', '=', serviceId);
    if (opts.ip) q = q.where('ip', '=', opts.ip);
    if (opts.cluster) q = q.where('cluster', '=', opts.cluster);
    const since = opts.since;
    if (since) q = q.where((eb) => eb.or([eb('stopped_at', 'is', null), eb('stopped_at', '>=', since)]));
    if (opts.until) q = q.where('created_at', '<=', opts.until);
    const after = opts.after;
    if (after) {
      q = q.where((eb) =>
        eb.or([
          eb('created_at', '<', after.at),
          eb.and([eb('created_at', '=', after.at), eb('name', '<', after.name)]),
        ]),
      );
    }
    return q
      .orderBy('created_at', 'desc')
      .orderBy('name', 'desc')
      .limit(opts.limit + 1)
      .execute();
  }

  /**
   * Events of a service newest first (or, with `after`, oldest first after it), like
   * ServicesRepository.events; `cluster` keeps the events that name a container of that cluster.
   */
  events(
    serviceId: string,
    opts: {
      container?: string;
      type?: string;
      cluster?: string;
      before?: string;
      after?: string;
      limit: number;
    },
  ): Promise<Array<Selectable<EventsTable>>> {
    let q = this.db.selectFrom('events').selectAll().where('service_id', '=', serviceId);
    if (opts.container) q = q.where('container', '=', opts.container);
    if (opts.type) q = q.where('type', '=', opts.type);
    if (opts.cluster) q = q.where('container', 'in', this.namesOn(serviceId, opts.cluster));
    if (opts.before) q = q.where('id', '<', opts.before);
    if (opts.after) return q.where('id', '>', opts.after).orderBy('id').limit(opts.limit).execute();
    return q
      .orderBy('id', 'desc')
      .limit(opts.limit + 1)
      .execute();
  }

  /** The cluster of each named container of a service (the ledger keeps every container ever). */
  async clustersOf(serviceId: string, names: string[]): Promise<Map<string, string>> {
    const unique = [...new Set(names)];
    const out = new Map<string, string>();
    for (let i = 0; i < unique.length; i += 500) {
      const rows = await this.db
        .selectFrom('containers')
        .select(['name', 'cluster'])
        .where('service_id', '=', serviceId)
        .where('name', 'in', unique.slice(i, i + 500))
        .execute();
      for (const r of rows) out.set(r.name, r.cluster);
    }
    return out;
  }

  /**
   * Applies a patch only while the row is still in `state`, so a user action never overwrites a
   * transition the controller made in between. Returns false when the row had moved on.
   */
  async updateIfState(name: string, state: string, patch: Updateable<ContainersTable>): Promise<boolean> {
    const res = await this.db
      .updateTable('containers')
      .set(patch)
      .where('name', '=', name)
      .where('state', '=', state)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async insertSamples(rows: StatsRow[]): Promise<void> {
    // 11 columns × 200 rows stays far below SQLite's bound-parameter limit.
    for (let i = 0; i < rows.length; i += 200) {
      await this.db
        .insertInto('stats_samples')
        .values(rows.slice(i, i + 200))
        .execute();
    }
  }

  async deleteSamplesBefore(cutoff: string): Promise<number> {
    const res = await this.db.deleteFrom('stats_samples').where('at', '<', cutoff).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  /** Samples of one service oldest first, in keyset pages on (at, container). */
  samples(
    serviceId: string,
    opts: {
      container?: string;
      cluster?: string;
      since: string;
      until?: string;
      after?: Position;
      limit: number;
    },
  ): Promise<StatsRow[]> {
    let q = this.db
      .selectFrom('stats_samples')
      .selectAll()
      .where('service_id', '=', serviceId)
      .where('at', '>=', opts.since);
    if (opts.container) q = q.where('container', '=', opts.container);
    if (opts.cluster) q = q.where('container', 'in', this.namesOn(serviceId, opts.cluster));
    if (opts.until) q = q.where('at', '<=', opts.until);
    const after = opts.after;
    if (after) {
      q = q.where((eb) =>
        eb.or([eb('at', '>', after.at), eb.and([eb('at', '=', after.at), eb('container', '>', after.name)])]),
      );
    }
    return q
      .orderBy('at')
      .orderBy('container')
      .limit(opts.limit + 1)
      .execute();
  }

  /** The newest sample of every container sampled since `since`. */
  async latestSamples(since: string): Promise<StatsRow[]> {
    const rows = await this.db
      .selectFrom('stats_samples')
      .selectAll()
      .where('at', '>=', since)
      .orderBy('at')
      .execute();
    const byContainer = new Map<string, StatsRow>();
    for (const row of rows) byContainer.set(row.container, row);
    return [...byContainer.values()];
  }

  /** Active containers with the labels /metrics needs. */
  activeWithService(): Promise<Array<Pick<ContainerRow, 'name' | 'service_id' | 'release' | 'cluster'>>> {
    return this.db
      .selectFrom('containers')
      .select(['name', 'service_id', 'release', 'cluster'])
      .where('state', 'in', [...activeStates])
      .execute();
  }
}
