import { z } from 'zod';
import { NotFoundError, nameSchema, userNameSchema, type ShellSession } from '@berth/shared';
import type { Actor, AppContext } from '../../http/context';
import { decodeCursor, pageOf, pageQuerySchema } from '../../http/pagination';
import { HiddenFromCaller, type RouteRegistry } from '../../http/route';
import { parseRecording } from './shell-recorder';
import { ShellSessionsRepository, type ShellSessionRow } from './shell-sessions.repository';

function toShellSession(row: Omit<ShellSessionRow, 'recording'> & { recording?: string }): ShellSession {
  return {
    id: row.id,
    actor: row.actor,
    project: row.project,
    env: row.env,
    service: row.service,
    container: row.container,
    user: row.user,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    exitCode: row.exit_code,
    ...(row.recording !== undefined ? { recording: parseRecording(row.recording) } : {}),
  };
}

/**
 * Projects whose shell sessions the actor may read, null for all. Sessions are audit records,
 * so this is the audit module's rule: audit:read (team and platform admins) on visible projects;
 * anyone else sees an empty list, as GET /api/v1/audit shows them.
 */
async function auditableProjects(ctx: AppContext, actor: Actor): Promise<string[] | null> {
  if (await ctx.auth.authorize(actor, 'audit:read', { kind: 'platform' })) return null;
  const visible =
    (await ctx.auth.visibleProjects(actor)) ??
    (await ctx.db.selectFrom('projects').select('name').execute()).map((p) => p.name);
  const allowed: string[] = [];
  for (const project of visible) {
    if (await ctx.auth.authorize(actor, 'audit:read', { kind: 'project', project })) allowed.push(project);
  }
  return allowed;
}

/** Lists and shows recorded shell sessions. */
export function registerShellSessionRoutes(registry: RouteRegistry, ctx: AppContext): void {
  const sessions = new ShellSessionsRepository(ctx.db);

  registry.add({
    id: 'shellSessions.list',
    method: 'GET',
    url: '/api/v1/shell-sessions',
    summary:
      'Recorded web-shell sessions in the projects whose audit log you may read (audit:read), newest first',
    tags: ['audit'],
    access: 'authenticated',
    query: pageQuerySchema.extend({
      actor: userNameSchema.optional(),
      project: nameSchema.optional(),
      service: nameSchema.optional(),
    }),
    async handler({ query, actor }) {
      const projects = await auditableProjects(ctx, actor);
      const rows = await sessions.list({
        projects,
        actor: query.actor,
        project: query.project,
        service: query.service,
        before: decodeCursor(query.cursor),
        limit: query.limit,
      });
      const page = pageOf(rows, query.limit, (r) => r.id);
      return { items: page.items.map(toShellSession), nextCursor: page.nextCursor };
    },
  });

  registry.add({
    id: 'shellSessions.get',
    method: 'GET',
    url: '/api/v1/shell-sessions/:id',
    summary: 'One recorded web-shell session with its recording',
    tags: ['audit'],
    access: 'authenticated',
    params: z
      .object({
        id: z
          .string()
          .min(1)
          .max(64)
          .regex(/^[a-z0-9]+$/, 'must be a session id'),
      })
      .strict(),
    async handler({ params, actor }) {
      const row = await sessions.get(params.id);
      const projects = await auditableProjects(ctx, actor);
      const visible = row && (projects === null || (row.project !== null && projects.includes(row.project)));
      const message = `Shell session '${params.id}' does not exist or you have no access to it.`;
      if (!row) throw new NotFoundError('NOT_FOUND', message);
      // Same answer as a missing session, but audited as a denied read.
      if (!visible) throw new HiddenFromCaller('NOT_FOUND', message);
      return toShellSession(row);
    },
  });
}
