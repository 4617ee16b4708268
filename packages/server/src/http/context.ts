import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { Permission } from '@berth/shared';
import type { Config } from '../config/config';
import type { Db, Dialect } from '../db/database';

/** Who is calling. */
export interface Actor {
  name: string;
  via: 'session' | 'token' | 'system';
  /** For session callers: the token their mutating requests must echo in X-CSRF-Token. */
  csrfToken: string | null;
}

export type Scope =
  { kind: 'platform' } | { kind: 'team'; team: string } | { kind: 'project'; project: string };

/** Resolves callers and answers permission questions (implemented by the identity module). */
export interface Authenticator {
  authenticate(req: FastifyRequest): Promise<Actor | null>;
  authorize(actor: Actor, permission: Permission, scope: Scope): Promise<boolean>;
  /** Project names the actor may read; null when the actor may read every project. */
  visibleProjects(actor: Actor): Promise<string[] | null>;
}

export interface AuditInput {
  actor: string;
  action: string;
  targetKind: string;
  target: string;
  project: string | null;
  request: Record<string, unknown> | null;
  result: 'success' | 'denied' | 'failure';
  statusCode: number;
  sourceIp: string;
  message: string | null;
}

/** Writes audit events (implemented by the audit module). */
export interface AuditSink {
  record(event: AuditInput): Promise<void>;
}

/** What every module gets: configuration, the store, logging and the cross-cutting services. */
export interface AppContext {
  config: Readonly<Config>;
  db: Db;
  dialect: Dialect;
  log: FastifyBaseLogger;
  auth: Authenticator;
  audit: AuditSink;
}
