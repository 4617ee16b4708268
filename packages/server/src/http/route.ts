import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import {
  BerthError,
  ForbiddenError,
  InvalidError,
  NotFoundError,
  UnauthenticatedError,
  type ErrorCode,
  type Permission,
} from '@berth/shared';
import { SecretBox } from '../crypto/secret-box';
import { IdempotencyStore } from './idempotency-store';
import type { Actor, AppContext, Scope } from './context';
import { invalidFrom, toHttpError } from './errors';
import { redact } from './redact';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Returned by a handler that wrote the response itself (streams, downloads). */
export const handled: unique symbol = Symbol('handled');

export interface Reply<T = unknown> {
  status: number;
  body?: T;
  headers?: Record<string, string>;
}

export interface RouteCtx<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** The caller; a system actor for public routes. */
  actor: Actor;
  req: FastifyRequest;
  reply: FastifyReply;
}

/** The access a route needs: a permission on a scope computed from the request. */
export interface Access<P, Q> {
  permission: Permission;
  scope: (params: P, query: Q) => Scope;
}

export interface RouteDef<PS extends z.ZodType, QS extends z.ZodType, BS extends z.ZodType> {
  /** Operation id and audit action, e.g. "services.create". */
  id: string;
  method: Method;
  /** Fastify path, e.g. /api/v1/projects/:project. */
  url: string;
  summary: string;
  tags: string[];
  /** "public": no authentication (login, health, signed webhooks). Otherwise the declared access. */
  access: 'public' | 'authenticated' | Access<z.output<PS>, z.output<QS>>;
  params?: PS;
  query?: QS;
  body?: BS;
  /** Bytes a request body may have, when more than the server's 1 MiB (config files: JSON-escaped text). */
  bodyLimit?: number;
  /** Documented success status and body schema. */
  response?: { status: number; description: string; schema?: z.ZodType; contentType?: string };
  /** Audit target of mutating routes; defaults to the path parameters joined with "/". */
  target?: { kind: string; name?: (params: z.output<PS>, body: z.output<BS>) => string };
  /** Audit even though it is a GET (e.g. log downloads are not; shells are audited elsewhere). */
  handler: (
    ctx: RouteCtx<z.output<PS>, z.output<QS>, z.output<BS>>,
  ) => Promise<Reply | typeof handled | object | null>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRouteDef = RouteDef<any, any, any>;

const systemActor: Actor = { name: 'anonymous', via: 'system', csrfToken: null };

/** Constant-time comparison of a header with the session's CSRF token. */
function sameSecret(given: string | string[] | undefined, expected: string | null): boolean {
  if (typeof given !== 'string' || expected === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function isMutating(method: Method): boolean {
  return method !== 'GET';
}

function parsePart<S extends z.ZodType>(schema: S | undefined, value: unknown, what: string): z.output<S> {
  if (!schema) return (value ?? {}) as z.output<S>;
  const result = schema.safeParse(value ?? (what === 'body' ? undefined : {}));
  if (!result.success) throw invalidFrom(result.error, what);
  return result.data;
}

function projectOf(scope: Scope | null): string | null {
  return scope && scope.kind === 'project' ? scope.project : null;
}

/** Registers routes with validation, authentication, declared access and audit of every write. */
export class RouteRegistry {
  readonly routes: AnyRouteDef[] = [];
  private readonly idempotency: IdempotencyStore;
  constructor(
    private readonly app: FastifyInstance,
    private readonly ctx: AppContext,
  ) {
    this.idempotency = new IdempotencyStore(ctx.db, SecretBox.fromDataDir(ctx.config.dataDir));
  }

  add<PS extends z.ZodType, QS extends z.ZodType, BS extends z.ZodType>(def: RouteDef<PS, QS, BS>): void {
    this.routes.push(def as AnyRouteDef);
    this.app.route({
      method: def.method,
      url: def.url,
      ...(def.bodyLimit ? { bodyLimit: def.bodyLimit } : {}),
      handler: (req, reply) => this.run(def as AnyRouteDef, req, reply),
    });
  }

  private async run(def: AnyRouteDef, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    let actor: Actor = systemActor;
    let scope: Scope | null = null;
    let params: Record<string, unknown> = (req.params ?? {}) as Record<string, unknown>;
    let body: unknown = req.body;
    try {
      params = parsePart(def.params, req.params, 'path parameters') as Record<string, unknown>;
      const query: unknown = parsePart(def.query, req.query, 'query parameters');
      if (def.access !== 'public') {
        const found = await this.ctx.auth.authenticate(req);
        if (!found) throw new UnauthenticatedError();
        actor = found;
        if (
          actor.via === 'session' &&
          isMutating(def.method) &&
          !sameSecret(req.headers['x-csrf-token'], actor.csrfToken)
        ) {
          throw new BerthError(
            'CSRF_FAILED',
            'This request needs the X-CSRF-Token header of your session (GET /api/v1/me returns it).',
          );
        }
        if (def.access !== 'authenticated') {
          scope = def.access.scope(params, query);
          await this.checkAccess(actor, def.access.permission, scope);
        }
      }
      body = parsePart(def.body, req.body, 'request body');
      const idemKey = def.method === 'POST' ? idempotencyKey(req, actor, def) : null;
      const replayed = idemKey ? await this.idempotency.find(idemKey, actor.name) : null;
      if (replayed) {
        void reply.header('Idempotent-Replayed', 'true');
        return reply.code(replayed.status).send(replayed.body);
      }
      const result: unknown = await def.handler({ params, query, body, actor, req, reply });
      if (result === handled) return reply;
      const out: Reply =
        result && typeof result === 'object' && 'status' in result && typeof result.status === 'number'
          ? (result as Reply)
          : { status: def.response?.status ?? 200, body: result };
      if (idemKey && out.status < 300) await this.idempotency.save(idemKey, actor.name, out.status, out.body);
      if (isMutating(def.method)) {
        await this.audit(
          def,
          actor,
          scope,
          params,
          body,
          req,
          out.status < 400 ? 'success' : 'failure',
          out.status,
          null,
        );
      }
      if (out.headers) void reply.headers(out.headers);
      if (out.body === undefined || out.status === 204) return reply.code(out.status).send();
      return reply.code(out.status).send(out.body);
    } catch (err) {
      const { status, body: errBody, known } = toHttpError(err);
      if (!known) req.log.error({ err }, 'unhandled error');
      // Every refusal by permission is audited, reads included (one event per request).
      const denied = status === 401 || status === 403 || (status === 404 && err instanceof HiddenFromCaller);
      if (isMutating(def.method) || denied) {
        await this.audit(
          def,
          actor,
          scope,
          params,
          body,
          req,
          denied ? 'denied' : 'failure',
          status,
          errBody.error.message,
        ).catch((e: unknown) => req.log.error({ err: e }, 'audit write failed'));
      }
      if (reply.sent) return reply;
      return reply.code(status).send(errBody);
    }
  }

  private async checkAccess(actor: Actor, permission: Permission, scope: Scope): Promise<void> {
    if (await this.ctx.auth.authorize(actor, permission, scope)) return;
    if (scope.kind === 'project' && !(await this.ctx.auth.authorize(actor, 'projects:read', scope))) {
      throw new DeniedAsNotFound(scope.project);
    }
    throw new ForbiddenError(
      `You need the "${permission}" permission on ${describeScope(scope)} to do this.`,
      {
        permission,
        scope,
      },
    );
  }

  private audit(
    def: AnyRouteDef,
    actor: Actor,
    scope: Scope | null,
    params: Record<string, unknown>,
    body: unknown,
    req: FastifyRequest,
    result: 'success' | 'denied' | 'failure',
    statusCode: number,
    message: string | null,
  ): Promise<void> {
    let target = Object.values(params).map(String).join('/');
    if (def.target?.name) {
      try {
        target = def.target.name(params, body);
      } catch {
        // the body did not validate; keep the path as the target
      }
    }
    return this.ctx.audit.record({
      actor: actor.name,
      action: def.id,
      targetKind: def.target?.kind ?? def.tags[0] ?? 'api',
      target: target || def.url,
      project: projectOf(scope) ?? (typeof params.project === 'string' ? params.project : null),
      request: body && typeof body === 'object' ? (redact(body) as Record<string, unknown>) : null,
      result,
      statusCode,
      sourceIp: req.ip,
      message,
    });
  }
}

/** The stored key of a POST with an Idempotency-Key header: scoped to the route and the path. */
function idempotencyKey(req: FastifyRequest, actor: Actor, def: AnyRouteDef): string | null {
  const key = req.headers['idempotency-key'];
  if (typeof key !== 'string' || key === '') return null;
  if (key.length > 200) throw new InvalidError('The Idempotency-Key header must be at most 200 characters.');
  return createHash('sha256').update(`${actor.name}\n${def.id}\n${req.url}\n${key}`).digest('hex');
}

/**
 * A 404 answered because the caller may not see something that exists (a task or a shell
 * session of another project): the caller learns nothing, the audit log records the denial.
 */
export class HiddenFromCaller extends NotFoundError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
  }
}

/** A caller who may not even see the project gets 404, as if it did not exist. */
export class DeniedAsNotFound extends HiddenFromCaller {
  constructor(project: string) {
    super('PROJECT_NOT_FOUND', `Project '${project}' does not exist or you have no access to it.`);
  }
}

export function describeScope(scope: Scope): string {
  switch (scope.kind) {
    case 'platform':
      return 'the platform';
    case 'team':
      return `team '${scope.team}'`;
    case 'project':
      return `project '${scope.project}'`;
  }
}
