/**
 * Debug containers (docs/debug.md): a tool container that joins a target container's network and
 * PID namespaces, so a shell in it sees the target's processes (and, as the same user, its files
 * through /proc/<pid>/root) and reaches its ports on 127.0.0.1 — for images without a shell or
 * tools. Never a replica: it has no `berth.instance` label (the service controller never sees
 * it), no ports, no ledger row. One shell per debug container; the container is removed when
 * that shell ends, when its time-to-live passes (its main process is `sleep TTL`, so it stops by
 * itself even while Berth is down) or with its target; the sweeper (a reconciler) removes what is
 * left, also after a restart.
 */
import { randomBytes } from 'node:crypto';
import type { ContainerEngine } from '@berth/engine-api';
import { BerthError, ConflictError, ForbiddenError, NotFoundError, uidInPasswd } from '@berth/shared';
import type { Actor } from '../../http/context';
import { newId, nowIso } from '../../util';
import { RegistryAccess } from '../registry/registry-access';
import { imageRefOnCluster } from '../registry/image-ref';
import { pullCredentialFor } from '../registry/registry-tokens';
import type { ServiceRow } from '../services/services.repository';
import { storedSpec } from '../services/service-views';
import { containerNotFound } from './container-params';
import { engineOf, onCluster } from './container-clusters';
import type { ContainersDeps } from './containers-deps';
import { ContainersStore } from './containers.repository';
import { DebugSessionsRepository, type DebugSessionRow } from './debug-sessions.repository';
import { Toolbox } from './debug-toolbox';
import { defaultShellUser, nobodyUser, rootUser } from './shell-access';

/** Labels of debug containers; deliberately not `berth.instance` (that would make them replicas). */
export const debugLabels = { instance: 'berth.debug', session: 'berth.debug.session' } as const;

export const debugTtl = { min: 5, max: 8 * 3600, default: 3600 };
/** A shell whose holder has not said so for this long is lost (the holder says so every 30 s). */
const heartbeatMs = 30_000;
const lostAfterMs = 3 * heartbeatMs;
/** A debug container nobody opened the shell of within this long is removed. */
const unattachedMs = 5 * 60_000;
const what = 'debug containers are';
/** States in which a target has processes to debug. */
const runningStates = new Set(['running', 'ready', 'unhealthy', 'draining']);

export interface DebugRequest {
  image?: string;
  ttlSeconds: number;
  root: boolean;
}

/** A debug session as the API shows it. */
export interface DebugSessionView {
  id: string;
  container: string;
  target: string;
  cluster: string;
  image: string;
  user: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  attachedAt: string | null;
  shellSession: string | null;
  endedAt: string | null;
  endReason: string | null;
  /** Open this as a WebSocket (like the web shell) for the debug container's one shell. */
  shellPath: string;
  /**
   * On Kubernetes: the ephemeral container as the cluster shows it — its name in the target's pod
   * (`kubectl get pod <pod> -o jsonpath='{.spec.ephemeralContainers}'`). Absent on Podman.
   */
  ephemeral?: { pod: string; container: string };
}

/**
 * The ephemeral container a Kubernetes engine id names: the engine answers `<pod uid>/<container>`
 * for a debug container (engine-kubernetes/src/debug.ts); a Podman id has no slash.
 */
function ephemeralOf(row: DebugSessionRow): DebugSessionView['ephemeral'] {
  const m = /^[^/]+\/([^/]+)$/.exec(row.engine_id ?? '');
  return m ? { pod: row.target, container: m[1]! } : undefined;
}

export function toDebugView(
  row: DebugSessionRow,
  svc: Pick<ServiceRow, 'project' | 'env' | 'name'>,
): DebugSessionView {
  const base = `/api/v1/projects/${svc.project}/envs/${svc.env}/services/${svc.name}/containers/${row.target}`;
  const ephemeral = ephemeralOf(row);
  return {
    id: row.id,
    container: row.name,
    target: row.target,
    cluster: row.cluster,
    image: row.image,
    user: row.user,
    createdBy: row.actor,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    attachedAt: row.attached_at,
    shellSession: row.shell_session,
    endedAt: row.ended_at,
    endReason: row.end_reason,
    shellPath: `${base}/debug/${row.id}/shell`,
    ...(ephemeral ? { ephemeral } : {}),
  };
}

/** What the shell gateway needs to open the one shell of a debug container. */
export interface DebugAttach {
  row: DebugSessionRow;
  /** Ends the session (removes the container) once the shell is over. */
  done(): Promise<void>;
}

/**
 * The uid:gid a user name or uid means in an image's /etc/passwd (numeric, so any debug image can
 * run as it; the gid matters: the kernel lets a process look into another's /proc/<pid>/root only
 * when uid and gid both match).
 */
export function numericUser(user: string, passwd: string | null): string | null {
  const [name = '', group] = user.split(':');
  const lines = (passwd ?? '').split('\n').map((l) => l.trim().split(':'));
  if (/^\d+$/.test(name)) {
    if (group !== undefined && /^\d+$/.test(group)) return `${name}:${group}`;
    const entry = lines.find((f) => f.length >= 4 && f[2] === name);
    return `${name}:${entry?.[3] ?? '0'}`;
  }
  const uid = passwd === null ? null : uidInPasswd(passwd, name);
  if (uid === null) return null;
  const entry = lines.find((f) => f.length >= 4 && f[0] === name);
  const gid = group !== undefined && /^\d+$/.test(group) ? group : (entry?.[3] ?? String(uid));
  return `${uid}:${gid}`;
}

export class DebugContainers {
  readonly store: DebugSessionsRepository;
  private readonly containers: ContainersStore;
  private readonly toolbox: Toolbox;
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  /** The shells this process holds, and the heartbeat that says so while there are any. */
  private readonly held = new Set<string>();
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(private readonly deps: ContainersDeps) {
    this.store = new DebugSessionsRepository(deps.ctx.db);
    this.containers = new ContainersStore(deps.ctx.db);
    this.toolbox = new Toolbox(deps.ctx.log, deps.ctx.config.debugToolboxImage);
  }

  /** Starts a debug container beside `target` (root already authorized by the caller). */
  async create(svc: ServiceRow, target: string, req: DebugRequest, actor: Actor): Promise<DebugSessionView> {
    const row = await this.containers.findActive(svc.id, target);
    if (!row) throw containerNotFound(target, svc.name);
    if (!row.engine_id || !runningStates.has(row.state))
      throw new ConflictError(
        `Container '${target}' is ${row.state}; a debug container joins a running container. Pick a running one (GET …/containers).`,
      );
    const engine = await engineOf(this.deps.engines, row.cluster, what);
    const image = await this.image(engine, svc.project, req.image, actor);
    const user = req.root ? rootUser : await this.targetUser(svc, row, engine);
    const id = newId();
    const now = Date.now();
    const session: DebugSessionRow = {
      id,
      service_id: svc.id,
      target,
      name: `${target}-debug-${randomBytes(3).toString('hex')}`,
      cluster: row.cluster,
      engine_id: null,
      image,
      user,
      actor: actor.name,
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + req.ttlSeconds * 1000).toISOString(),
      attached_at: null,
      seen_at: null,
      shell_session: null,
      ended_at: null,
      end_reason: null,
    };
    // the row first: a crash between the two leaves a row the sweeper ends, never a stray container
    await this.store.insert(session);
    try {
      const engineId = await onCluster(this.deps.engines, row.cluster, what, (e) =>
        e.runContainer({
          name: session.name,
          image,
          // the TTL holds even while Berth is down: the container's only process ends then
          command: ['sleep', String(req.ttlSeconds)],
          env: {},
          labels: {
            [debugLabels.instance]: this.deps.ctx.config.instanceId,
            [debugLabels.session]: id,
            'berth.project': svc.project,
          },
          ports: [],
          user,
          shareNamespacesOf: row.engine_id!,
          // like every workload: nothing but what it needs. Root gets CAP_SYS_PTRACE (strace, and
          // /proc/<pid>/root of a process of another user); a non-root shell has no capability.
          capabilities: req.root ? ['SYS_PTRACE'] : [],
          noNewPrivileges: true,
          pidsLimit: this.deps.ctx.config.containers.pidsLimit,
          memoryMiB: 512,
        }),
      );
      await this.store.setEngineId(id, engineId);
      session.engine_id = engineId;
    } catch (err) {
      await this.store.end(id, nowIso(), 'failed');
      throw err;
    }
    return toDebugView(session, svc);
  }

  async get(svc: ServiceRow, target: string, id: string): Promise<DebugSessionRow> {
    const row = await this.store.get(id);
    if (!row || row.service_id !== svc.id || row.target !== target)
      throw new NotFoundError(
        'NOT_FOUND',
        `Container '${target}' of service '${svc.name}' has no debug session '${id}'; list them with GET …/containers/${target}/debug.`,
      );
    return row;
  }

  /** Claims the one shell of a debug session for `actor` (its creator only). */
  async attach(svc: ServiceRow, target: string, id: string, actor: Actor): Promise<DebugAttach> {
    const row = await this.get(svc, target, id);
    if (row.actor !== actor.name)
      throw new ForbiddenError(
        `Debug container '${row.name}' belongs to ${row.actor}; start your own with POST …/containers/${target}/debug.`,
      );
    if (row.ended_at || Date.parse(row.expires_at) <= Date.now())
      throw new ConflictError(
        `Debug container '${row.name}' has ended (${row.end_reason ?? 'expired'}); start a new one with POST …/containers/${target}/debug.`,
      );
    if (!(await this.store.attach(id, nowIso())))
      throw new ConflictError(
        `Debug container '${row.name}' already has its shell (one shell per debug container); start another with POST …/containers/${target}/debug.`,
      );
    this.hold(id);
    return {
      row,
      done: () => {
        this.release(id);
        return this.end(row, 'shell-exited');
      },
    };
  }

  private hold(id: string): void {
    this.held.add(id);
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      this.store
        .seen([...this.held], nowIso())
        .catch((err: unknown) => this.deps.ctx.log.warn({ err }, 'debug shell heartbeat failed'));
    }, heartbeatMs);
    this.heartbeat.unref();
  }

  private release(id: string): void {
    this.held.delete(id);
    if (this.held.size === 0 && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = null;
    }
  }

  /** Ends a session: removes its container (gone already is fine) and records why. */
  async end(row: DebugSessionRow, reason: string): Promise<void> {
    // The reason is recorded before the container goes: a sweep that lists the containers while
    // this one is being removed would otherwise find its session open without a container and
    // record 'target-gone' first (the first reason stays).
    await this.store.end(row.id, nowIso(), reason);
    const engine = await this.deps.engines.get(row.cluster).catch(() => null);
    // the sweeper retries a container its cluster could not remove now (the row is ended)
    await engine
      ?.removeContainer(row.engine_id ?? row.name)
      .catch((err: unknown) =>
        this.deps.ctx.log.warn({ err, container: row.name }, 'removing a debug container failed'),
      );
  }

  /**
   * One pass: ends sessions past their time-to-live, and removes every debug container of this
   * instance whose session ended, expired, is unknown or whose process stopped.
   */
  async sweep(): Promise<void> {
    const now = Date.now();
    for (const row of await this.store.open()) {
      if (Date.parse(row.expires_at) <= now) await this.end(row, 'expired');
      else if (row.attached_at && now - Date.parse(row.seen_at ?? row.attached_at) > lostAfterMs)
        await this.end(row, 'shell-lost');
      else if (!row.attached_at && now - Date.parse(row.created_at) > unattachedMs)
        await this.end(row, 'never-attached');
    }
    const open = new Map((await this.store.open()).map((r) => [r.id, r]));
    const seen = new Set<string>();
    for (const cluster of await this.deps.engines.clusters()) {
      let engine: ContainerEngine;
      let list;
      try {
        engine = await this.deps.engines.get(cluster);
        list = await engine.listContainers({ [debugLabels.instance]: this.deps.ctx.config.instanceId });
      } catch {
        // an unreachable cluster is swept when it answers again
        for (const r of open.values()) if (r.cluster === cluster) seen.add(r.id);
        continue;
      }
      for (const o of list) {
        const id = o.labels[debugLabels.session] ?? '';
        const row = open.get(id);
        // a container still being started (an image pulled on Kubernetes) is its creator's to finish
        if (row && (o.state === 'running' || (o.state === 'created' && !row.engine_id))) {
          seen.add(id);
          continue;
        }
        await engine.removeContainer(o.id).catch(() => undefined);
        if (row) {
          seen.add(id);
          // its process ends with the target's PID namespace, or at its TTL (`sleep`)
          const target = await this.containers.findActive(row.service_id, row.target);
          const alive = target && runningStates.has(target.state) && target.state !== 'draining';
          await this.store.end(id, nowIso(), alive ? 'stopped' : 'target-gone');
        }
      }
    }
    // open sessions without a container: removed with their target (its engine id was stored
    // before the listing began, so the listing would show it), or never started (no engine id
    // yet: maybe being created now, so only after a minute)
    for (const row of open.values()) {
      if (seen.has(row.id)) continue;
      if (row.engine_id) await this.store.end(row.id, nowIso(), 'target-gone');
      else if (now - Date.parse(row.created_at) > 60_000) await this.store.end(row.id, nowIso(), 'failed');
    }
  }

  /** The sweeper runs on the leader with the other reconcilers (server.ts). */
  start(): void {
    if (this.timer) return;
    const every = Math.max(1000, this.deps.ctx.config.reconcileIntervalMs * 4);
    const pass = () => {
      this.sweeping = this.sweep()
        .catch((err: unknown) => this.deps.ctx.log.warn({ err }, 'debug container sweep failed'))
        .finally(() => {
          this.sweeping = null;
        });
    };
    pass();
    this.timer = setInterval(() => {
      if (!this.sweeping) pass();
    }, every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sweeping;
  }

  /** The toolbox (built on the cluster when missing), or the caller's image after admission. */
  private async image(engine: ContainerEngine, project: string, image: string | undefined, actor: Actor) {
    if (!image) return this.toolbox.ensure(engine);
    try {
      // the same admission as a service's image: the project's repositories, assigned
      // registries, public repositories
      await new RegistryAccess(this.deps.ctx).admit(actor, project, image);
    } catch (err) {
      if (err instanceof BerthError && err.code === 'IMAGE_NOT_ALLOWED')
        throw new BerthError('IMAGE_NOT_ALLOWED', err.message, {
          image,
          fields: [{ path: 'image', message: 'not allowed for this project' }],
        });
      throw err;
    }
    const { config } = this.deps.ctx;
    const where = await this.deps.engines.addresses(engine.cluster);
    const ref = imageRefOnCluster(image, config.registryListen, where.registry);
    if (ref.startsWith('localhost/') && !(await engine.inspectImage(ref)))
      throw new BerthError(
        'UNPROCESSABLE',
        `Image '${image}' is not in the local image store of cluster '${engine.cluster}'; build or pull it first, or leave out image for Berth's toolbox.`,
        { fields: [{ path: 'image', message: 'image not found' }] },
      );
    await engine.ensureImage(ref, { auth: pullCredentialFor(config, image) });
    return ref;
  }

  /** The target's user as uid:gid (so /proc/<pid>/root of its processes is readable); never root. */
  private async targetUser(
    svc: ServiceRow,
    row: { release: number; image: string },
    engine: ContainerEngine,
  ): Promise<string> {
    const release = await this.deps.repo.getRelease(svc.id, row.release);
    const configured = release ? storedSpec(release).user : undefined;
    const image = await engine.inspectImage(row.image).catch(() => null);
    const user = defaultShellUser(configured, configured === undefined ? (image?.user ?? null) : null);
    if (/^\d+:\d+$/.test(user)) return user;
    const passwd =
      engine.readImageFile && image
        ? await engine
            .readImageFile(image.id, '/etc/passwd')
            .then((b) => (b ? b.toString('utf8') : null))
            .catch(() => null)
        : null;
    return numericUser(user, passwd) ?? nobodyUser;
  }
}
