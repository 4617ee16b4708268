import type { Kysely } from 'kysely';

/*
 * Where each agent node's metrics listener is (`metricsAddress` of its last report), in the store:
 * the backend fence keeps routes, probes and alert channels from every node's listener, and with
 * several Berth servers a node reports to one of them — the Prometheus target files each server
 * keeps of its own reporters (gateway-node-targets.ts) left the other servers' fences without it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('gateway_nodes').addColumn('metrics_address', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('gateway_nodes').dropColumn('metrics_address').execute();
}
