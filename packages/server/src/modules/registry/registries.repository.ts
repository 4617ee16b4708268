import type { Kysely } from 'kysely';
import type { Db } from '../../db/database';

/** A row of the `registries` table (migration 0003). */
export interface RegistryRow {
  id: string;
  name: string;
  display_name: string;
  kind: 'embedded' | 'external';
  url: string;
  host: string;
  username: string | null;
  /** AES-GCM sealed password or token (crypto/secret-box); never plaintext. */
  password_sealed: string | null;
  created_at: string;
  updated_at: string;
  created_by: string;
  version: number;
}

type RegistryDb = Kysely<{ registries: RegistryRow }>;

/** Store access of the registry module; its table is typed here, outside the core schema. */
export class RegistriesRepository {
  private readonly db: RegistryDb;
  constructor(db: Db) {
    this.db = db.withTables<{ registries: RegistryRow }>() as unknown as RegistryDb;
  }

  list(after: string | undefined, limit: number): Promise<RegistryRow[]> {
    let q = this.db
      .selectFrom('registries')
      .selectAll()
      .orderBy('name')
      .limit(limit + 1);
    if (after !== undefined) q = q.where('name', '>', after);
    return q.execute();
  }

  async find(name: string): Promise<RegistryRow | null> {
    const row = await this.db
      .selectFrom('registries')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row ?? null;
  }

  async findByHost(host: string): Promise<RegistryRow | null> {
    const row = await this.db
      .selectFrom('registries')
      .selectAll()
      .where('host', '=', host)
      .orderBy('kind')
      .orderBy('name')
      .limit(1)
      .executeTakeFirst();
    return row ?? null;
  }

  async insert(row: RegistryRow): Promise<void> {
    await this.db.insertInto('registries').values(row).execute();
  }

  /** Updates when the stored version is still `version`; false when someone changed it first. */
  async updateIf(id: string, version: number, patch: Partial<RegistryRow>): Promise<boolean> {
    const res = await this.db
      .updateTable('registries')
      .set({ ...patch, version: version + 1 })
      .where('id', '=', id)
      .where('version', '=', version)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async remove(id: string): Promise<void> {
    await this.db.deleteFrom('registries').where('id', '=', id).execute();
  }
}
