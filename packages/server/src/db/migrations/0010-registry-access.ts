import type { Kysely } from 'kysely';

/**
 * Who may use which registry: assignments of registries to teams or projects, and repositories a
 * platform admin marked public. `local-store` names Podman's local image store (`localhost/…`);
 * the two sample images `npm start` builds are public from the start.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('registry_assignments')
    .addColumn('registry', 'text', (c) => c.notNull())
    .addColumn('owner_kind', 'text', (c) => c.notNull())
    .addColumn('owner_name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('registry_assignments_pk', ['registry', 'owner_kind', 'owner_name'])
    .execute();
  await db.schema
    .createTable('registry_public_repositories')
    .addColumn('registry', 'text', (c) => c.notNull())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('registry_public_repositories_pk', ['registry', 'repository'])
    .execute();
  const now = new Date().toISOString();
  await (db as Kysely<{ registry_public_repositories: Record<string, string> }>)
    .insertInto('registry_public_repositories')
    .values(
      ['berth-busybox', 'berth-node'].map((repository) => ({
        registry: 'local-store',
        repository,
        created_at: now,
        created_by: 'system',
      })),
    )
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('registry_public_repositories').execute();
  await db.schema.dropTable('registry_assignments').execute();
}
