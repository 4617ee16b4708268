import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';

/** An environment as listed by GET /envs. */
export interface EnvironmentItem {
  name: string;
  displayName: string;
  /** The clusters the env's services may run on (issue 11); GET/PATCH /envs/{name} are in clusters. */
  clusters: string[];
  failover: { graceSeconds: number };
  createdAt: string;
}

function clustersOf(json: string): string[] {
  try {
    const parsed: unknown = JSON.parse(json);
    if (Array.isArray(parsed)) return parsed.filter((c): c is string => typeof c === 'string');
  } catch {
    // fall through
  }
  return ['local'];
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
        clusters: clustersOf(r.clusters),
        failover: { graceSeconds: r.failover_grace_seconds },
        createdAt: r.created_at,
      }));
      return { items, nextCursor: null };
    },
  });
}
