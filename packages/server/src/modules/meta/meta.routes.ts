import { sql } from 'kysely';
import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import { apiVersion } from '../../http/app';

/** Health and version: public, so load balancers and `berth up` can poll them. */
export function registerMetaRoutes(registry: RouteRegistry, ctx: AppContext): void {
  registry.add({
    id: 'meta.health',
    method: 'GET',
    url: '/api/health',
    summary: 'Liveness and store health',
    tags: ['meta'],
    access: 'public',
    response: { status: 200, description: 'Healthy' },
    async handler() {
      const started = Date.now();
      await sql`select 1`.execute(ctx.db);
      return {
        status: 'ok',
        version: apiVersion,
        store: { dialect: ctx.dialect, latencyMs: Date.now() - started },
      };
    },
  });
}
