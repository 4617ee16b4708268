import { searchQuerySchema } from '@berth/shared';
import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import { SearchRepository } from './search.repository';
import { SearchService } from './search.service';

/** GET /api/v1/search: the portal header's global search. */
export function registerSearchRoutes(registry: RouteRegistry, ctx: AppContext): void {
  const search = new SearchService(new SearchRepository(ctx.db, ctx.dialect), ctx.auth);
  registry.add({
    id: 'search.query',
    method: 'GET',
    url: '/api/v1/search',
    summary:
      'Services and live containers you may read whose name, image, IP or container id starts with q (case-insensitive except images)',
    tags: ['search'],
    // Filtered to the projects the caller may read, so every signed-in user may ask.
    access: 'authenticated',
    query: searchQuerySchema,
    response: { status: 200, description: '{ items: SearchHit[] }, at most `limit` (default 20, max 50)' },
    handler: async ({ actor, query }) => ({ items: await search.search(actor, query.q, query.limit) }),
  });
}
