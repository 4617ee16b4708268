import { z } from 'zod';
import { nameSchema, probeCreateSchema, probeUpdateSchema, probeUptimeRangeSchema } from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import type { ProbesService } from './probes.service';

const envParams = z.object({ project: nameSchema, env: nameSchema }).strict();
const probeParams = envParams.extend({ probe: nameSchema }).strict();
const uptimeQuery = z.object({ range: probeUptimeRangeSchema.default('24h') }).strict();
const projectScope = (p: { project: string }) => ({ kind: 'project' as const, project: p.project });

/** /api/v1/projects/{project}/envs/{env}/probes (docs/probes.md). */
export function registerProbeRoutes(registry: RouteRegistry, probes: ProbesService): void {
  const base = '/api/v1/projects/:project/envs/:env/probes';
  const read = { permission: 'services:read' as const, scope: projectScope };
  const write = { permission: 'services:write' as const, scope: projectScope };
  const tags = ['probes'];

  registry.add({
    id: 'probes.list',
    method: 'GET',
    url: base,
    summary: "An environment's probes, each with up/down now and its uptime over 24 h",
    tags,
    access: read,
    params: envParams,
    handler: async ({ params }) => ({
      items: await probes.list(params.project, params.env),
      nextCursor: null,
    }),
  });

  registry.add({
    id: 'probes.create',
    method: 'POST',
    url: base,
    summary:
      'Create an HTTP(S) or TCP probe of a target the project owns (optionally with its alert rule); the blackbox exporter checks it (422 with its message) and reloads',
    tags,
    access: write,
    params: envParams,
    body: probeCreateSchema,
    response: {
      status: 201,
      description: 'The probe and whether the blackbox exporter and Prometheus reloaded',
    },
    target: { kind: 'probe', name: (p, b) => `${p.project}/${p.env}/${b.name}` },
    handler: async ({ params, body, actor }) => ({
      status: 201,
      body: await probes.create(params.project, params.env, body, actor),
    }),
  });

  registry.add({
    id: 'probes.get',
    method: 'GET',
    url: `${base}/:probe`,
    summary: 'A probe',
    tags,
    access: read,
    params: probeParams,
    handler: ({ params }) => probes.get(params.project, params.env, params.probe),
  });

  registry.add({
    id: 'probes.uptime',
    method: 'GET',
    url: `${base}/:probe/uptime`,
    summary:
      "A probe's uptime over a range, with success and latency series from Prometheus (503 when monitoring is off)",
    tags,
    access: read,
    params: probeParams,
    query: uptimeQuery,
    handler: ({ params, query }) => probes.uptime(params.project, params.env, params.probe, query.range),
  });

  registry.add({
    id: 'probes.update',
    method: 'PUT',
    url: `${base}/:probe`,
    summary: 'Replace a probe (its name and alert rule stay)',
    tags,
    access: write,
    params: probeParams,
    body: probeUpdateSchema,
    target: { kind: 'probe', name: (p) => `${p.project}/${p.env}/${p.probe}` },
    handler: ({ params, body, actor }) =>
      probes.update(params.project, params.env, params.probe, body, actor),
  });

  registry.add({
    id: 'probes.delete',
    method: 'DELETE',
    url: `${base}/:probe`,
    summary: 'Delete a probe and the alert rule made with it',
    tags,
    access: write,
    params: probeParams,
    target: { kind: 'probe', name: (p) => `${p.project}/${p.env}/${p.probe}` },
    handler: ({ params, actor }) => probes.remove(params.project, params.env, params.probe, actor),
  });
}
