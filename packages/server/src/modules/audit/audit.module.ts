import type { Db } from '../../db/database';
import type { AppContext, AuditSink } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import { AuditRepository } from './audit.repository';
import { registerAuditRoutes } from './audit.routes';

/** The audit module: the sink every mutating or denied request is written to, and its read API. */
export interface AuditModule {
  sink: AuditSink;
  registerRoutes(registry: RouteRegistry, ctx: AppContext): void;
}

export function createAudit(db: Db): AuditModule {
  const repo = new AuditRepository(db);
  return {
    sink: { record: (event) => repo.record(event) },
    registerRoutes(registry, ctx) {
      registerAuditRoutes(registry, ctx, repo);
    },
  };
}
