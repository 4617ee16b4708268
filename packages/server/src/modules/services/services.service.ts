import type { Db } from '../../db/database';
import { EventEmitter } from 'node:events';
import {
  BerthError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  userRootForm,
  type EnvVar,
  type ReleaseSpec,
  type ServiceSpec,
  type Task,
} from '@berth/shared';
import type { ContainerEngine } from '@berth/engine-api';
import type { AppContext, Actor } from '../../http/context';
import type { SecretBox } from '../../crypto/secret-box';
import { newId, nowIso } from '../../util';
import type { TaskRepository } from '../tasks/tasks.repository';
import { RegistryAccess } from '../registry/registry-access';
import { storedSpec } from './service-views';
import { ImageUsers } from './image-users';
import { withProjectLock, type Quotas } from '../quotas/quotas';
import { PlacementPlanner } from '../placement/placement-plan';
import { clusterCatalog } from '../placement/cluster-catalog';
import { checkRunsOnKubernetes } from './workload-specs';
import type { ReleaseRow, ServiceRow, ServicesRepository } from './services.repository';
import type { MountSource } from './mount-source';

export interface ServicePath {
  project: string;
  env: string;
  service: string;
}

/**
 * Seals the values of secret variables (AES-GCM, crypto/secret-box.ts); a secret sent with value
 * null keeps the sealed value it had in `previous`. Services and cron jobs store env this way.
 */
export function sealEnv(
  env: readonly EnvVar[],
  previous: readonly EnvVar[] | undefined,
  secrets: SecretBox,
): EnvVar[] {
  return env.map((e) => {
    if (!e.secret) return { name: e.name, value: e.value ?? '', secret: false };
    if (e.value === null || e.value === undefined) {
      const old = previous?.find((p) => p.name === e.name && p.secret);
      return { name: e.name, value: old?.value ?? null, secret: true };
    }
    return { name: e.name, value: secrets.seal(e.value), secret: true };
  });
}

export function pathOf(row: Pick<ServiceRow, 'project' | 'env' | 'name'>): string {
  return `${row.project}/${row.env}/${row.name}`;
}

/**
 * The service operations. Each writes desired state and a task, then kicks the controller;
 * none drives the engine step by step inside the request (DESIGN §2).
 */
/** Throws ENV_NOT_FOUND, naming the environments there are, when `env` does not exist. */
export async function requireEnvironment(db: Db, env: string): Promise<void> {
  const e = await db.selectFrom('environments').select('name').where('name', '=', env).executeTakeFirst();
  if (e) return;
  const envs = await db.selectFrom('environments').select('name').execute();
  throw new NotFoundError(
    'ENV_NOT_FOUND',
    `Environment '${env}' does not exist; use one of: ${envs.map((x) => x.name).join(', ')}.`,
  );
}

export class ServicesService {
  /** Emits 'kick' (serviceId) when desired state changed. */
  readonly signals = new EventEmitter();
  private readonly users: ImageUsers;
  private readonly placement: PlacementPlanner;

  constructor(
    private readonly ctx: AppContext,
    private readonly repo: ServicesRepository,
    private readonly tasks: TaskRepository,
    private readonly secrets: SecretBox,
    private readonly engine: ContainerEngine,
    /** Admission against the project's quota (the quotas module). */
    private readonly quotas: Quotas,
    /** The kinds of `spec.mounts` (configs, volumes): checked on every admission, pinned per release. */
    private readonly mounts: MountSource[] = [],
  ) {
    this.users = new ImageUsers(engine);
    this.placement = new PlacementPlanner(clusterCatalog(ctx.db), ctx.config.localCluster);
  }

  async resolve(p: ServicePath): Promise<ServiceRow> {
    const row = await this.repo.findByPath(p.project, p.env, p.service);
    if (!row || row.deleting === 1) {
      throw new NotFoundError(
        'SERVICE_NOT_FOUND',
        `Service '${p.service}' does not exist in project '${p.project}' (env '${p.env}').`,
      );
    }
    return row;
  }

  private async checkPlace(project: string, env: string): Promise<void> {
    const proj = await this.ctx.db
      .selectFrom('projects')
      .select('name')
      .where('name', '=', project)
      .executeTakeFirst();
    if (!proj) throw new NotFoundError('PROJECT_NOT_FOUND', `Project '${project}' does not exist.`);
    await requireEnvironment(this.ctx.db, env);
  }

  /**
   * Workload admission: root in any form (runAsRoot; spec.user 0, 00, root, 0:x, root:x, or a
   * name that is uid 0 in the image) needs services:exec-root, and capabilities need
   * services:capabilities. Returns the spec to store: a permitted root user also gets
   * runAsRoot, which is what ContainerRunner checks again before it starts a container.
   * A name is resolved when the image is in the local store; otherwise the runner resolves it.
   */
  async checkWorkload<S extends Pick<ReleaseSpec, 'user' | 'image' | 'runAsRoot' | 'capabilities'>>(
    actor: Actor,
    project: string,
    spec: S,
  ): Promise<S> {
    const scope = { kind: 'project' as const, project };
    let rootUser = false;
    let why = '';
    const form = userRootForm(spec.user);
    if (form === 'root') {
      rootUser = true;
      why = `spec.user "${spec.user}" runs the container as root (uid 0)`;
    } else if (form === 'name') {
      const image = await this.engine.inspectImage(spec.image).catch(() => null);
      if (image && (await this.users.isRoot(spec.user!, image.id))) {
        rootUser = true;
        why = `spec.user "${spec.user}" is uid 0 (root) in image ${spec.image}`;
      }
    }
    if (
      (rootUser || spec.runAsRoot) &&
      !(await this.ctx.auth.authorize(actor, 'services:exec-root', scope))
    ) {
      const path = rootUser ? 'spec.user' : 'spec.runAsRoot';
      throw new ForbiddenError(
        rootUser
          ? `${why}, which needs the "services:exec-root" permission (team admin); set a non-root uid such as "1000", or ask a team admin.`
          : 'runAsRoot needs the "services:exec-root" permission (team admin); remove it or ask an admin.',
        {
          permission: 'services:exec-root',
          fields: [{ path, message: 'needs the "services:exec-root" permission' }],
        },
      );
    }
    if (
      spec.capabilities?.length &&
      !(await this.ctx.auth.authorize(actor, 'services:capabilities', scope))
    ) {
      throw new ForbiddenError(
        `spec.capabilities (${spec.capabilities.join(', ')}) needs the "services:capabilities" permission (team admin); remove them or ask a team admin.`,
        {
          permission: 'services:capabilities',
          fields: [{ path: 'spec.capabilities', message: 'needs the "services:capabilities" permission' }],
        },
      );
    }
    return rootUser && !spec.runAsRoot ? { ...spec, runAsRoot: true } : spec;
  }

  /** Every mount source checks its kind of `spec.mounts` (400/404 at `spec.mounts.N.…`). */
  private async checkMounts(project: string, env: string, spec: ReleaseSpec): Promise<void> {
    await this.checkKubernetes(env, spec);
    if (!spec.mounts?.length) return;
    for (const source of this.mounts) await source.check(project, env, spec.mounts, spec);
  }

  /**
   * A spec whose placement can reach a Kubernetes cluster of the env must be one Kubernetes can
   * run (workload-specs.ts): refused here with 400 at the field, not found out later by the
   * controller's apply.
   */
  private async checkKubernetes(env: string, spec: ReleaseSpec): Promise<void> {
    if (!spec.mounts?.length && !spec.user) return;
    const clusters = (await clusterCatalog(this.ctx.db).forEnv(env)) ?? [];
    const p = spec.placement;
    const reachable =
      p === undefined && this.ctx.config.localCluster
        ? ['local']
        : p === undefined || p.clusters === 'all'
          ? clusters.map((c) => c.name)
          : p.clusters.map((c) => c.name);
    const kube = clusters
      .filter((c) => c.kind === 'kubernetes' && reachable.includes(c.name))
      .map((c) => c.name);
    if (kube.length > 0)
      checkRunsOnKubernetes(
        spec,
        `Kubernetes cluster${kube.length > 1 ? 's' : ''} ${kube.join(', ')}`,
        reachable.filter((c) => clusters.some((k) => k.name === c)),
      );
  }

  /** A new release records what its mounts run (configs: the version), once it is written. */
  private async pinMounts(
    row: Pick<ServiceRow, 'id' | 'project' | 'env' | 'name'>,
    release: number,
    spec: ReleaseSpec,
  ): Promise<void> {
    if (!spec.mounts?.length) return;
    const target = { project: row.project, env: row.env, serviceId: row.id, service: row.name, release };
    for (const source of this.mounts) await source.pin?.(target, spec.mounts);
  }

  /** Images that only exist locally must exist now; registry images are pulled by the controller. */
  async checkImage(actor: Actor, project: string, image: string): Promise<void> {
    // Admission: the project's own repositories, assigned registries, public repositories (403 otherwise).
    await new RegistryAccess(this.ctx).admit(actor, project, image);
    if (!image.startsWith('localhost/')) return;
    const found = await this.engine.inspectImage(image);
    if (!found) {
      throw new BerthError(
        'UNPROCESSABLE',
        `Image '${image}' is not in the local image store; build or pull it first.`,
        {
          fields: [{ path: 'spec.image', message: 'image not found' }],
        },
      );
    }
  }

  /** Seals secret values; a secret sent with value null keeps the value it had in `previous`. */
  private sealSpec(spec: ReleaseSpec, previous: ReleaseSpec | null): ReleaseSpec {
    return { ...spec, env: sealEnv(spec.env, previous?.env, this.secrets) };
  }

  openSecret(sealed: string): string {
    return this.secrets.open(sealed);
  }

  private releaseRow(
    serviceId: string,
    number: number,
    spec: ReleaseSpec,
    reason: string | null,
    actor: string,
  ): ReleaseRow {
    return {
      service_id: serviceId,
      number,
      spec: JSON.stringify(spec),
      image_digest: null,
      reason,
      state: 'pending',
      created_at: nowIso(),
      created_by: actor,
    };
  }

  private async startTask(
    row: Pick<ServiceRow, 'id' | 'project' | 'env' | 'name'>,
    kind: string,
    actor: string,
    total: number,
    message: string,
  ): Promise<Task> {
    const task = await this.tasks.create({
      kind,
      target: pathOf(row),
      serviceId: row.id,
      createdBy: actor,
      total,
      message,
    });
    return task;
  }

  private kick(serviceId: string): void {
    this.signals.emit('kick', serviceId);
  }

  async create(
    project: string,
    env: string,
    input: { name: string; displayName?: string; spec: ServiceSpec; reason?: string },
    actor: Actor,
  ): Promise<{ service: ServiceRow; task: Task }> {
    await this.checkPlace(project, env);
    await this.placement.admit(env, input.spec.placement);
    const { replicas, ...requested } = input.spec;
    const releaseSpec = await this.checkWorkload(actor, project, requested);
    await this.checkImage(actor, project, releaseSpec.image);
    await this.checkMounts(project, env, releaseSpec);
    return withProjectLock(project, () =>
      this.createAdmitted(project, env, input, replicas, releaseSpec, actor),
    );
  }

  private async createAdmitted(
    project: string,
    env: string,
    input: { name: string; displayName?: string; reason?: string },
    replicas: number,
    releaseSpec: ReleaseSpec,
    actor: Actor,
  ): Promise<{ service: ServiceRow; task: Task }> {
    if (await this.repo.findByPath(project, env, input.name)) {
      throw new ConflictError(
        `Service '${input.name}' already exists in project '${project}' (env '${env}').`,
        undefined,
        'ALREADY_EXISTS',
      );
    }
    await this.quotas.admit(project, null, releaseSpec, replicas, undefined, env);
    const id = newId();
    const now = nowIso();
    const task = await this.startTask(
      { id, project, env, name: input.name },
      'deploy',
      actor.name,
      replicas,
      'creating service',
    );
    const row: ServiceRow = {
      id,
      project,
      env,
      name: input.name,
      display_name: input.displayName ?? input.name,
      replicas,
      stopped: 0,
      release: 1,
      stable_release: null,
      status: 'progressing',
      ready_replicas: 0,
      message: null,
      generation: 1,
      rollout_task: task.id,
      rollout_started_at: now,
      restart_nonce: 0,
      deleting: 0,
      created_at: now,
      updated_at: now,
      created_by: actor.name,
      updated_by: actor.name,
      version: 1,
    };
    try {
      await this.repo.insertService(
        row,
        this.releaseRow(id, 1, this.sealSpec(releaseSpec, null), input.reason ?? 'created', actor.name),
      );
    } catch (err) {
      await this.tasks.finish(task.id, 'failed', 'not created', 'the service already exists');
      if (await this.repo.findByPath(project, env, input.name)) {
        throw new ConflictError(
          `Service '${input.name}' already exists in project '${project}' (env '${env}').`,
          undefined,
          'ALREADY_EXISTS',
        );
      }
      throw err;
    }
    await this.pinMounts(row, 1, releaseSpec);
    await this.repo.addEvent(id, 'ReleaseCreated', `release 1 created by ${actor.name}`);
    this.kick(id);
    return { service: row, task };
  }

  /** Replaces the spec: a changed release spec makes a new release; a replica change alone scales. */
  async update(
    p: ServicePath,
    input: { displayName?: string; spec: ServiceSpec; reason?: string; version?: number },
    actor: Actor,
  ): Promise<{ service: ServiceRow; task: Task | null }> {
    const { replicas, ...requested } = input.spec;
    await this.placement.admit(p.env, requested.placement);
    const releaseSpec = await this.checkWorkload(actor, p.project, requested);
    await this.checkImage(actor, p.project, releaseSpec.image);
    await this.checkMounts(p.project, p.env, releaseSpec);
    return withProjectLock(p.project, () => this.updateAdmitted(p, input, replicas, releaseSpec, actor));
  }

  private async updateAdmitted(
    p: ServicePath,
    input: { displayName?: string; reason?: string; version?: number },
    replicas: number,
    releaseSpec: ReleaseSpec,
    actor: Actor,
  ): Promise<{ service: ServiceRow; task: Task | null }> {
    const row = await this.resolve(p);
    const current = await this.repo.getRelease(row.id, row.release);
    const previous = current ? storedSpec(current) : null;
    const sealed = this.sealSpec(releaseSpec, previous);
    const changed = JSON.stringify(sealed) !== JSON.stringify(previous);
    if (
      !changed &&
      replicas === row.replicas &&
      (input.displayName ?? row.display_name) === row.display_name
    ) {
      return { service: row, task: null };
    }
    if (row.stopped === 0)
      await this.quotas.admit(p.project, row.id, releaseSpec, replicas, undefined, p.env);
    const number = changed ? (await this.repo.maxRelease(row.id)) + 1 : row.release;
    const task =
      changed || replicas !== row.replicas
        ? await this.startTask(
            row,
            changed ? 'deploy' : 'scale',
            actor.name,
            replicas,
            changed ? `rolling to release ${number}` : `scaling to ${replicas}`,
          )
        : null;
    const ok = await this.repo.updateService(
      row.id,
      {
        replicas,
        display_name: input.displayName ?? row.display_name,
        release: number,
        updated_by: actor.name,
        ...(task ? { rollout_task: task.id, rollout_started_at: nowIso(), status: 'progressing' } : {}),
      },
      {
        expectedVersion: input.version,
        ...(changed
          ? { release: this.releaseRow(row.id, number, sealed, input.reason ?? null, actor.name) }
          : {}),
      },
    );
    if (!ok) {
      if (task) await this.tasks.finish(task.id, 'cancelled', 'not applied', 'the service changed meanwhile');
      const now = await this.resolve(p);
      throw new ConflictError(
        `Service '${p.service}' was changed by someone else (version ${now.version}); reload it and apply your change again.`,
        { currentVersion: now.version },
        'VERSION_CONFLICT',
      );
    }
    if (changed) await this.pinMounts(row, number, sealed);
    if (changed)
      await this.repo.addEvent(
        row.id,
        'ReleaseCreated',
        `release ${number} created by ${actor.name}${input.reason ? `: ${input.reason}` : ''}`,
      );
    await this.supersede(row, task);
    this.kick(row.id);
    return { service: (await this.repo.findById(row.id))!, task };
  }

  /**
   * A new release with the running release's spec, rolled out like any other (a config a mount
   * follows has a new version: docs/configs.md). Returns its number and the rollout's task; null
   * when the service is gone or being deleted.
   */
  async renew(
    serviceId: string,
    reason: string,
    actor: string,
  ): Promise<{ release: number; task: string } | null> {
    const stale = await this.repo.findById(serviceId);
    if (!stale || stale.deleting === 1) return null;
    return withProjectLock(stale.project, async () => {
      const row = await this.repo.findById(serviceId);
      const current = row && row.deleting === 0 ? await this.repo.getRelease(row.id, row.release) : null;
      if (!row || !current) return null;
      const spec = storedSpec(current);
      const number = (await this.repo.maxRelease(row.id)) + 1;
      const task = await this.startTask(
        row,
        'deploy',
        actor,
        row.replicas,
        `rolling to release ${number}: ${reason}`,
      );
      await this.repo.updateService(
        row.id,
        {
          release: number,
          updated_by: actor,
          rollout_task: task.id,
          rollout_started_at: nowIso(),
          status: 'progressing',
        },
        { release: this.releaseRow(row.id, number, spec, reason, actor) },
      );
      await this.supersede(row, task);
      await this.pinMounts(row, number, spec);
      await this.repo.addEvent(row.id, 'ReleaseCreated', `release ${number} created by ${actor}: ${reason}`);
      this.kick(row.id);
      return { release: number, task: task.id };
    });
  }

  /** A new operation replaces the previous rollout's task. */
  private async supersede(row: ServiceRow, next: Task | null): Promise<void> {
    if (row.rollout_task && row.rollout_task !== next?.id) {
      await this.tasks.finish(row.rollout_task, 'cancelled', 'superseded by a newer change', null);
    }
  }

  private async simpleChange(
    p: ServicePath,
    actor: Actor,
    kind: string,
    message: string,
    patch: (row: ServiceRow) => Partial<ServiceRow>,
  ): Promise<{ service: ServiceRow; task: Task }> {
    return withProjectLock(p.project, () => this.simpleChangeAdmitted(p, actor, kind, message, patch));
  }

  private async simpleChangeAdmitted(
    p: ServicePath,
    actor: Actor,
    kind: string,
    message: string,
    patch: (row: ServiceRow) => Partial<ServiceRow>,
  ): Promise<{ service: ServiceRow; task: Task }> {
    const row = await this.resolve(p);
    const next = { ...row, ...patch(row) };
    if (next.stopped === 0 && next.deleting === 0 && ['scale', 'start', 'rollback'].includes(kind)) {
      const release = await this.repo.getRelease(row.id, next.release);
      if (release) {
        const spec = storedSpec(release);
        if (kind === 'rollback') {
          await this.checkWorkload(actor, p.project, spec);
          await this.checkMounts(p.project, p.env, spec);
          await this.placement.admit(p.env, spec.placement);
        }
        await this.quotas.admit(p.project, row.id, spec, next.replicas, undefined, p.env);
      }
    }
    const wanted = next.stopped === 1 ? 0 : next.replicas;
    const task = await this.startTask(row, kind, actor.name, wanted, message);
    await this.repo.updateService(row.id, {
      ...patch(row),
      updated_by: actor.name,
      rollout_task: task.id,
      rollout_started_at: nowIso(),
      status: 'progressing',
    });
    await this.supersede(row, task);
    await this.repo.addEvent(row.id, kind[0]!.toUpperCase() + kind.slice(1), `${message} by ${actor.name}`);
    this.kick(row.id);
    return { service: (await this.repo.findById(row.id))!, task };
  }

  scale(p: ServicePath, replicas: number, actor: Actor) {
    return this.simpleChange(p, actor, 'scale', `scale to ${replicas}`, () => ({ replicas }));
  }

  restart(p: ServicePath, actor: Actor) {
    return this.simpleChange(p, actor, 'restart', 'rolling restart', (row) => ({
      restart_nonce: row.restart_nonce + 1,
    }));
  }

  stop(p: ServicePath, actor: Actor) {
    return this.simpleChange(p, actor, 'stop', 'stop', () => ({ stopped: 1 }));
  }

  start(p: ServicePath, actor: Actor) {
    return this.simpleChange(p, actor, 'start', 'start', () => ({ stopped: 0 }));
  }

  async rollback(p: ServicePath, release: number | undefined, actor: Actor) {
    const row = await this.resolve(p);
    let target = release;
    if (target === undefined) {
      const releases = await this.repo.listReleases(row.id);
      target = releases.find((r) => r.number < row.release && r.state !== 'failed')?.number;
      if (target === undefined)
        throw new BerthError(
          'UNPROCESSABLE',
          `Service '${p.service}' has no earlier good release to roll back to.`,
        );
    }
    if (!(await this.repo.getRelease(row.id, target))) {
      throw new NotFoundError(
        'RELEASE_NOT_FOUND',
        `Release ${target} of service '${p.service}' does not exist; list releases with GET …/releases.`,
      );
    }
    if (target === row.release)
      throw new ConflictError(`Service '${p.service}' already runs release ${target}.`);
    return this.simpleChange(p, actor, 'rollback', `roll back to release ${target}`, () => ({
      release: target,
    }));
  }

  /** Copies a release to the same-named service of another environment (creating it if needed). */
  async promote(p: ServicePath, input: { release?: number; toEnv: string; reason?: string }, actor: Actor) {
    const row = await this.resolve(p);
    if (input.toEnv === p.env)
      throw new BerthError(
        'UNPROCESSABLE',
        `The service is already in environment '${p.env}'; choose another target environment.`,
      );
    if (!(await this.ctx.auth.authorize(actor, 'services:write', { kind: 'project', project: p.project }))) {
      throw new ForbiddenError('Promoting needs services:write on the project.');
    }
    const number = input.release ?? row.stable_release ?? row.release;
    const release = await this.repo.getRelease(row.id, number);
    if (!release)
      throw new NotFoundError(
        'RELEASE_NOT_FOUND',
        `Release ${number} of service '${p.service}' does not exist.`,
      );
    const spec = storedSpec(release);
    await this.checkImage(actor, p.project, spec.image);
    const reason = input.reason ?? `promoted from ${p.env} release ${number}`;
    const target = await this.repo.findByPath(p.project, input.toEnv, p.service);
    await this.checkPlace(p.project, input.toEnv);
    if (!target) {
      const envSpec = {
        ...spec,
        env: spec.env.map((e) => (e.secret && e.value ? { ...e, value: this.secrets.open(e.value) } : e)),
      };
      return this.create(
        p.project,
        input.toEnv,
        {
          name: p.service,
          displayName: row.display_name,
          spec: { ...envSpec, replicas: row.replicas },
          reason,
        },
        actor,
      );
    }
    await this.checkWorkload(actor, p.project, spec);
    await this.checkMounts(p.project, input.toEnv, spec);
    await this.placement.admit(input.toEnv, spec.placement);
    return withProjectLock(p.project, () => this.promoteAdmitted(p, target, spec, { number, reason }, actor));
  }

  private async promoteAdmitted(
    p: ServicePath,
    stale: ServiceRow,
    spec: ReleaseSpec,
    from: { number: number; reason: string },
    actor: Actor,
  ) {
    const target = (await this.repo.findById(stale.id)) ?? stale;
    const { number, reason } = from;
    if (target.stopped === 0)
      await this.quotas.admit(p.project, target.id, spec, target.replicas, undefined, target.env);
    const number2 = (await this.repo.maxRelease(target.id)) + 1;
    const task = await this.startTask(
      target,
      'deploy',
      actor.name,
      target.replicas,
      `promoting ${p.env} release ${number} as release ${number2}`,
    );
    await this.repo.updateService(
      target.id,
      {
        release: number2,
        updated_by: actor.name,
        rollout_task: task.id,
        rollout_started_at: nowIso(),
        status: 'progressing',
      },
      { release: this.releaseRow(target.id, number2, spec, reason, actor.name) },
    );
    await this.supersede(target, task);
    await this.pinMounts(target, number2, spec);
    await this.repo.addEvent(target.id, 'ReleaseCreated', `release ${number2} ${reason} by ${actor.name}`);
    this.kick(target.id);
    return { service: (await this.repo.findById(target.id))!, task };
  }

  async remove(p: ServicePath, actor: Actor) {
    return this.simpleChange(p, actor, 'delete', 'delete', () => ({ deleting: 1 }));
  }
}
