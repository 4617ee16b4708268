import type { Kysely } from 'kysely';

/**
 * The namespace prefix of a kubernetes cluster (issue 14, docs/kubernetes-objects.md): its
 * namespaces are `<prefix>-<project>-<env>-<hash>`, so two Berth clusters registered on one API
 * server (namespaces-as-clusters) keep apart. Null (every existing cluster, and podman ones): no
 * prefix — the names clusters had before this column.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clusters').addColumn('namespace_prefix', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clusters').dropColumn('namespace_prefix').execute();
}
