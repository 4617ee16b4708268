import assert from 'node:assert/strict';
import type { TestApi } from '../../packages/server/test/helpers/platform.ts';

/**
 * Asserts that every `METHOD /api/…` route a portal feature calls is in the served OpenAPI
 * document, so the portal never depends on an undocumented path.
 */
export async function assertRoutesDocumented(api: TestApi, routes: string[]): Promise<void> {
  assert.ok(routes.length > 0, 'no routes given');
  const doc = await api.get<{ paths: Record<string, Record<string, unknown>> }>('/api/openapi.json');
  for (const route of routes) {
    const [method, template] = route.split(' ') as [string, string];
    assert.ok(doc.body.paths[template]?.[method.toLowerCase()], `${route} is not in /api/openapi.json`);
  }
}
