import {
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  type Migration,
  type MigrationProvider,
} from 'kysely';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import type { Database } from './schema';
import * as m0001 from './migrations/0001-initial';
import * as m0002 from './migrations/0002-gateways';
import * as m0003 from './migrations/0003-registries';
import * as m0004 from './migrations/0004-codeflow';
import * as m0005 from './migrations/0005-gateway-nodes';
import * as m0006 from './migrations/0006-search-indexes';
import * as m0007 from './migrations/0007-domains-networks';
import * as m0008 from './migrations/0008-certificates';
import * as m0009 from './migrations/0009-quotas';
import * as m0010 from './migrations/0010-registry-access';
import * as m0012 from './migrations/0012-drain-confirmation';
import * as m0013 from './migrations/0013-clusters';
import * as m0014 from './migrations/0014-fleet';
import * as m0015 from './migrations/0015-cluster-addresses';
import * as m0016 from './migrations/0016-placement-moves';
import * as m0017 from './migrations/0017-cluster-registry-check';
import * as m0019 from './migrations/0019-entry-points';
import * as m0020 from './migrations/0020-gateway-vip';
import * as m0021 from './migrations/0021-entry-point-snapshots';
import * as m0022 from './migrations/0022-configs';
import * as m0023 from './migrations/0023-volumes';
import * as m0024 from './migrations/0024-cronjobs';
import * as m0026 from './migrations/0026-debug-sessions';
import * as m0027 from './migrations/0027-gateway-vip-snapshots';
import * as m0028 from './migrations/0028-kubernetes-clusters';
import * as m0029 from './migrations/0029-cluster-namespace-prefix';
import * as m0030 from './migrations/0030-alert-rules';
import * as m0031 from './migrations/0031-alerts';
import * as m0032 from './migrations/0032-autoscale';
import * as m0033 from './migrations/0033-kubernetes-events';
import * as m0034 from './migrations/0034-probes';
import * as m0035 from './migrations/0035-app-instances';
import * as m0036 from './migrations/0036-app-upgrades';
import * as m0037 from './migrations/0037-gateway-node-metrics';

export type Db = Kysely<Database>;
export type Dialect = 'sqlite' | 'postgres';

export interface OpenedDb {
  db: Db;
  dialect: Dialect;
  close(): Promise<void>;
}

/** Opens the store: PostgreSQL for a postgres:// URL, otherwise a SQLite file path. */
export function openDatabase(url: string): OpenedDb {
  if (/^postgres(ql)?:\/\//.test(url)) {
    // bigint columns (byte counters) fit in a double; keep them numbers on both dialects.
    pg.types.setTypeParser(20, (v) => Number(v));
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    // An idle client whose connection the server ended (a restart, a failover, an admin's
    // pg_terminate_backend) emits 'error' on the pool; unhandled, that would crash Berth. The pool
    // drops that client and the next query opens a new connection, so there is nothing else to do.
    pool.on('error', () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', close: () => db.destroy() };
  }
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-gateways': m0002,
  '0003-registries': m0003,
  '0004-codeflow': m0004,
  '0005-gateway-nodes': m0005,
  '0006-search-indexes': m0006,
  '0007-domains-networks': m0007,
  '0008-certificates': m0008,
  '0009-quotas': m0009,
  '0010-registry-access': m0010,
  '0012-drain-confirmation': m0012,
  '0013-clusters': m0013,
  '0014-fleet': m0014,
  '0015-cluster-addresses': m0015,
  '0016-placement-moves': m0016,
  '0017-cluster-registry-check': m0017,
  '0019-entry-points': m0019,
  '0020-gateway-vip': m0020,
  '0021-entry-point-snapshots': m0021,
  '0022-configs': m0022,
  '0023-volumes': m0023,
  '0024-cronjobs': m0024,
  '0026-debug-sessions': m0026,
  '0027-gateway-vip-snapshots': m0027,
  '0028-kubernetes-clusters': m0028,
  '0029-cluster-namespace-prefix': m0029,
  '0030-alert-rules': m0030,
  '0031-alerts': m0031,
  '0032-autoscale': m0032,
  '0033-kubernetes-events': m0033,
  '0034-probes': m0034,
  '0035-app-instances': m0035,
  '0036-app-upgrades': m0036,
  '0037-gateway-node-metrics': m0037,
};

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations) };

/** Applies every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider,
    // Migrations are written on parallel branches; one that lands with a lower number than one a
    // store already applied must still run there.
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(
      `database migration ${failed} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
