import { z } from 'zod';
import { nameSchema, quotaRequestSchema } from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import type { Quotas } from './quotas';

const params = z.object({ project: nameSchema }).strict();

/** GET/PUT /api/v1/projects/{project}/quota. */
export function registerQuotaRoutes(registry: RouteRegistry, quotas: Quotas): void {
  registry.add({
    id: 'quotas.get',
    method: 'GET',
    url: '/api/v1/projects/:project/quota',
    summary: "A project's quota: limits, per-container defaults, usage and what is left",
    tags: ['quotas'],
    access: { permission: 'projects:read', scope: (p) => ({ kind: 'project', project: p.project }) },
    params,
    handler: ({ params: p }) => quotas.get(p.project),
  });

  registry.add({
    id: 'quotas.set',
    method: 'PUT',
    url: '/api/v1/projects/:project/quota',
    summary: "Replace a project's quota (platform admins); absent or null = unlimited",
    tags: ['quotas'],
    access: { permission: 'platform:admin', scope: () => ({ kind: 'platform' }) },
    params,
    body: quotaRequestSchema,
    target: { kind: 'quota', name: (p) => p.project },
    handler: ({ params: p, body, actor }) => quotas.set(p.project, body, actor.name),
  });
}
