import type { Kysely } from 'kysely';

/*
 * Alert channels, alert history and deliveries (docs/alerts.md, "Channels and alerts").
 * A delivery is one notification to one channel; its attempts are rows of their own. Pending
 * deliveries and their next attempt time live here, so a retry survives a restart of Berth.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('alert_channels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('rate_limit_per_minute', 'integer', (c) => c.notNull())
    // JSON of the settings that are not secret
    .addColumn('settings', 'text', (c) => c.notNull())
    // JSON of the secrets (url, secret, password), each sealed with the SecretBox
    .addColumn('secrets', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('alert_channels_path')
    .on('alert_channels')
    .columns(['project', 'name'])
    .unique()
    .execute();
  await db.schema
    .createTable('alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('rule_name', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('labels', 'text', (c) => c.notNull())
    .addColumn('annotations', 'text', (c) => c.notNull())
    .addColumn('starts_at', 'text', (c) => c.notNull())
    .addColumn('ends_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // one row per firing of an alert: Alertmanager's fingerprint and the time it started
  await db.schema
    .createIndex('alerts_firing')
    .on('alerts')
    .columns(['project', 'fingerprint', 'starts_at'])
    .unique()
    .execute();
  await db.schema
    .createIndex('alerts_project_updated')
    .on('alerts')
    .columns(['project', 'updated_at'])
    .execute();
  await db.schema
    .createTable('alert_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    // JSON of the message (title, text, alerts) rendered for the channel at send time
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'text')
    // a sender holds a delivery until then; one that died while sending lets it go
    .addColumn('claimed_until', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema
    .createIndex('alert_deliveries_due')
    .on('alert_deliveries')
    .columns(['state', 'next_attempt_at'])
    .execute();
  await db.schema
    .createIndex('alert_deliveries_channel')
    .on('alert_deliveries')
    .columns(['channel_id', 'created_at'])
    .execute();
  await db.schema
    .createTable('alert_delivery_alerts')
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('alert_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('alert_delivery_alerts_pk', ['delivery_id', 'alert_id'])
    .execute();
  await db.schema
    .createIndex('alert_delivery_alerts_alert')
    .on('alert_delivery_alerts')
    .columns(['alert_id'])
    .execute();
  await db.schema
    .createTable('alert_delivery_attempts')
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('ok', 'integer', (c) => c.notNull())
    .addColumn('code', 'integer')
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('alert_delivery_attempts_pk', ['delivery_id', 'number'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'alert_delivery_attempts',
    'alert_delivery_alerts',
    'alert_deliveries',
    'alerts',
    'alert_channels',
  ])
    await db.schema.dropTable(t).execute();
}
