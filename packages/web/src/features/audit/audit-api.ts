import type { AuditEvent, Page, ShellSession } from '@berth/shared';
import { api } from '../../api/client';

/** The audit API paths the explorer calls (checked against /api/openapi.json by the e2e test). */
export const auditApiRoutes = {
  audit: 'GET /api/v1/audit',
  shellSession: 'GET /api/v1/shell-sessions/{id}',
} as const;

/** Server-side filters of GET /api/v1/audit; text filters match a prefix when they end in `*`. */
export interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
  project?: string;
  result?: AuditEvent['result'];
  /** RFC 3339; inclusive. */
  since?: string;
  /** RFC 3339; exclusive. */
  until?: string;
}

export const listAuditEvents = (filter: AuditFilter, cursor: string | undefined) =>
  api<Page<AuditEvent>>('/api/v1/audit', { query: { ...filter, cursor, limit: 50 } });

export const getShellSession = (id: string) =>
  api<ShellSession>(`/api/v1/shell-sessions/${encodeURIComponent(id)}`);

/** The shell session id of a `containers.shell` audit event, if it opened one. */
export function shellSessionOf(event: AuditEvent): string | null {
  const id = event.action === 'containers.shell' ? event.request?.session : undefined;
  return typeof id === 'string' && /^[a-z0-9]+$/.test(id) ? id : null;
}
