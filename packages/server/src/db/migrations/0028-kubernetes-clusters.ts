import type { Kysely } from 'kysely';

/**
 * Clusters of kind `kubernetes` (issue 14, docs/kubernetes-install.md): how Berth's gateways reach
 * their pods (`exposure`: `pod-ip` or `node-port`; null for podman clusters), the gateway
 * addresses their namespaces' NetworkPolicies let in (`gateway_cidrs`, a JSON array; null: none),
 * and the engine version the last health check read (`engine_version`, e.g. the API server's
 * gitVersion). The kubeconfig is sealed into the existing `credentials_sealed` like ssh keys.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clusters').addColumn('exposure', 'text').execute();
  await db.schema.alterTable('clusters').addColumn('gateway_cidrs', 'text').execute();
  await db.schema.alterTable('clusters').addColumn('engine_version', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clusters').dropColumn('engine_version').execute();
  await db.schema.alterTable('clusters').dropColumn('gateway_cidrs').execute();
  await db.schema.alterTable('clusters').dropColumn('exposure').execute();
}
