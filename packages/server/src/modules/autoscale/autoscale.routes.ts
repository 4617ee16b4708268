import { z } from 'zod';
import { autoscaleRequestSchema } from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import { projectScope, serviceParams } from '../services/service-params';
import type { AutoscaleService } from './autoscale.service';

const base = '/api/v1/projects/:project/envs/:env/services/:service/autoscale';

/** Autoscaling of a service: its settings and state, and its decision log. */
export function registerAutoscaleRoutes(registry: RouteRegistry, svc: AutoscaleService): void {
  registry.add({
    id: 'services.autoscale.get',
    method: 'GET',
    url: base,
    summary:
      "A service's autoscaling: settings (null when off), current and desired replicas, the last decision and why it holds",
    tags: ['services'],
    access: { permission: 'services:read', scope: projectScope },
    params: serviceParams,
    handler: ({ params }) => svc.state(params),
  });

  registry.add({
    id: 'services.autoscale.put',
    method: 'PUT',
    url: base,
    summary:
      'Set the autoscaling of a service ({"autoscale": {min, max, metric, target, intervalSeconds, behavior}}), or turn it off ({"autoscale": null}); a PromQL metric needs a platform admin',
    tags: ['services'],
    access: { permission: 'services:write', scope: projectScope },
    params: serviceParams,
    body: autoscaleRequestSchema,
    target: { kind: 'service' },
    handler: ({ params, body, actor }) => svc.put(params, body.autoscale, actor),
  });

  registry.add({
    id: 'services.autoscale.decisions',
    method: 'GET',
    url: `${base}/decisions`,
    summary:
      "The autoscaler's decisions for a service, oldest first: inputs, formula, raw and stabilised recommendation, bound, result and reason (kept 24 h)",
    tags: ['services'],
    access: { permission: 'services:read', scope: projectScope },
    params: serviceParams,
    query: z
      .object({
        since: z
          .string()
          .datetime({ offset: true, message: 'must be an RFC 3339 time such as 2026-12-07T10:00:00Z' })
          .optional(),
        limit: z.coerce.number().int().min(1).max(2000).default(200),
      })
      .strict(),
    handler: async ({ params, query }) => ({
      items: await svc.decisions(params, {
        ...(query.since ? { since: new Date(query.since).toISOString() } : {}),
        limit: query.limit,
      }),
    }),
  });
}
