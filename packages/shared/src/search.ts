import { z } from 'zod';

/**
 * Global search (GET /api/v1/search): services and containers the caller may read, found by a
 * prefix of their name, image, IP or container id.
 */
export const searchQuerySchema = z
  .object({
    q: z
      .string()
      .trim()
      .min(1, 'must not be empty: type the start of a name, image, IP or container id')
      .max(200, 'must be at most 200 characters'),
    limit: z.coerce.number().int().min(1).max(50).default(20),
  })
  .strict();

/** Which field of the hit starts with the query. */
export type SearchMatch = 'name' | 'image' | 'ip' | 'id';

export interface ServiceSearchHit {
  kind: 'service';
  project: string;
  env: string;
  service: string;
  displayName: string;
  status: string;
  match: SearchMatch;
  /** The matched value (the image reference when matched by image). */
  value: string;
}

export interface ContainerSearchHit {
  kind: 'container';
  project: string;
  env: string;
  service: string;
  container: string;
  state: string;
  ip: string | null;
  match: SearchMatch;
  value: string;
}

export type SearchHit = ServiceSearchHit | ContainerSearchHit;

export interface SearchResult {
  items: SearchHit[];
}

export const tokenLoginRequestSchema = z.object({ token: z.string().min(1).max(200) }).strict();
