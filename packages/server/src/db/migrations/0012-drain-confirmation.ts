import type { Kysely } from 'kysely';

/**
 * Zero loss by confirmation: a draining container remembers when it left rotation, how long its
 * drain period is, the first gateway revision without it per gateway (`drain_gates`, JSON
 * `{gatewayId: revision}`) and when every gateway node confirmed (or the bound was hit). The
 * drain period counts from `removed_from_gateways_at`, so a restart (even kill -9) resumes it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('containers').addColumn('left_rotation_at', 'text').execute();
  await db.schema.alterTable('containers').addColumn('drain_seconds', 'integer').execute();
  await db.schema.alterTable('containers').addColumn('drain_gates', 'text').execute();
  await db.schema.alterTable('containers').addColumn('removed_from_gateways_at', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const c of ['removed_from_gateways_at', 'drain_gates', 'drain_seconds', 'left_rotation_at'])
    await db.schema.alterTable('containers').dropColumn(c).execute();
}
