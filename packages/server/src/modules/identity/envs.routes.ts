import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';

/** An environment as listed by GET /envs. */
export interface EnvironmentItem {
  name: string;
  displayName: string;
  createdAt: string;
}

/** GET /envs: the configured environments (test, prod, …), readable by every signed-in user. */
export function registerEnvRoutes(registry: RouteRegistry, ctx: AppContext): void {
  registry.add({
    id: 'envs.list',
    method: 'GET',
    url: '/api/v1/envs',
    summary: 'List environments',
    tags: ['envs'],
    access: 'authenticated',
    response: { status: 200, description: 'Environments in configured order' },
    async handler() {
      const rows = await ctx.db.selectFrom('environments').selectAll().execute();
      const order = (name: string) => {
        const i = ctx.config.environments.indexOf(name);
        return i < 0 ? Number.MAX_SAFE_INTEGER : i;
      };
      rows.sort((a, b) => order(a.name) - order(b.name) || a.name.localeCompare(b.name));
      const items: EnvironmentItem[] = rows.map((r) => ({
        name: r.name,
        displayName: r.display_name,
        createdAt: r.created_at,
      }));
      return { items, nextCursor: null };
    },
  });
}
