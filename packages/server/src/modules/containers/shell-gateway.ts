import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { WebSocketServer } from 'ws';
import type { ExecSession } from '@berth/engine-api';
import {
  BerthError,
  ForbiddenError,
  InvalidError,
  UnauthenticatedError,
  UnavailableError,
  nameSchema,
  type Permission,
} from '@berth/shared';
import type { Actor, AuditInput } from '../../http/context';
import { invalidFrom, toHttpError } from '../../http/errors';
import { redact } from '../../http/redact';
import { DeniedAsNotFound, type RouteRegistry } from '../../http/route';
import { newId, nowIso } from '../../util';
import type { ContainersDeps } from './containers-deps';
import { projectScope } from '../services/service-params';
import type { ContainerRow, ServiceRow } from '../services/services.repository';
import { storedSpec } from '../services/service-views';
import { containerNotFound, containerParams, serviceBase } from './container-params';
import { ContainersStore } from './containers.repository';
import { onCluster } from './container-clusters';
import type { DebugAttach, DebugContainers } from './debug';
import { debugParams } from './debug.routes';

const shellWhat = 'shells into its containers are';
import { ShellBridge } from './shell-bridge';
import { ShellSessionsRepository } from './shell-sessions.repository';
import {
  asAuthRequest,
  defaultShellUser,
  handshakeProblem,
  isSameOrigin,
  matchShellUrl,
  rejectUpgrade,
  rootUser,
  shellQuerySchema,
  type ShellQuery,
} from './shell-access';

/**
 * The web shell: WebSocket upgrades of …/containers/:container/shell become exec sessions.
 * Every attempt is authenticated and authorized like an API write and audited (denials too);
 * a session's audit event is written before the socket opens.
 */
export class ShellGateway {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: 1024 * 1024,
    perMessageDeflate: false,
  });
  private readonly bridges = new Set<ShellBridge>();
  private readonly store: ContainersStore;
  private readonly sessions: ShellSessionsRepository;
  private closing = false;

  constructor(
    private readonly deps: ContainersDeps,
    /** Debug containers' shells (…/containers/:container/debug/:id/shell, debug.ts). */
    private readonly debug?: DebugContainers,
  ) {
    this.store = new ContainersStore(deps.ctx.db);
    this.sessions = new ShellSessionsRepository(deps.ctx.db);
  }

  /** Handles one upgrade request of the HTTP server. */
  async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // Until ws owns the socket nobody listens for errors, and an unheard error would crash the process.
    socket.on('error', () => socket.destroy());
    const match = matchShellUrl(req.url);
    if (!match) {
      // No other upgrade handler exists; answer like the API's 404 instead of hanging.
      const path = (req.url ?? '').split('?')[0];
      rejectUpgrade(socket, 404, {
        error: { code: 'NOT_FOUND', message: `No WebSocket endpoint at ${path}.` },
      });
      return;
    }
    const { project, env, service, container } = match.params;
    const debugId = match.debug;
    const audit: AuditInput = {
      actor: 'anonymous',
      action: debugId === undefined ? 'containers.shell' : 'containers.debug.shell',
      targetKind: 'container',
      target:
        `${project}/${env}/${service}/${container}${debugId === undefined ? '' : `/debug/${debugId}`}`.slice(
          0,
          300,
        ),
      project: project && nameSchema.safeParse(project).success ? project : null,
      request: redact(match.query) as Record<string, unknown>,
      result: 'failure',
      statusCode: 500,
      sourceIp: req.socket.remoteAddress ?? '',
      message: null,
    };
    try {
      const problem = handshakeProblem(req);
      if (problem) throw new InvalidError(problem);
      const params = containerParams.safeParse(match.params);
      if (!params.success) throw invalidFrom(params.error, 'path parameters');
      const query = shellQuerySchema.safeParse(match.query);
      if (!query.success) throw invalidFrom(query.error, 'query parameters');

      const actor = await this.deps.ctx.auth.authenticate(asAuthRequest(req, this.deps.ctx.log));
      if (!actor) throw new UnauthenticatedError();
      audit.actor = actor.name;
      if (actor.via === 'session' && !isSameOrigin(req, this.deps.ctx.config.publicUrl)) {
        throw new BerthError(
          'CSRF_FAILED',
          'A shell opened with the session cookie must come from the Berth portal: the Origin header must match the Host.',
        );
      }
      await this.require(actor, 'services:exec', params.data.project);
      if (query.data.user === 'root') await this.require(actor, 'services:exec-root', params.data.project);

      const svc = await this.deps.service.resolve(params.data);
      if (debugId !== undefined) {
        await this.openDebug(req, socket, head, {
          audit,
          actor,
          svc,
          container: params.data.container,
          debugId,
          query: query.data,
        });
        return;
      }
      const row = await this.store.findActive(svc.id, params.data.container);
      if (!row) throw containerNotFound(params.data.container, svc.name);
      const user = query.data.user === 'root' ? rootUser : await this.defaultUser(svc, row);
      if (this.closing)
        throw new UnavailableError('The server is shutting down; open the shell again in a moment.');

      const exec = await onCluster(this.deps.engines, row.cluster, shellWhat, (engine) =>
        engine.exec(row.engine_id ?? row.name, {
          cmd: query.data.cmd,
          user,
          tty: query.data.tty,
          cols: query.data.cols,
          rows: query.data.rows,
          env: query.data.tty ? { TERM: 'xterm-256color' } : undefined,
        }),
      );
      let sessionId: string;
      try {
        sessionId = await this.record(audit, actor, svc, row.name, user, query.data.cmd.join(' '));
      } catch (err) {
        exec.close();
        throw err;
      }
      this.open(req, socket, head, exec, sessionId);
    } catch (err) {
      await this.reject(socket, audit, err);
    }
  }

  /**
   * The one shell of a debug container: as the user the container was started for (root was
   * authorized then), only for its creator; the container is removed when the shell ends.
   */
  private async openDebug(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    o: {
      audit: AuditInput;
      actor: Actor;
      svc: ServiceRow;
      container: string;
      debugId: string;
      query: ShellQuery;
    },
  ): Promise<void> {
    if (!this.debug) throw new UnavailableError('Debug containers are not available on this server.');
    if (o.query.user !== undefined)
      throw new InvalidError(
        "A debug container's user is chosen when it is started (POST …/debug with user); leave out user here.",
      );
    if (this.closing)
      throw new UnavailableError('The server is shutting down; open the shell again in a moment.');
    const attach: DebugAttach = await this.debug.attach(o.svc, o.container, o.debugId, o.actor);
    const { row } = attach;
    let sessionId: string;
    let exec: ExecSession;
    try {
      exec = await onCluster(this.deps.engines, row.cluster, shellWhat, (engine) =>
        engine.exec(row.engine_id ?? row.name, {
          cmd: o.query.cmd,
          user: row.user,
          tty: o.query.tty,
          cols: o.query.cols,
          rows: o.query.rows,
          env: o.query.tty ? { TERM: 'xterm-256color' } : undefined,
        }),
      );
    } catch (err) {
      await attach.done();
      throw err;
    }
    try {
      sessionId = await this.record(o.audit, o.actor, o.svc, row.name, row.user, o.query.cmd.join(' '));
      await this.debug.store.setShellSession(row.id, sessionId);
    } catch (err) {
      exec.close();
      await attach.done();
      throw err;
    }
    this.open(req, socket, head, exec, sessionId, () =>
      attach.done().catch((err: unknown) => this.deps.ctx.log.warn({ err }, 'ending a debug session failed')),
    );
  }

  /** Ends every open session (server shutdown). */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.bridges].map((b) => b.terminate()));
    this.wss.close();
  }

  private async require(actor: Actor, permission: Permission, project: string): Promise<void> {
    const scope = projectScope({ project });
    if (await this.deps.ctx.auth.authorize(actor, permission, scope)) return;
    if (!(await this.deps.ctx.auth.authorize(actor, 'projects:read', scope)))
      throw new DeniedAsNotFound(project);
    throw new ForbiddenError(
      permission === 'services:exec-root'
        ? `A root shell needs the "services:exec-root" permission on project '${project}'; leave out user=root to open a shell as a non-root user.`
        : `You need the "${permission}" permission on project '${project}' to open a shell.`,
      { permission, scope },
    );
  }

  private async defaultUser(svc: ServiceRow, row: ContainerRow): Promise<string> {
    const release = await this.deps.repo.getRelease(svc.id, row.release);
    const configured = release ? storedSpec(release).user : undefined;
    if (configured !== undefined) return defaultShellUser(configured, null);
    // The image as the container's cluster has it; the exec that follows reports an unreachable cluster.
    const image = await this.deps.engines
      .get(row.cluster)
      .then((engine) => engine.inspectImage(row.image))
      .catch(() => null);
    return defaultShellUser(undefined, image?.user ?? null);
  }

  /** The audit event and the session row, both before the socket opens. */
  private async record(
    audit: AuditInput,
    actor: Actor,
    svc: ServiceRow,
    container: string,
    user: string,
    cmd: string,
  ): Promise<string> {
    const id = newId();
    await this.deps.ctx.audit.record({
      ...audit,
      request: { container, user, cmd, session: id },
      result: 'success',
      statusCode: 101,
      message: `shell as ${user}`,
    });
    await this.sessions.insert({
      id,
      actor: actor.name,
      service_id: svc.id,
      container,
      user,
      started_at: nowIso(),
      ended_at: null,
      exit_code: null,
      recording: '',
    });
    return id;
  }

  private open(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    exec: ExecSession,
    sessionId: string,
    /** Called once the session is over (debug containers are removed then). */
    onEnd?: () => Promise<void>,
  ): void {
    const log = this.deps.ctx.log;
    // ws drops a socket the client already closed, and refuses once closed, without calling
    // back; the session ends here then, or the process and its record would be left open.
    const gone = socket.destroyed || !socket.readable || !socket.writable;
    if (gone || this.closing) {
      exec.close();
      void this.sessions
        .finish(sessionId, nowIso(), null)
        .catch((err: unknown) => log.warn({ err }, 'closing a shell session record failed'));
      void onEnd?.();
      if (!gone) {
        rejectUpgrade(
          socket,
          503,
          new UnavailableError('The server is shutting down; open the shell again in a moment.').toBody(),
        );
      }
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const bridge = new ShellBridge(ws, exec, sessionId, { sessions: this.sessions, log });
      this.bridges.add(bridge);
      void bridge.done.then(() => {
        this.bridges.delete(bridge);
        return onEnd?.();
      });
      bridge.start();
    });
  }

  private async reject(socket: Duplex, audit: AuditInput, err: unknown): Promise<void> {
    const { status, body, known } = toHttpError(err);
    if (!known) this.deps.ctx.log.error({ err }, 'opening a shell failed');
    const denied = status === 401 || status === 403 || err instanceof DeniedAsNotFound;
    await this.deps.ctx.audit
      .record({
        ...audit,
        result: denied ? 'denied' : 'failure',
        statusCode: status,
        message: body.error.message,
      })
      .catch((e: unknown) => this.deps.ctx.log.error({ err: e }, 'audit write failed'));
    rejectUpgrade(socket, status, body);
  }
}

/** A plain GET of a shell URL explains itself. */
function notAWebSocket(): Promise<never> {
  return Promise.reject(
    new InvalidError('Open this URL as a WebSocket (Upgrade: websocket); a plain GET cannot start a shell.'),
  );
}

/**
 * Routes WebSocket upgrades of the HTTP server to the shell gateway, documents the shell URL
 * in the API (a plain GET there explains itself), and ends open sessions when the server closes.
 */
export function attachShellGateway(
  registry: RouteRegistry,
  app: FastifyInstance,
  deps: ContainersDeps,
  debug?: DebugContainers,
): ShellGateway {
  const gateway = new ShellGateway(deps, debug);
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    gateway.onUpgrade(req, socket, head).catch((err: unknown) => {
      deps.ctx.log.error({ err }, 'shell upgrade failed');
      socket.destroy();
    });
  });
  // preClose, not onClose: open WebSockets would keep the HTTP server from closing at all.
  app.addHook('preClose', async () => gateway.close());
  registry.add({
    id: 'containers.shell',
    method: 'GET',
    url: `${serviceBase}/containers/:container/shell`,
    summary:
      'Web shell: open as a WebSocket. Binary/text frames are stdin, output comes as binary frames; send {"type":"resize","cols":N,"rows":M}; the server sends {"type":"exit","code":N} and closes. user=root needs services:exec-root.',
    tags: ['containers'],
    access: { permission: 'services:exec', scope: projectScope },
    params: containerParams,
    query: shellQuerySchema,
    response: { status: 101, description: 'Switching Protocols (WebSocket)' },
    handler: notAWebSocket,
  });
  if (debug)
    registry.add({
      id: 'containers.debug.shell',
      method: 'GET',
      url: `${serviceBase}/containers/:container/debug/:debug/shell`,
      summary:
        "A debug container's one shell: open as a WebSocket, the same protocol as the web shell (…/containers/:container/shell). Only the session's creator may open it; the container is removed when it ends.",
      tags: ['containers'],
      access: { permission: 'services:exec', scope: projectScope },
      params: debugParams,
      query: shellQuerySchema,
      response: { status: 101, description: 'Switching Protocols (WebSocket)' },
      handler: notAWebSocket,
    });
  return gateway;
}
