import type { Db } from '../../packages/server/src/db/database.ts';

const statuses = ['healthy', 'healthy', 'healthy', 'progressing', 'degraded', 'stopped'];

/**
 * Inserts `count` services (each with release 1, no containers) straight into the store, 500 rows
 * per statement: how the 10,000-service list is measured without running 10,000 containers.
 * The controllers must be off, or they would try to run them. Returns the milliseconds it took.
 */
export async function seedServices(db: Db, project: string, env: string, count: number): Promise<number> {
  const started = Date.now();
  const now = new Date().toISOString();
  const spec = JSON.stringify({
    image: 'localhost/berth-busybox:1',
    env: [],
    ports: [{ containerPort: 8080, protocol: 'tcp' }],
    resources: {},
    labels: {},
    runAsRoot: false,
    rollout: {
      maxSurge: 1,
      maxUnavailable: 0,
      progressDeadlineSeconds: 120,
      drainSeconds: 2,
      stopGraceSeconds: 10,
    },
  });
  for (let i = 0; i < count; i += 500) {
    const rows = Array.from({ length: Math.min(500, count - i) }, (_, j) => {
      const n = i + j;
      return {
        id: `seed${project}${String(n).padStart(6, '0')}`,
        project,
        env,
        name: `svc-${String(n).padStart(5, '0')}`,
        display_name: `svc-${String(n).padStart(5, '0')}`,
        replicas: 2,
        stopped: 0,
        release: 1,
        stable_release: 1,
        status: statuses[n % statuses.length]!,
        ready_replicas: n % 3 === 0 ? 1 : 2,
        message: null,
        generation: 1,
        rollout_task: null,
        rollout_started_at: null,
        restart_nonce: 0,
        deleting: 0,
        created_at: now,
        updated_at: now,
        created_by: 'admin',
        updated_by: 'admin',
        version: 1,
      };
    });
    await db.insertInto('services').values(rows).execute();
    await db
      .insertInto('releases')
      .values(
        rows.map((r) => ({
          service_id: r.id,
          number: 1,
          spec,
          image_digest: null,
          reason: null,
          state: 'succeeded',
          created_at: now,
          created_by: 'admin',
        })),
      )
      .execute();
  }
  return Date.now() - started;
}
