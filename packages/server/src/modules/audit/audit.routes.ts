import { z } from 'zod';
import { nameSchema } from '@berth/shared';
import type { Actor, AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import { pageQuerySchema } from '../../http/pagination';
import type { AuditFilter, AuditRepository, TextMatch } from './audit.repository';

/**
 * A text filter: a trailing `*` means "starts with"; so does a trailing `implicitPrefix`
 * (`.` for actions: `services.`; `/` for targets: `shop/`), which is then kept in the prefix.
 */
function textFilter(max: number, implicitPrefix?: string) {
  return z
    .string()
    .min(1)
    .max(max)
    .transform((raw): TextMatch => {
      if (raw.endsWith('*')) return { value: raw.slice(0, -1), prefix: true };
      return { value: raw, prefix: implicitPrefix !== undefined && raw.endsWith(implicitPrefix) };
    });
}

const timestamp = z.iso
  .datetime({ offset: true, message: 'must be an RFC 3339 timestamp, e.g. 2025-01-31T12:00:00Z' })
  .transform((v) => new Date(v).toISOString());

const filterShape = {
  actor: textFilter(63).optional(),
  action: textFilter(100, '.').optional(),
  target: textFilter(300, '/').optional(),
  targetKind: textFilter(63).optional(),
  result: z.enum(['success', 'denied', 'failure']).optional(),
  since: timestamp.optional(),
  until: timestamp.optional(),
};
const auditQuery = pageQuerySchema.extend({ ...filterShape, project: nameSchema.optional() }).strict();
const projectAuditQuery = pageQuerySchema.extend(filterShape).strict();

const filterHelp =
  'Filters: actor, action, target, targetKind (a trailing * matches a prefix; an action ending in "." and a target ending in "/" too), ' +
  'project, result, since (inclusive) and until (exclusive) as RFC 3339. Newest first.';

/** GET /audit (filtered to what the caller may audit) and GET /projects/:project/audit. */
export function registerAuditRoutes(registry: RouteRegistry, ctx: AppContext, repo: AuditRepository): void {
  /** Projects whose events the actor may read; null for platform-wide auditors. */
  async function auditableProjects(actor: Actor): Promise<string[] | null> {
    if (await ctx.auth.authorize(actor, 'audit:read', { kind: 'platform' })) return null;
    const visible =
      (await ctx.auth.visibleProjects(actor)) ??
      (await ctx.db.selectFrom('projects').select('name').execute()).map((r) => r.name);
    const allowed: string[] = [];
    for (const project of visible) {
      if (await ctx.auth.authorize(actor, 'audit:read', { kind: 'project', project })) allowed.push(project);
    }
    return allowed;
  }

  registry.add({
    id: 'audit.list',
    method: 'GET',
    url: '/api/v1/audit',
    summary: `Audit events the caller may read: all for platform admins, else those of projects where they hold audit:read. ${filterHelp}`,
    tags: ['audit'],
    access: 'authenticated',
    query: auditQuery,
    response: { status: 200, description: 'Audit events, newest first' },
    async handler({ actor, query }) {
      const { limit, cursor, ...filter } = query;
      return repo.list(filter satisfies AuditFilter, await auditableProjects(actor), limit, cursor);
    },
  });

  registry.add({
    id: 'audit.listProject',
    method: 'GET',
    url: '/api/v1/projects/:project/audit',
    summary: `Audit events of one project. ${filterHelp}`,
    tags: ['audit'],
    access: { permission: 'audit:read', scope: (p) => ({ kind: 'project', project: p.project }) },
    params: z.object({ project: nameSchema }),
    query: projectAuditQuery,
    response: { status: 200, description: 'Audit events, newest first' },
    async handler({ params, query }) {
      const { limit, cursor, ...filter } = query;
      return repo.list({ ...filter, project: params.project }, null, limit, cursor);
    },
  });
}
