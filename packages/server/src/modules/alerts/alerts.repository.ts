import type { Selectable } from 'kysely';
import type { Db } from '../../db/database';
import type {
  AlertChannelsTable,
  AlertDeliveriesTable,
  AlertDeliveryAttemptsTable,
  AlertsTable,
} from '../../db/schema';

export type ChannelRow = Selectable<AlertChannelsTable>;
export type AlertRow = Selectable<AlertsTable>;
export type DeliveryRow = Selectable<AlertDeliveriesTable>;
export type AttemptRow = Selectable<AlertDeliveryAttemptsTable>;

/** The tables of alert channels, alert history and deliveries (migration 0031). */
export class AlertsRepository {
  constructor(readonly db: Db) {}

  listChannels(project: string): Promise<ChannelRow[]> {
    return this.db
      .selectFrom('alert_channels')
      .selectAll()
      .where('project', '=', project)
      .orderBy('name')
      .execute();
  }

  getChannel(project: string, name: string): Promise<ChannelRow | undefined> {
    return this.db
      .selectFrom('alert_channels')
      .selectAll()
      .where('project', '=', project)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  getChannelById(id: string): Promise<ChannelRow | undefined> {
    return this.db.selectFrom('alert_channels').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async insertChannel(row: ChannelRow): Promise<void> {
    await this.db.insertInto('alert_channels').values(row).execute();
  }

  async updateChannel(
    id: string,
    patch: Pick<
      ChannelRow,
      'description' | 'rate_limit_per_minute' | 'settings' | 'secrets' | 'updated_at' | 'updated_by'
    >,
  ): Promise<void> {
    await this.db.updateTable('alert_channels').set(patch).where('id', '=', id).execute();
  }

  async deleteChannel(id: string): Promise<void> {
    await this.db.deleteFrom('alert_channels').where('id', '=', id).execute();
  }

  /** Upserts an alert by (project, fingerprint, startsAt); returns its id. */
  async upsertAlert(row: AlertRow): Promise<string> {
    const found = await this.db
      .selectFrom('alerts')
      .select(['id', 'state'])
      .where('project', '=', row.project)
      .where('fingerprint', '=', row.fingerprint)
      .where('starts_at', '=', row.starts_at)
      .executeTakeFirst();
    if (!found) {
      try {
        await this.db.insertInto('alerts').values(row).execute();
        return row.id;
      } catch {
        // a concurrent notification inserted it: update that one
        return this.upsertAlert(row);
      }
    }
    await this.db
      .updateTable('alerts')
      .set({
        state: row.state,
        ends_at: row.ends_at,
        labels: row.labels,
        annotations: row.annotations,
        updated_at: row.updated_at,
      })
      .where('id', '=', found.id)
      .execute();
    return found.id;
  }

  listAlerts(project: string, state: string | undefined, limit: number): Promise<AlertRow[]> {
    let q = this.db.selectFrom('alerts').selectAll().where('project', '=', project);
    if (state) q = q.where('state', '=', state);
    return q.orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  }

  async insertDelivery(row: DeliveryRow, alertIds: string[]): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('alert_deliveries').values(row).execute();
      if (alertIds.length)
        await tx
          .insertInto('alert_delivery_alerts')
          .values([...new Set(alertIds)].map((alert_id) => ({ delivery_id: row.id, alert_id })))
          .execute();
    });
  }

  getDelivery(id: string): Promise<DeliveryRow | undefined> {
    return this.db.selectFrom('alert_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Deliveries to a channel since a time that count against its rate limit. */
  async countRecent(channelId: string, since: string): Promise<number> {
    const r = await this.db
      .selectFrom('alert_deliveries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('channel_id', '=', channelId)
      .where('reason', '=', 'alert')
      .where('state', '!=', 'rate-limited')
      .where('created_at', '>=', since)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Pending deliveries due now, and sending ones whose sender let go (died). */
  dueDeliveries(now: string, limit: number): Promise<DeliveryRow[]> {
    return this.db
      .selectFrom('alert_deliveries')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb.and([eb('state', '=', 'pending'), eb('next_attempt_at', '<=', now)]),
          eb.and([eb('state', '=', 'sending'), eb('claimed_until', '<', now)]),
        ]),
      )
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute();
  }

  /** The earliest next attempt of a pending delivery, or null. */
  async nextDue(): Promise<string | null> {
    const r = await this.db
      .selectFrom('alert_deliveries')
      .select('next_attempt_at')
      .where('state', '=', 'pending')
      .orderBy('next_attempt_at')
      .limit(1)
      .executeTakeFirst();
    return r?.next_attempt_at ?? null;
  }

  /** Takes a due delivery for one attempt; false when another sender took it first. */
  async claim(row: DeliveryRow, now: string, until: string): Promise<boolean> {
    const r = await this.db
      .updateTable('alert_deliveries')
      .set({ state: 'sending', claimed_until: until })
      .where('id', '=', row.id)
      .where('state', '=', row.state)
      .where('attempts', '=', row.attempts)
      .where((eb) =>
        row.state === 'pending' ? eb('next_attempt_at', '<=', now) : eb('claimed_until', '<', now),
      )
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async recordAttempt(
    attempt: AttemptRow,
    next: Pick<DeliveryRow, 'state' | 'attempts' | 'next_attempt_at' | 'finished_at'>,
  ): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('alert_delivery_attempts').values(attempt).execute();
      await tx
        .updateTable('alert_deliveries')
        .set({ ...next, claimed_until: null })
        .where('id', '=', attempt.delivery_id)
        .execute();
    });
  }

  attemptsOf(ids: string[]): Promise<AttemptRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('alert_delivery_attempts')
      .selectAll()
      .where('delivery_id', 'in', ids)
      .orderBy('delivery_id')
      .orderBy('number')
      .execute();
  }

  /** The deliveries that carried each of these alerts. */
  async deliveriesOfAlerts(alertIds: string[]): Promise<Array<DeliveryRow & { alert_id: string }>> {
    if (alertIds.length === 0) return [];
    return this.db
      .selectFrom('alert_delivery_alerts as l')
      .innerJoin('alert_deliveries as d', 'd.id', 'l.delivery_id')
      .selectAll('d')
      .select('l.alert_id')
      .where('l.alert_id', 'in', alertIds)
      .orderBy('d.created_at')
      .execute();
  }

  listDeliveries(project: string, channelId: string | null, limit: number): Promise<DeliveryRow[]> {
    let q = this.db.selectFrom('alert_deliveries').selectAll().where('project', '=', project);
    if (channelId) q = q.where('channel_id', '=', channelId);
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  }
}
