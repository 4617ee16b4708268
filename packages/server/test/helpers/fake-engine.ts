import { EndpointWatchers } from '../../src/modules/services/endpoint-watchers';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import type {
  ContainerCreateSpec,
  ContainerEngine,
  ContainerObservation,
  ContainerStats,
  EngineEvent,
  EngineHealth,
  ExecOptions,
  ExecResult,
  ExecSession,
  ImageInfo,
  ImageRemoval,
  LogLine,
  LogOptions,
  ObservedState,
  StoredImage,
} from '@berth/engine-api';
import type { FastifyInstance } from 'fastify';
import { EngineError, UnavailableError } from '@berth/shared';
import { SecretBox } from '../../src/crypto/secret-box';
import { migrateToLatest, openDatabase } from '../../src/db/database';
import { createHttpApp } from '../../src/http/app';
import type { AppContext } from '../../src/http/context';
import { RouteRegistry } from '../../src/http/route';
import { createAudit } from '../../src/modules/audit/audit.module';
import { registerContainerRoutes } from '../../src/modules/containers/containers.routes';
import { StatsSampler } from '../../src/modules/containers/stats-sampler';
import { createIdentity } from '../../src/modules/identity/identity.module';
import type { ServicesModuleDeps } from '../../src/modules/services/services.module';
import {
  ServicesRepository,
  type ContainerRow,
  type ServiceRow,
} from '../../src/modules/services/services.repository';
import { registerServiceRoutes } from '../../src/modules/services/services.routes';
import { ServicesService } from '../../src/modules/services/services.service';
import { TaskRepository } from '../../src/modules/tasks/tasks.repository';
import { Quotas } from '../../src/modules/quotas/quotas';
import { wantedCanaries } from '../../src/modules/gateways/canary-releases';
import { singleEngine } from '../../src/runtime/engines';
import { createTestDatabase, loginAs, testConfig, type Caller, type TestDialect } from './db';

/** A container the fake engine holds. */
export interface FakeContainer {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  state: ObservedState;
  logs: LogLine[];
  stats: Omit<ContainerStats, 'id' | 'name'>;
  /** Published ports: container port → "hostIp:hostPort" (runContainer fills it from the spec). */
  ports?: Record<string, string>;
  ip?: string | null;
  /** The id of the image it was created from (it keeps using it when that name is untagged). */
  imageId?: string;
  startedAt?: string;
  finishedAt?: string | null;
  exitCode?: number | null;
  memoryLimitBytes?: number | null;
}

/**
 * An interactive exec that behaves like a shell on a TTY: it echoes input, answers a line
 * `exit N` by exiting with code N, and records resizes. close() ends it with code 129 (SIGHUP),
 * as a real TTY shell ends when its terminal goes.
 */
export class FakeExec implements ExecSession {
  readonly stream: Duplex;
  readonly resizes: Array<[number, number]> = [];
  input = '';
  closed = false;
  private code: number | null = null;
  private readonly exited = new EventEmitter();
  private line = '';

  constructor(
    readonly target: string,
    readonly opts: ExecOptions,
  ) {
    this.stream = new Duplex({
      read: () => undefined,
      write: (chunk: Buffer, _enc, cb) => {
        const text = chunk.toString('utf8');
        this.input += text;
        this.stream.push(text);
        for (const ch of text) {
          if (ch !== '\r' && ch !== '\n') this.line += ch;
          else {
            const m = /^exit (\d+)$/.exec(this.line.trim());
            this.line = '';
            if (m) this.exit(Number(m[1]));
          }
        }
        cb();
      },
    });
    this.stream.push('$ ');
  }

  exit(code: number): void {
    if (this.code !== null) return;
    this.code = code;
    this.stream.push(null);
    this.exited.emit('exit');
  }

  resize(cols: number, rows: number): Promise<void> {
    this.resizes.push([cols, rows]);
    return Promise.resolve();
  }

  exitCode(): Promise<number | null> {
    if (this.code !== null) return Promise.resolve(this.code);
    return new Promise((resolve) => this.exited.once('exit', () => resolve(this.code)));
  }

  close(): void {
    this.closed = true;
    this.exit(129);
  }
}

const zeroStats = {
  cpuPercent: 0,
  memoryBytes: 0,
  memoryLimitBytes: 0,
  netRxBytes: 0,
  netTxBytes: 0,
  blockReadBytes: 0,
  blockWriteBytes: 0,
};

/** ContainerEngine in memory, for tests of code that sits on top of an engine. */
export class FakeEngine implements ContainerEngine {
  readonly kind = 'fake';
  readonly cluster: string;
  readonly containers = new Map<string, FakeContainer>();
  /** Local images by name; names of one image share its ImageInfo (same id). */
  readonly images = new Map<string, ImageInfo>();
  readonly execs: FakeExec[] = [];
  /** When set, stats() of more than one container throws (as Podman does when one of them stopped). */
  failBatchStats = false;
  /** When set, every call that reads a container throws, like an engine that is down. */
  down = false;
  private readonly changes = new EventEmitter();
  /** Lifecycle events (start, died), as engine.events() streams them. */
  private readonly lifecycle = new EventEmitter();
  private seq = 0;
  private nextHostPort = 40_000;

  constructor(cluster = 'local') {
    this.cluster = cluster;
  }

  add(c: Partial<FakeContainer> & { name: string }): FakeContainer {
    const container: FakeContainer = {
      id: c.id ?? `${(++this.seq).toString(16).padStart(8, '0')}${'a'.repeat(56)}`,
      image: 'localhost/app:1',
      labels: {},
      state: 'running',
      logs: [],
      ...c,
      stats: { ...zeroStats, ...c.stats },
    };
    this.containers.set(container.name, container);
    return container;
  }

  /** Appends a log line; followers see it at once. */
  log(name: string, text: string, stream: LogLine['stream'] = 'stdout', at = new Date().toISOString()): void {
    const c = this.get(name);
    if (!c) throw new Error(`no fake container ${name}`);
    c.logs.push({ stream, at, text });
    this.changes.emit(c.id);
  }

  /** Stops a container: followers of its log end, event readers see it die. */
  exit(name: string, exitCode = 0): void {
    const c = this.get(name);
    if (!c) return;
    if (c.state === 'running') {
      c.exitCode = exitCode;
      c.finishedAt = new Date().toISOString();
      this.emitEvent('died', c);
    }
    c.state = 'exited';
    this.changes.emit(c.id);
  }

  get(idOrName: string): FakeContainer | undefined {
    if (this.down) throw new UnavailableError('fake engine unreachable');
    return (
      this.containers.get(idOrName) ??
      [...this.containers.values()].find((c) => c.id === idOrName || c.id.startsWith(idOrName))
    );
  }

  health(): Promise<EngineHealth> {
    return Promise.resolve({
      ok: !this.down,
      version: 'fake',
      message: this.down ? 'fake engine unreachable' : null,
    });
  }

  inspectImage(ref: string): Promise<ImageInfo | null> {
    return Promise.resolve(this.images.get(ref) ?? null);
  }

  async ensureImage(ref: string): Promise<ImageInfo> {
    const info = this.images.get(ref) ?? {
      id: ref,
      digest: `sha256:${createHash('sha256').update(ref).digest('hex')}`,
      user: '',
      exposedPorts: [],
      sizeBytes: 1,
    };
    this.images.set(ref, info);
    return info;
  }

  /** Gives the image `source` the further name `name` (as `podman tag`). */
  tag(source: string, name: string): void {
    const info = this.images.get(source);
    if (!info) throw new EngineError(`image ${source} is not present in the fake engine`);
    this.images.set(name, info);
  }

  /** The names of the image with this id. */
  private namesOf(id: string): string[] {
    return [...this.images].filter(([, info]) => info.id === id).map(([name]) => name);
  }

  /** Containers (any state) created from the image with this id. */
  private usersOf(id: string): number {
    const names = this.namesOf(id);
    return [...this.containers.values()].filter((c) =>
      c.imageId ? c.imageId === id : names.includes(c.image),
    ).length;
  }

  async listImages(): Promise<StoredImage[]> {
    if (this.down) throw new UnavailableError('fake engine unreachable');
    const byId = new Map<string, ImageInfo>();
    for (const info of this.images.values()) byId.set(info.id, info);
    return [...byId.values()].map((info) => {
      // as Podman lists them: a name pulled by digest (host/repo@sha256:…) is a name too, and a
      // repo digest; a tag name gives its repository's digest
      const names = this.namesOf(info.id);
      const tagged = names.filter((n) => !n.includes('@'));
      const digests = names.filter((n) => n.includes('@'));
      return {
        id: info.id,
        names,
        digests: [...digests, ...tagged.map((n) => `${n.replace(/:[\w][\w.-]*$/, '')}@${info.digest}`)],
        containers: this.usersOf(info.id),
        sizeBytes: info.sizeBytes,
        createdAt: '2025-01-01T00:00:00.000Z',
      };
    });
  }

  /**
   * As Podman answers (docs/runtime-notes.md "Removing images"): one of several names is untagged
   * even while a container uses the image; the last name, or the id, of an image a container of any
   * state uses is refused; by id, an image with several names is an error.
   */
  async removeImage(ref: string): Promise<ImageRemoval> {
    if (this.down) throw new UnavailableError('fake engine unreachable');
    const byName = this.images.get(ref);
    const id = byName?.id ?? [...this.images.values()].find((i) => i.id === ref)?.id;
    if (id === undefined) return 'missing';
    const names = this.namesOf(id);
    if (byName && names.length > 1) {
      this.images.delete(ref);
      return 'untagged';
    }
    if (!byName && names.length > 1)
      throw new EngineError(
        `unable to delete image ${ref} by ID with more than one tag: please force removal`,
      );
    if (this.usersOf(id) > 0) return 'in-use';
    for (const name of names) this.images.delete(name);
    return 'removed';
  }

  /** Runs a container of an image it has (ensureImage pulls any); refuses others as Podman does. */
  async runContainer(spec: ContainerCreateSpec): Promise<string> {
    if (this.down) throw new UnavailableError('fake engine unreachable');
    if (!this.images.has(spec.image))
      throw new EngineError(`image ${spec.image} is not present in the fake engine; pull it first`);
    if (this.containers.has(spec.name))
      throw new EngineError(`the container name ${spec.name} is already in use`);
    const ports: Record<string, string> = {};
    for (const p of spec.ports)
      ports[String(p.containerPort)] = `${p.hostIp ?? '0.0.0.0'}:${p.hostPort || this.nextHostPort++}`;
    const c = this.add({
      name: spec.name,
      image: spec.image,
      imageId: this.images.get(spec.image)?.id,
      labels: spec.labels,
      ports,
      ip: `10.88.0.${(this.seq % 250) + 2}`,
      startedAt: new Date().toISOString(),
      memoryLimitBytes: spec.memoryMiB ? spec.memoryMiB * 1024 * 1024 : null,
    });
    this.emitEvent('start', c);
    return c.id;
  }

  async stopContainer(idOrName: string): Promise<void> {
    const c = this.get(idOrName);
    if (c) this.exit(c.name);
  }

  async removeContainer(idOrName: string): Promise<void> {
    const c = this.get(idOrName);
    if (c) this.containers.delete(c.name);
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerObservation[]> {
    if (this.down) throw new UnavailableError('fake engine unreachable');
    return [...this.containers.values()]
      .filter((c) => Object.entries(labels).every(([k, v]) => c.labels[k] === v))
      .map((c) => this.observe(c));
  }

  async inspectContainer(idOrName: string): Promise<ContainerObservation | null> {
    const c = this.get(idOrName);
    return c ? this.observe(c) : null;
  }

  async *logs(idOrName: string, opts: LogOptions): AsyncIterable<LogLine> {
    const c = this.get(idOrName);
    if (!c) throw new Error(`no such container ${idOrName}`);
    const since = opts.since ? Date.parse(opts.since) : -Infinity;
    const old = c.logs.filter((l) => Date.parse(l.at) >= since);
    yield* opts.tail !== undefined ? old.slice(-opts.tail) : old;
    if (!opts.follow) return;
    let sent = c.logs.length;
    while (c.state === 'running' && !opts.signal?.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.changes.off(c.id, done);
          opts.signal?.removeEventListener('abort', done);
          resolve();
        };
        this.changes.on(c.id, done);
        opts.signal?.addEventListener('abort', done);
      });
      yield* c.logs.slice(sent);
      sent = c.logs.length;
    }
  }

  async exec(idOrName: string, opts: ExecOptions): Promise<ExecSession> {
    const c = this.get(idOrName);
    if (!c || c.state !== 'running') throw new EngineError(`container ${idOrName} is not running`);
    const exec = new FakeExec(c.name, opts);
    this.execs.push(exec);
    return exec;
  }

  async execRun(): Promise<ExecResult> {
    return { exitCode: 0, stdout: '', stderr: '' };
  }

  async stats(idsOrNames: string[]): Promise<ContainerStats[]> {
    if (this.failBatchStats && idsOrNames.length > 1) throw new Error('container state improper');
    return idsOrNames.map((id) => {
      const c = this.get(id);
      if (!c || c.state !== 'running') throw new Error(`container ${id} is not running`);
      return { id: c.id, name: c.name, ...c.stats };
    });
  }

  /** The start and died events of containers with every given label, until signal aborts. */
  async *events(labels: Record<string, string>, signal: AbortSignal): AsyncIterable<EngineEvent> {
    const queue: EngineEvent[] = [];
    let wake: (() => void) | null = null;
    const onEvent = (e: EngineEvent) => {
      if (!Object.entries(labels).every(([k, v]) => e.labels[k] === v)) return;
      queue.push(e);
      wake?.();
    };
    const onAbort = () => wake?.();
    this.lifecycle.on('event', onEvent);
    signal.addEventListener('abort', onAbort);
    try {
      while (!signal.aborted) {
        const next = queue.shift();
        if (next) yield next;
        else await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    } finally {
      this.lifecycle.off('event', onEvent);
      signal.removeEventListener('abort', onAbort);
    }
  }

  private emitEvent(type: 'start' | 'died', c: FakeContainer): void {
    const e: EngineEvent = {
      type,
      containerId: c.id,
      containerName: c.name,
      labels: { ...c.labels },
      at: new Date().toISOString(),
      exitCode: type === 'died' ? (c.exitCode ?? 0) : null,
    };
    this.lifecycle.emit('event', e);
  }

  private observe(c: FakeContainer): ContainerObservation {
    return {
      id: c.id,
      name: c.name,
      labels: c.labels,
      state: c.state,
      image: c.image,
      imageDigest: null,
      ip: c.ip ?? null,
      ports: { ...c.ports },
      node: 'local',
      createdAt: '2025-01-01T00:00:00.000Z',
      startedAt: c.startedAt ?? '2025-01-01T00:00:01.000Z',
      finishedAt: c.state === 'exited' ? (c.finishedAt ?? null) : null,
      exitCode: c.state === 'exited' ? (c.exitCode ?? 0) : null,
      oomKilled: false,
      memoryLimitBytes: c.memoryLimitBytes ?? null,
    };
  }
}

// ---- a Berth API over the fake engine --------------------------------------------------------

export const fakeAdminPassword = 'admin-password-for-container-tests';

/** The API with identity, audit, services and container routes over a FakeEngine, listening on loopback. */
export interface FakePlatform {
  url: string;
  app: FastifyInstance;
  ctx: AppContext;
  engine: FakeEngine;
  deps: ServicesModuleDeps;
  sampler: StatsSampler;
  /** Service ids the routes asked the controller to reconcile. */
  kicks: string[];
  admin: Caller;
  /** Creates a service in project "web", env "test" (there is no controller: no containers appear). */
  createService(name: string, spec?: Record<string, unknown>): Promise<ServiceRow>;
  /** Adds a ledger row and, unless it is gone, the engine container behind it. */
  addContainer(service: ServiceRow, name: string, row?: Partial<ContainerRow>): Promise<ContainerRow>;
  close(): Promise<void>;
}

/**
 * Composes the server the way server.ts does, minus the controllers, which tests of the routes
 * do not need: they put ledger rows in place themselves.
 */
export async function startFakePlatform(dialect: TestDialect = 'sqlite'): Promise<FakePlatform> {
  const testDb = await createTestDatabase(dialect);
  const config = testConfig(testDb, { BERTH_ADMIN_PASSWORD: fakeAdminPassword });
  const app = createHttpApp(config.logLevel);
  const opened = openDatabase(config.databaseUrl);
  await migrateToLatest(opened.db);
  const audit = createAudit(opened.db);
  const identity = createIdentity({ db: opened.db, config, log: app.log });
  const ctx: AppContext = {
    config,
    db: opened.db,
    dialect: opened.dialect,
    log: app.log,
    auth: identity.authenticator,
    audit: audit.sink,
  };
  await identity.bootstrap();
  const registry = new RouteRegistry(app, ctx);
  identity.registerRoutes(registry, ctx);
  audit.registerRoutes(registry, ctx);

  const engine = new FakeEngine();
  engine.images.set('localhost/app:1', {
    id: 'img1',
    digest: 'sha256:img1',
    user: '',
    exposedPorts: [],
    sizeBytes: 1,
  });
  const repo = new ServicesRepository(opened.db);
  const tasks = new TaskRepository(opened.db);
  const secrets = SecretBox.fromDataDir(config.dataDir);
  const service = new ServicesService(
    ctx,
    repo,
    tasks,
    secrets,
    engine,
    new Quotas(ctx, () => wantedCanaries(opened.db)),
  );
  const kicks: string[] = [];
  const deps: ServicesModuleDeps = {
    ctx,
    engine,
    engines: singleEngine(engine),
    repo,
    tasks,
    service,
    secrets,
    watchers: new EndpointWatchers(),
    kick: (id) => void kicks.push(id),
  };
  const sampler = new StatsSampler(deps);
  registerServiceRoutes(registry, deps);
  registerContainerRoutes(registry, app, deps, sampler);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;

  const admin = await loginAs(app, 'admin', fakeAdminPassword);
  await admin.post('/api/v1/teams', { name: 'shop' });
  await admin.post('/api/v1/projects', { name: 'web', team: 'shop' });
  let created = 0;

  return {
    url,
    app,
    ctx,
    engine,
    deps,
    sampler,
    kicks,
    admin,
    async createService(name, spec = {}) {
      const res = await admin.post('/api/v1/projects/web/envs/test/services', {
        name,
        spec: { image: 'localhost/app:1', replicas: 2, ...spec },
      });
      if (res.status !== 202)
        throw new Error(`create service ${name}: ${res.status} ${JSON.stringify(res.body)}`);
      return (await repo.findByPath('web', 'test', name))!;
    },
    async addContainer(svc, name, row = {}) {
      const gone = row.state === 'removed';
      const engineId = gone ? null : engine.add({ name }).id;
      const full: ContainerRow = {
        name,
        service_id: svc.id,
        release: 1,
        restart_nonce: 0,
        engine_id: engineId,
        cluster: 'local',
        node: 'local',
        ip: `10.88.0.${++created}`,
        endpoints: '{}',
        image: 'localhost/app:1',
        image_digest: null,
        state: 'ready',
        ready: 1,
        in_rotation: 1,
        restarts: 0,
        created_at: new Date(Date.now() + created).toISOString(),
        started_at: null,
        stopped_at: null,
        drain_until: null,
        left_rotation_at: null,
        drain_seconds: null,
        drain_gates: null,
        removed_from_gateways_at: null,
        exit_code: null,
        exit_reason: null,
        ...row,
      };
      await repo.insertContainer(full);
      return full;
    },
    async close() {
      await sampler.stop();
      // fetch() may hold a spare keep-alive connection that would delay close by seconds.
      app.server.closeAllConnections();
      await app.close();
      await opened.close();
      await testDb.drop();
    },
  };
}
