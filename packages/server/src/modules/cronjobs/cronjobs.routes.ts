import { z } from 'zod';
import { createCronJobSchema, nameSchema, updateCronJobSchema } from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import { envParams, projectScope } from '../services/service-params';
import type { CronJobsService } from './cronjobs.service';

const jobParams = envParams.extend({ cronjob: nameSchema }).strict();
const runParams = jobParams
  .extend({ run: z.string().regex(/^[a-z0-9]{1,40}$/, 'must be a run id') })
  .strict();
const logsQuery = z
  .object({
    attempt: z.coerce.number().int().min(1).optional(),
    format: z.enum(['json', 'text']).default('json'),
  })
  .strict();

const read = { permission: 'services:read' as const, scope: projectScope };
const write = { permission: 'services:write' as const, scope: projectScope };
const base = '/api/v1/projects/:project/envs/:env/cronjobs';
const path = (p: { project: string; env: string; cronjob: string }) => ({
  project: p.project,
  env: p.env,
  name: p.cronjob,
});

/** The cron job routes (docs/cronjobs.md). */
export function registerCronJobRoutes(registry: RouteRegistry, svc: CronJobsService): void {
  registry.add({
    id: 'cronjobs.list',
    method: 'GET',
    url: base,
    summary: "An environment's cron jobs with their next run and last result",
    tags: ['cronjobs'],
    access: read,
    params: envParams,
    handler: async ({ params }) => ({ items: await svc.list(params.project, params.env) }),
  });
  registry.add({
    id: 'cronjobs.create',
    method: 'POST',
    url: base,
    summary: 'Create a cron job',
    tags: ['cronjobs'],
    access: write,
    params: envParams,
    body: createCronJobSchema,
    response: { status: 201, description: 'the cron job' },
    target: { kind: 'cronjob', name: (p, b) => `${p.project}/${p.env}/${b.name}` },
    handler: async ({ params, body, actor }) => ({
      status: 201,
      body: await svc.create(params.project, params.env, body, actor),
    }),
  });
  registry.add({
    id: 'cronjobs.get',
    method: 'GET',
    url: `${base}/:cronjob`,
    summary: 'A cron job',
    tags: ['cronjobs'],
    access: read,
    params: jobParams,
    handler: ({ params }) => svc.get(path(params)),
  });
  registry.add({
    id: 'cronjobs.update',
    method: 'PUT',
    url: `${base}/:cronjob`,
    summary: "Replace a cron job's spec (secrets sent with value null keep their value)",
    tags: ['cronjobs'],
    access: write,
    params: jobParams,
    body: updateCronJobSchema,
    target: { kind: 'cronjob' },
    handler: ({ params, body, actor }) => svc.update(path(params), body, actor),
  });
  registry.add({
    id: 'cronjobs.delete',
    method: 'DELETE',
    url: `${base}/:cronjob`,
    summary: 'Delete a cron job: its running containers are stopped, its runs and logs removed',
    tags: ['cronjobs'],
    access: write,
    params: jobParams,
    target: { kind: 'cronjob' },
    handler: async ({ params, actor }) => {
      await svc.remove(path(params), actor);
      return { status: 204 };
    },
  });
  registry.add({
    id: 'cronjobs.run',
    method: 'POST',
    url: `${base}/:cronjob/run`,
    summary: 'Run now: start a run outside the schedule',
    tags: ['cronjobs'],
    access: write,
    params: jobParams,
    response: { status: 202, description: 'the run, pending' },
    target: { kind: 'cronjob' },
    handler: async ({ params, actor }) => ({ status: 202, body: await svc.runNow(path(params), actor) }),
  });
  for (const suspend of [true, false])
    registry.add({
      id: suspend ? 'cronjobs.suspend' : 'cronjobs.resume',
      method: 'POST',
      url: `${base}/:cronjob/${suspend ? 'suspend' : 'resume'}`,
      summary: suspend
        ? 'Suspend: no scheduled runs until resumed (runs going on continue)'
        : 'Resume: scheduled runs from now on (times that passed while suspended are not caught up)',
      tags: ['cronjobs'],
      access: write,
      params: jobParams,
      target: { kind: 'cronjob' },
      handler: ({ params, actor }) => svc.setSuspended(path(params), suspend, actor),
    });
  registry.add({
    id: 'cronjobs.runs',
    method: 'GET',
    url: `${base}/:cronjob/runs`,
    summary: "A cron job's runs, newest first, with their attempts",
    tags: ['cronjobs'],
    access: read,
    params: jobParams,
    handler: async ({ params }) => ({ items: await svc.runs(path(params)) }),
  });
  registry.add({
    id: 'cronjobs.events',
    method: 'GET',
    url: `${base}/:cronjob/events`,
    summary: "A cron job's events, newest first (started, back-off, skipped, missed, …)",
    tags: ['cronjobs'],
    access: read,
    params: jobParams,
    handler: async ({ params }) => ({ items: await svc.events(path(params)) }),
  });
  registry.add({
    id: 'cronjobs.runs.get',
    method: 'GET',
    url: `${base}/:cronjob/runs/:run`,
    summary: 'One run: its attempts and events',
    tags: ['cronjobs'],
    access: read,
    params: runParams,
    handler: ({ params }) => svc.run(path(params), params.run),
  });
  registry.add({
    id: 'cronjobs.runs.logs',
    method: 'GET',
    url: `${base}/:cronjob/runs/:run/logs`,
    summary:
      "An attempt's output (the last attempt by default); kept after the container is removed (last 1 MiB)",
    tags: ['cronjobs'],
    access: read,
    params: runParams,
    query: logsQuery,
    handler: async ({ params, query }) => {
      const out = await svc.runLogs(path(params), params.run, query.attempt);
      if (query.format === 'text')
        return {
          status: 200,
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: out.lines.map((l) => l.text).join('\n') + (out.lines.length ? '\n' : ''),
        };
      return out;
    },
  });
}
