import { canaryRelease, type Canary, type RouteSpec } from '@berth/shared';
import type { Db } from '../../db/database';

/**
 * The releases each service must run as canaries, read from the routes (the gateway module owns
 * them): `project/env/service` → release → containers. The service controller calls it once per
 * pass; only routes with a canary are read.
 */
export async function wantedCanaries(db: Db): Promise<Map<string, Map<number, number>>> {
  const rows = await db
    .selectFrom('gateway_routes')
    .select(['project', 'env', 'spec', 'canary'])
    .where('canary', 'is not', null)
    .execute();
  const out = new Map<string, Map<number, number>>();
  for (const r of rows) {
    const canary = JSON.parse(r.canary!) as Canary;
    const release = canaryRelease(canary);
    const service = (JSON.parse(r.spec) as RouteSpec).backends.service?.name;
    if (release === null || !service) continue;
    const key = `${r.project}/${r.env}/${service}`;
    const releases = out.get(key) ?? new Map<number, number>();
    const replicas = 'release' in canary.to ? (canary.to.replicas ?? 1) : 1;
    releases.set(release, Math.max(releases.get(release) ?? 0, replicas));
    out.set(key, releases);
  }
  return out;
}
