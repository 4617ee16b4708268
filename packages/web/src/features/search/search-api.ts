import type { SearchHit, SearchResult } from '@berth/shared';
import { api } from '../../api/client';

/** The search API path the header calls (checked against /api/openapi.json by the e2e test). */
export const searchApiRoutes = { search: 'GET /api/v1/search' } as const;

export const searchAll = (q: string, signal?: AbortSignal) =>
  api<SearchResult>('/api/v1/search', { query: { q, limit: 12 }, signal });

/** Where a hit leads: the service's overview, or its containers tab for a container. */
export function hitHref(hit: SearchHit): string {
  const base = `/p/${encodeURIComponent(hit.project)}/${encodeURIComponent(hit.env)}/s/${encodeURIComponent(hit.service)}`;
  return hit.kind === 'service' ? `${base}/overview` : `${base}/containers`;
}

export function hitKey(hit: SearchHit): string {
  return hit.kind === 'service'
    ? `s:${hit.project}/${hit.env}/${hit.service}`
    : `c:${hit.project}/${hit.env}/${hit.service}/${hit.container}`;
}
