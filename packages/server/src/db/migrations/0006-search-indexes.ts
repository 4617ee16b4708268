import { PostgresAdapter, sql, type Kysely } from 'kysely';

/** Columns global search (modules/search) matches by prefix. */
const searched: Array<[table: string, column: string]> = [
  ['services', 'name'],
  ['containers', 'name'],
  ['containers', 'engine_id'],
  ['containers', 'ip'],
  ['containers', 'image'],
];

/**
 * Indexes for prefix search: `col >= 'q' AND col < 'q\u{10FFFF}'` is a range scan when the index
 * orders bytes as the query compares them. SQLite compares with BINARY by default; on PostgreSQL
 * the database collation may be a language one, so the index (and the query) say COLLATE "C".
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // The adapter is the one place Kysely exposes the dialect to a migration.
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  for (const [table, column] of searched) {
    const index = db.schema.createIndex(`${table}_${column}_search_idx`).on(table);
    await (postgres ? index.expression(sql`${sql.ref(column)} collate "C"`) : index.column(column)).execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const [table, column] of searched)
    await db.schema.dropIndex(`${table}_${column}_search_idx`).execute();
}
