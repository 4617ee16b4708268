import type { ExpressionBuilder } from 'kysely';
import type { AuditEvent } from '@berth/shared';
import type { Db } from '../../db/database';
import type { AuditEventsTable, Database } from '../../db/schema';
import type { AuditInput } from '../../http/context';
import { decodeCursor, pageOf } from '../../http/pagination';
import { redact } from '../../http/redact';
import { newId, nowIso } from '../../util';

/** A text filter: exact value, or a prefix. */
export interface TextMatch {
  value: string;
  prefix: boolean;
}

/** Filters of an audit query; all given filters must match. */
export interface AuditFilter {
  actor?: TextMatch | undefined;
  action?: TextMatch | undefined;
  target?: TextMatch | undefined;
  targetKind?: TextMatch | undefined;
  project?: string | undefined;
  result?: AuditEvent['result'] | undefined;
  /** Inclusive lower bound, RFC 3339 UTC. */
  since?: string | undefined;
  /** Exclusive upper bound, RFC 3339 UTC. */
  until?: string | undefined;
}

type AuditColumn = 'actor' | 'action' | 'target' | 'target_kind';

function toEvent(row: AuditEventsTable): AuditEvent {
  let request: Record<string, unknown> | null = null;
  if (row.request !== null) {
    try {
      request = JSON.parse(row.request) as Record<string, unknown>;
    } catch {
      request = { unparseable: true };
    }
  }
  return {
    id: row.id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    targetKind: row.target_kind,
    target: row.target,
    project: row.project,
    request,
    result: row.result as AuditEvent['result'],
    statusCode: row.status_code,
    sourceIp: row.source_ip,
    message: row.message,
  };
}

function matches(eb: ExpressionBuilder<Database, 'audit_events'>, column: AuditColumn, m: TextMatch) {
  if (!m.prefix) return eb(column, '=', m.value);
  // substr() instead of LIKE: LIKE is case-insensitive on SQLite, case-sensitive on PostgreSQL,
  // and treats % and _ as wildcards; substr compares exactly on both.
  return eb(eb.fn<string>('substr', [eb.ref(column), eb.lit(1), eb.lit(m.value.length)]), '=', m.value);
}

/** Stores and queries audit events, newest first (ids are time-ordered). */
export class AuditRepository {
  constructor(private readonly db: Db) {}

  async record(event: AuditInput): Promise<void> {
    // The route layer redacts already; redacting again keeps other callers of the sink safe too.
    const request = event.request === null ? null : JSON.stringify(redact(event.request));
    await this.db
      .insertInto('audit_events')
      .values({
        id: newId(),
        at: nowIso(),
        actor: event.actor,
        action: event.action,
        target_kind: event.targetKind,
        target: event.target,
        // A project's own create/delete is declared without a project scope (the name is in the
        // body); file it under that project so the project's auditors see who made it.
        project: event.project ?? (event.targetKind === 'project' ? event.target : null),
        request,
        result: event.result,
        status_code: event.statusCode,
        source_ip: event.sourceIp,
        message: event.message,
      })
      .execute();
  }

  /**
   * One page of events matching the filter. `projects` limits the events to those projects
   * (null: no limit, for platform-wide readers; events without a project are then included).
   */
  async list(
    filter: AuditFilter,
    projects: string[] | null,
    limit: number,
    cursor: string | undefined,
  ): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
    if (projects !== null && projects.length === 0) return { items: [], nextCursor: null };
    const before = decodeCursor(cursor);
    let q = this.db
      .selectFrom('audit_events')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (projects !== null) q = q.where('project', 'in', projects);
    const text: Array<[AuditColumn, TextMatch | undefined]> = [
      ['actor', filter.actor],
      ['action', filter.action],
      ['target', filter.target],
      ['target_kind', filter.targetKind],
    ];
    for (const [column, m] of text) if (m) q = q.where((eb) => matches(eb, column, m));
    if (filter.project !== undefined) q = q.where('project', '=', filter.project);
    if (filter.result !== undefined) q = q.where('result', '=', filter.result);
    if (filter.since !== undefined) q = q.where('at', '>=', filter.since);
    if (filter.until !== undefined) q = q.where('at', '<', filter.until);
    if (before !== undefined) q = q.where('id', '<', before);
    const page = pageOf(await q.execute(), limit, (r) => r.id);
    return { items: page.items.map(toEvent), nextCursor: page.nextCursor };
  }
}
