/**
 * Volumes (docs/volumes.md): classes (platform admins) and the volumes of a project's environment,
 * their engine volumes, usage, users, export and import.
 */
import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import {
  isWorkloadEngine,
  type ContainerEngine,
  type NamespaceSpec,
  type WorkloadEngine,
  type WorkloadVolumeMount,
} from '@berth/engine-api';
import {
  BerthError,
  ConflictError,
  EngineError,
  InvalidError,
  NotFoundError,
  type CreateVolumeRequest,
  type Volume,
  type VolumeClass,
  type VolumeClassKind,
  type VolumeClassRequest,
  type VolumeUser,
} from '@berth/shared';
import type { AppContext } from '../../http/context';
import type { Engines } from '../../runtime/engines';
import type { VolumeClassesTable, VolumesTable } from '../../db/schema';
import { newId, nowIso, parseJson } from '../../util';
import { envClusters } from '../clusters/clusters.repository';
import { withProjectLock } from '../quotas/quotas';
import { claimNamespace, claimOf } from './volume-claims';
import {
  directoriesTar,
  engineOptions,
  isQuotaUnsupported,
  volumeDirectory,
  type ClassShape,
} from './volume-options';

/** How long a Kubernetes volume's measured usage is shown before a tools pod measures it again. */
const claimUsageTtlMs = 60_000;

/** Labels on every engine volume Berth makes for a volume. */
export const volumeLabels = {
  id: 'berth.volume-id',
  project: 'berth.project',
  env: 'berth.env',
  name: 'berth.volume',
};
const mib = 1024 * 1024;
const defaultMaxSizeMiB = 1048576;

export function classShape(row: VolumeClassesTable): ClassShape {
  return {
    kind: row.kind as VolumeClassKind,
    server: row.server,
    path: row.path,
    mountOptions: parseJson<string[]>(row.mount_options, []),
  };
}

/** The engine volume of a shared class's export itself, where Berth makes each volume's directory. */
const classRootName = (cls: string) => `berth-vc-${cls}`;

/** Fails a stream once more than `limit` bytes went through it. */
class ByteLimit extends Transform {
  private seen = 0;
  constructor(
    private readonly limit: number,
    private readonly what: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit)
      cb(new BerthError('PAYLOAD_TOO_LARGE', `${this.what}; make the volume bigger or the archive smaller.`));
    else cb(null, chunk);
  }
}

export class VolumesService {
  /** Usage of Kubernetes volumes by row id, measured by a tools pod (claimUsage). */
  private readonly measured = new Map<string, { at: number; bytes: number }>();

  constructor(
    private readonly ctx: AppContext,
    private readonly engines: Engines,
  ) {}

  private get db() {
    return this.ctx.db;
  }

  // ---- classes -------------------------------------------------------------------------------

  private async classRow(name: string): Promise<VolumeClassesTable | undefined> {
    return this.db.selectFrom('volume_classes').selectAll().where('name', '=', name).executeTakeFirst();
  }

  private async classView(row: VolumeClassesTable): Promise<VolumeClass> {
    const count = await this.db
      .selectFrom('volumes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('class', '=', row.name)
      .executeTakeFirst();
    const shape = classShape(row);
    return {
      name: row.name,
      kind: shape.kind,
      description: row.description,
      server: row.server,
      path: row.path,
      mountOptions: shape.mountOptions,
      maxSizeMiB: row.max_size_mib,
      shared: shape.kind !== 'local',
      volumes: Number(count?.n ?? 0),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      updatedBy: row.updated_by,
    };
  }

  async listClasses(): Promise<VolumeClass[]> {
    const rows = await this.db.selectFrom('volume_classes').selectAll().orderBy('name').execute();
    return Promise.all(rows.map((r) => this.classView(r)));
  }

  async getClass(name: string): Promise<VolumeClass> {
    const row = await this.classRow(name);
    if (!row) throw classNotFound(name, await this.classNames());
    return this.classView(row);
  }

  private async classNames(): Promise<string[]> {
    return (await this.db.selectFrom('volume_classes').select('name').orderBy('name').execute()).map(
      (r) => r.name,
    );
  }

  /** Creates or replaces a class; the kind of a class that has volumes cannot change. */
  async putClass(name: string, req: VolumeClassRequest, actor: string): Promise<VolumeClass> {
    const now = nowIso();
    const existing = await this.classRow(name);
    const values = {
      kind: req.kind,
      description: req.description ?? '',
      server: req.server ?? null,
      path: req.path ?? null,
      mount_options: JSON.stringify(req.mountOptions ?? []),
      max_size_mib: req.maxSizeMiB ?? defaultMaxSizeMiB,
      updated_at: now,
      updated_by: actor,
    };
    if (existing) {
      const view = await this.classView(existing);
      if (
        view.volumes > 0 &&
        (existing.kind !== req.kind || existing.server !== values.server || existing.path !== values.path)
      )
        throw new ConflictError(
          `Volume class '${name}' has ${view.volumes} volume(s): its kind, server and path cannot change (the volumes' data lives there). Make a new class instead.`,
          { fields: [{ path: 'kind', message: 'cannot change while the class has volumes' }] },
        );
      await this.db.updateTable('volume_classes').set(values).where('name', '=', name).execute();
    } else {
      await this.db
        .insertInto('volume_classes')
        .values({ name, created_at: now, ...values })
        .execute();
    }
    return this.getClass(name);
  }

  async deleteClass(name: string): Promise<void> {
    const view = await this.getClass(name);
    if (view.volumes > 0)
      throw new ConflictError(
        `Volume class '${name}' still has ${view.volumes} volume(s); delete them first.`,
        undefined,
        'CONFLICT',
      );
    await this.db.deleteFrom('volume_classes').where('name', '=', name).execute();
  }

  // ---- volumes -------------------------------------------------------------------------------

  private async checkPlace(project: string, env: string): Promise<string[]> {
    const p = await this.db
      .selectFrom('projects')
      .select('name')
      .where('name', '=', project)
      .executeTakeFirst();
    if (!p) throw new NotFoundError('PROJECT_NOT_FOUND', `Project '${project}' does not exist.`);
    const e = await this.db.selectFrom('environments').selectAll().where('name', '=', env).executeTakeFirst();
    if (!e) throw new NotFoundError('ENV_NOT_FOUND', `Environment '${env}' does not exist.`);
    return envClusters(e);
  }

  async row(project: string, env: string, name: string): Promise<VolumesTable | undefined> {
    return this.db
      .selectFrom('volumes')
      .selectAll()
      .where('project', '=', project)
      .where('env', '=', env)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  async resolve(project: string, env: string, name: string): Promise<VolumesTable> {
    await this.checkPlace(project, env);
    const row = await this.row(project, env, name);
    if (!row)
      throw new NotFoundError(
        'NOT_FOUND',
        `Volume '${name}' does not exist in project '${project}' (env '${env}'); GET /api/v1/projects/${project}/envs/${env}/volumes lists them.`,
      );
    return row;
  }

  /** Who mounts the volume: services whose current release mounts it, and containers that exist. */
  async users(row: Pick<VolumesTable, 'project' | 'env' | 'name'>): Promise<VolumeUser[]> {
    const mounts = (spec: string) =>
      parseJson<{ mounts?: { volume?: string }[] }>(spec, {}).mounts?.some((m) => m.volume === row.name) ??
      false;
    const services = await this.db
      .selectFrom('services')
      .innerJoin('releases', (j) =>
        j.onRef('releases.service_id', '=', 'services.id').onRef('releases.number', '=', 'services.release'),
      )
      .select(['services.name as name', 'releases.spec as spec'])
      .where('services.project', '=', row.project)
      .where('services.env', '=', row.env)
      .where('services.deleting', '=', 0)
      .where('releases.spec', 'like', '%"volume"%')
      .orderBy('services.name')
      .execute();
    const containers = await this.db
      .selectFrom('containers')
      .innerJoin('services', 'services.id', 'containers.service_id')
      .innerJoin('releases', (j) =>
        j
          .onRef('releases.service_id', '=', 'containers.service_id')
          .onRef('releases.number', '=', 'containers.release'),
      )
      .select(['containers.name as name', 'services.name as service', 'releases.spec as spec'])
      .where('services.project', '=', row.project)
      .where('services.env', '=', row.env)
      .where('containers.state', '!=', 'removed')
      .where('releases.spec', 'like', '%"volume"%')
      .orderBy('containers.name')
      .execute();
    const cronjobs = await this.db
      .selectFrom('cronjobs')
      .select(['name', 'spec'])
      .where('project', '=', row.project)
      .where('env', '=', row.env)
      .where('deleting', '=', 0)
      .where('spec', 'like', '%"volume"%')
      .orderBy('name')
      .execute();
    return [
      ...services.filter((s) => mounts(s.spec)).map((s) => ({ kind: 'service' as const, name: s.name })),
      ...cronjobs.filter((j) => mounts(j.spec)).map((j) => ({ kind: 'cronjob' as const, name: j.name })),
      ...containers
        .filter((c) => mounts(c.spec))
        .map((c) => ({ kind: 'container' as const, name: c.name, service: c.service })),
    ];
  }

  private async view(row: VolumesTable, usage: Map<string, Record<string, number> | null>): Promise<Volume> {
    const cls = await this.classRow(row.class);
    const byCluster = row.cluster ? usage.get(row.cluster) : null;
    return {
      name: row.name,
      project: row.project,
      env: row.env,
      class: row.class,
      kind: (cls?.kind ?? 'local') as VolumeClassKind,
      sizeMiB: row.size_mib,
      sizeEnforced: row.size_enforced === 1,
      sizeNote: row.size_note,
      cluster: row.cluster,
      engineName: row.engine_name,
      usageBytes: byCluster ? (byCluster[row.engine_name] ?? 0) : null,
      usedBy: await this.users(row),
      createdAt: row.created_at,
      createdBy: row.created_by,
    };
  }

  /** Usage of every volume on each cluster (null when the cluster cannot say now). */
  private async usage(clusters: Iterable<string>): Promise<Map<string, Record<string, number> | null>> {
    const out = new Map<string, Record<string, number> | null>();
    await Promise.all(
      [...new Set(clusters)].map(async (c) => {
        try {
          const engine = await this.engines.get(c);
          out.set(c, engine.volumeUsage ? await engine.volumeUsage() : null);
        } catch (err) {
          this.ctx.log.warn({ err, cluster: c }, 'volume usage unavailable');
          out.set(c, null);
        }
      }),
    );
    return out;
  }

  async list(project: string, env: string): Promise<Volume[]> {
    await this.checkPlace(project, env);
    const rows = await this.db
      .selectFrom('volumes')
      .selectAll()
      .where('project', '=', project)
      .where('env', '=', env)
      .orderBy('name')
      .execute();
    const usage = await this.usage(rows.flatMap((r) => (r.cluster ? [r.cluster] : [])));
    return Promise.all(rows.map((r) => this.view(r, usage)));
  }

  /**
   * One volume. `measure`: a volume on Kubernetes is measured by a tools pod (claimUsage) — when
   * someone reads this volume (GET), not on every list nor after a create.
   */
  async get(project: string, env: string, name: string, measure = false): Promise<Volume> {
    const row = await this.resolve(project, env, name);
    const view = await this.view(row, await this.usage(row.cluster ? [row.cluster] : []));
    if (measure && row.cluster && (await this.workloadEngine(row.cluster).catch(() => null)))
      return { ...view, usageBytes: await this.claimUsage(row) };
    return view;
  }

  async create(project: string, env: string, req: CreateVolumeRequest, actor: string): Promise<Volume> {
    const clusters = await this.checkPlace(project, env);
    const cls = await this.classRow(req.class);
    if (!cls) {
      const names = await this.classNames();
      throw new InvalidError(
        `Volume class '${req.class}' does not exist; use one of: ${names.join(', ') || 'none (a platform admin defines classes: PUT /api/v1/volume-classes/{name})'}.`,
        [{ path: 'class', message: `class "${req.class}" does not exist` }],
        'UNPROCESSABLE',
      );
    }
    if (req.sizeMiB > cls.max_size_mib)
      throw new InvalidError(
        `sizeMiB ${req.sizeMiB} is above class '${cls.name}''s maximum of ${cls.max_size_mib} MiB.`,
        [{ path: 'sizeMiB', message: `must be at most ${cls.max_size_mib} for class "${cls.name}"` }],
        'UNPROCESSABLE',
      );
    const shape = classShape(cls);
    let cluster: string | null = null;
    if (shape.kind === 'local') {
      cluster = req.cluster ?? clusters[0] ?? 'local';
      if (!clusters.includes(cluster))
        throw new InvalidError(
          `Cluster '${cluster}' is not one of environment '${env}''s clusters (${clusters.join(', ')}).`,
          [{ path: 'cluster', message: `must be one of ${clusters.join(', ')}` }],
          'UNPROCESSABLE',
        );
    } else if (req.cluster !== undefined) {
      throw new InvalidError(
        `cluster: a ${shape.kind} volume is shared by every cluster; leave out cluster (it is only for local classes).`,
        [{ path: 'cluster', message: 'is only for local classes' }],
      );
    }
    return withProjectLock(project, async () => {
      if (await this.row(project, env, req.name))
        throw new ConflictError(
          `Volume '${req.name}' already exists in project '${project}' (env '${env}').`,
          { fields: [{ path: 'name', message: 'is taken' }] },
          'ALREADY_EXISTS',
        );
      await this.admitQuota(project, req.sizeMiB);
      const id = newId();
      const engineName = `berth-vol-${id}`;
      const labels = this.labels(id, project, env, req.name);
      let sizeEnforced = false;
      let sizeNote: string | null;
      const workloads = cluster ? await this.workloadEngine(cluster) : null;
      if (workloads) {
        // Kubernetes: the volume is a claim in the env's namespace, applied with the first
        // workload that mounts it (docs/kubernetes-objects.md)
        sizeNote = `not enforced by Berth: on Kubernetes cluster '${cluster}' the volume is a PersistentVolumeClaim of ${req.sizeMiB} MiB of the cluster's default StorageClass, made when a service first mounts it; whether the size is a hard limit is the storage provisioner's`;
      } else if (cluster) {
        const engine = await this.engineFor(cluster);
        try {
          await engine.createVolume!({
            name: engineName,
            labels,
            options: engineOptions(shape, { sizeMiB: req.sizeMiB }),
          });
          sizeEnforced = true;
          sizeNote = null;
        } catch (err) {
          if (!(err instanceof Error) || !isQuotaUnsupported(engineMessage(err))) throw err;
          await engine.createVolume!({ name: engineName, labels, options: {} });
          sizeNote = `not enforced: the filesystem under Podman's volumes on cluster '${cluster}' has no project quotas (Podman: "${engineMessage(err)}"); the size is recorded and counted against the quota only`;
        }
      } else {
        await this.makeDirectory(cls.name, shape, clusters[0] ?? 'local', { project, env, name: req.name });
        sizeNote = `not enforced by Berth: the size of a ${shape.kind} volume is the server's to enforce (a quota on the export); the size is recorded and counted against the quota only`;
      }
      const row: VolumesTable = {
        id,
        project,
        env,
        name: req.name,
        class: cls.name,
        size_mib: req.sizeMiB,
        size_enforced: sizeEnforced ? 1 : 0,
        size_note: sizeNote,
        cluster,
        engine_name: engineName,
        created_at: nowIso(),
        created_by: actor,
      };
      try {
        await this.db.insertInto('volumes').values(row).execute();
      } catch (err) {
        if (cluster && !workloads)
          await (await this.engineFor(cluster)).removeVolume!(engineName).catch(() => undefined);
        throw err;
      }
      return this.get(project, env, req.name);
    });
  }

  private labels(id: string, project: string, env: string, name: string): Record<string, string> {
    return {
      [volumeLabels.id]: id,
      [volumeLabels.project]: project,
      [volumeLabels.env]: env,
      [volumeLabels.name]: name,
      'berth.instance': this.ctx.config.instanceId,
    };
  }

  /** The volume quota (`volumesGiB`): the sizes of the project's volumes, the new one included. */
  private async admitQuota(project: string, sizeMiB: number): Promise<void> {
    const quota = await this.db
      .selectFrom('project_quotas')
      .select('volumes_gib')
      .where('project', '=', project)
      .executeTakeFirst();
    if (quota?.volumes_gib === null || quota?.volumes_gib === undefined) return;
    const used = await this.db
      .selectFrom('volumes')
      .select((eb) => eb.fn.sum<number>('size_mib').as('total'))
      .where('project', '=', project)
      .executeTakeFirst();
    const total = Number(used?.total ?? 0) + sizeMiB;
    if (total > quota.volumes_gib * 1024)
      throw new BerthError(
        'QUOTA_EXCEEDED',
        `Project '${project}' may have ${quota.volumes_gib} GiB of volumes; ${Number(used?.total ?? 0)} MiB are taken and ${sizeMiB} MiB more would exceed it. Make the volume smaller, delete one, or ask a platform admin to raise volumesGiB.`,
        {
          fields: [
            { path: 'sizeMiB', message: `exceeds the project's volume quota of ${quota.volumes_gib} GiB` },
          ],
        },
      );
  }

  /** The engine of `cluster` when it runs whole workloads (Kubernetes), else null. */
  private async workloadEngine(cluster: string): Promise<(ContainerEngine & WorkloadEngine) | null> {
    const engine = await this.engines.get(cluster);
    return isWorkloadEngine(engine) ? engine : null;
  }

  private async engineFor(cluster: string): Promise<ContainerEngine> {
    const engine = await this.engines.get(cluster);
    if (isWorkloadEngine(engine))
      throw new BerthError(
        'UNPROCESSABLE',
        `Cluster '${cluster}' is a Kubernetes cluster: a volume there is a PersistentVolumeClaim, not an engine volume; its data is reached through a pod mounting the claim.`,
      );
    if (!engine.createVolume || !engine.removeVolume || !engine.exportVolume || !engine.importVolume)
      throw new BerthError('UNPROCESSABLE', `The engine of cluster '${cluster}' does not support volumes.`);
    return engine;
  }

  /**
   * Makes `<path>/<project>/<env>/<name>` on a shared class's server: the class's export is
   * mounted on `cluster` (a helper container) and the directories are extracted into it. A server
   * that cannot be mounted fails here, with the mount's own error, before anything is recorded.
   */
  private async makeDirectory(
    className: string,
    shape: ClassShape,
    cluster: string,
    place: { project: string; env: string; name: string },
  ): Promise<void> {
    const engine = await this.engineFor(cluster);
    const root = classRootName(className);
    await engine.createVolume!({
      name: root,
      labels: { 'berth.volume-class': className, 'berth.instance': this.ctx.config.instanceId },
      options: engineOptions(shape, {}),
    });
    const tar = new PassThrough();
    tar.end(
      directoriesTar([
        place.project,
        `${place.project}/${place.env}`,
        `${place.project}/${place.env}/${place.name}`,
      ]),
    );
    try {
      await engine.importVolume!(root, tar);
    } catch (err) {
      throw new BerthError(
        'UNPROCESSABLE',
        `The ${shape.kind} server of class '${className}' (${shape.server}:${shape.path}) could not be mounted on cluster '${cluster}': ${engineMessage(err)}. Check the class's server, path and mount options (PUT /api/v1/volume-classes/${className}) and that the cluster can reach the server.`,
        { cluster, class: className },
      );
    } finally {
      // the root stays only while it is needed: a later change of the class's options applies
      await engine.removeVolume!(root).catch(() => undefined);
    }
  }

  /**
   * The engine volume of `row` on `cluster`, made ready there: a local volume must live there
   * already; a shared one is created (idempotently) with its class's options.
   */
  async engineVolume(row: VolumesTable, cluster: string, engine: ContainerEngine): Promise<string> {
    if (row.cluster !== null) {
      if (row.cluster !== cluster)
        throw new BerthError(
          'UNPROCESSABLE',
          `Volume '${row.name}' lives on cluster '${row.cluster}'; a container mounting it cannot run on cluster '${cluster}'.`,
        );
      const info = await engine.inspectVolume?.(row.engine_name);
      if (!info)
        throw new EngineError(
          `The engine volume ${row.engine_name} of volume '${row.name}' is missing on cluster '${cluster}' (removed outside Berth?); Berth does not recreate it empty.`,
        );
      return row.engine_name;
    }
    const cls = await this.classRow(row.class);
    if (!cls) throw new EngineError(`Volume class '${row.class}' of volume '${row.name}' is gone.`);
    const shape = classShape(cls);
    if (!engine.createVolume)
      throw new EngineError(`The engine of cluster '${cluster}' does not support volumes.`);
    await engine.createVolume({
      name: row.engine_name,
      labels: this.labels(row.id, row.project, row.env, row.name),
      options: engineOptions(shape, { dir: volumeDirectory(shape, row) }),
    });
    return row.engine_name;
  }

  /** Where export and import run: the volume's cluster, or a shared volume's env's first cluster. */
  private async accessOn(row: VolumesTable): Promise<{ engine: ContainerEngine; cluster: string }> {
    const cluster = row.cluster ?? (await this.checkPlace(row.project, row.env))[0] ?? 'local';
    const engine = await this.engineFor(cluster);
    await this.engineVolume(row, cluster, engine);
    return { engine, cluster };
  }

  /**
   * A volume whose data is on a Kubernetes cluster (a local volume of one, or a shared volume
   * whose env's first cluster is one): the engine, the namespace and the claim its tools pod
   * mounts (volume-claims.ts); null on other clusters.
   */
  private async claimAccess(row: VolumesTable): Promise<{
    engine: WorkloadEngine;
    ns: NamespaceSpec;
    claim: WorkloadVolumeMount;
    cluster: string;
  } | null> {
    const cluster = row.cluster ?? (await this.checkPlace(row.project, row.env))[0] ?? 'local';
    const engine = await this.workloadEngine(cluster);
    if (!engine) return null;
    const cls = await this.classRow(row.class);
    if (!cls)
      throw new BerthError('UNPROCESSABLE', `Volume class '${row.class}' of volume '${row.name}' is gone.`);
    if (!engine.exportVolumeData || !engine.importVolumeData || !engine.volumeDataUsage)
      throw new BerthError(
        'UNPROCESSABLE',
        `The engine of cluster '${cluster}' cannot read or write volume data.`,
      );
    return {
      engine,
      ns: await claimNamespace(this.ctx, row, cluster),
      claim: claimOf(row, cls, '/data', false),
      cluster,
    };
  }

  /**
   * The bytes a Kubernetes volume holds, measured by a tools pod (seconds), kept a minute so that
   * reading a volume again does not start another pod; null when it cannot be measured now.
   */
  private async claimUsage(row: VolumesTable): Promise<number | null> {
    const kept = this.measured.get(row.id);
    if (kept && Date.now() - kept.at < claimUsageTtlMs) return kept.bytes;
    try {
      const access = await this.claimAccess(row);
      if (!access) return null;
      const bytes = await access.engine.volumeDataUsage!(access.ns, access.claim);
      this.measured.set(row.id, { at: Date.now(), bytes });
      return bytes;
    } catch (err) {
      this.ctx.log.warn({ err, volume: row.name }, 'volume usage on Kubernetes unavailable');
      return null;
    }
  }

  async remove(project: string, env: string, name: string): Promise<void> {
    const row = await this.resolve(project, env, name);
    await withProjectLock(project, async () => {
      const users = await this.users(row);
      if (users.length > 0) throw inUse(row.name, users);
      const clusters = row.cluster ? [row.cluster] : await this.engines.clusters();
      for (const c of clusters) {
        const workloads = await this.workloadEngine(c).catch((err: unknown) => {
          if (row.cluster) throw err;
          return null;
        });
        if (workloads) {
          // the claim goes with the volume (Kubernetes keeps it until no pod uses it)
          if (!workloads.deleteVolume)
            throw new BerthError('UNPROCESSABLE', `The engine of cluster '${c}' cannot delete volumes.`);
          await workloads.deleteVolume({ project: row.project, env: row.env }, row.name);
          continue;
        }
        let engine: ContainerEngine;
        try {
          engine = await this.engineFor(c);
        } catch (err) {
          if (row.cluster) throw err;
          // a shared volume's engine volume on an unreachable cluster stays (it holds no data)
          this.ctx.log.warn({ err, cluster: c, volume: row.engine_name }, 'engine volume left on a cluster');
          continue;
        }
        const result = await engine.removeVolume!(row.engine_name);
        if (result === 'in-use')
          throw new ConflictError(
            `Volume '${row.name}' is still mounted by a container on cluster '${c}' that is not one of the services' (a cron job's run, a debug container, or one being removed); try again once it is gone.`,
            { users: [] },
          );
      }
      await this.db.deleteFrom('volumes').where('id', '=', row.id).execute();
    });
  }

  async export(
    project: string,
    env: string,
    name: string,
  ): Promise<{ stream: NodeJS.ReadableStream; filename: string }> {
    const row = await this.resolve(project, env, name);
    const filename = `${row.project}-${row.env}-${row.name}.tar`;
    const claim = await this.claimAccess(row);
    if (claim) return { stream: await claim.engine.exportVolumeData!(claim.ns, claim.claim), filename };
    const { engine } = await this.accessOn(row);
    const stream = await engine.exportVolume!(row.engine_name);
    return { stream, filename: `${row.project}-${row.env}-${row.name}.tar` };
  }

  /** Extracts an uploaded tar into the volume; an archive larger than the volume is refused (413). */
  async import(
    project: string,
    env: string,
    name: string,
    body: NodeJS.ReadableStream,
    length?: number,
  ): Promise<void> {
    const row = await this.resolve(project, env, name);
    // tar headers and padding: a little room beyond the volume's size
    const limit = row.size_mib * mib + 4 * mib;
    if (length !== undefined && length > limit)
      throw new BerthError(
        'PAYLOAD_TOO_LARGE',
        `The archive (${length} bytes) is larger than volume '${row.name}' (${row.size_mib} MiB); make the volume bigger or the archive smaller.`,
      );
    const claim = await this.claimAccess(row);
    const engine = claim ? null : (await this.accessOn(row)).engine;
    const counted = new ByteLimit(
      limit,
      `The archive is larger than volume '${row.name}' (${row.size_mib} MiB)`,
    );
    const over: { err: Error | null } = { err: null };
    counted.on('error', (err) => (over.err = err));
    body.on('error', (err: Error) => counted.destroy(err));
    body.pipe(counted);
    try {
      if (claim) {
        await claim.engine.importVolumeData!(claim.ns, claim.claim, counted);
        this.measured.delete(row.id);
      } else await engine!.importVolume!(row.engine_name, counted);
      // podman answers once the archive's end marker is read; a streamed body may go on after it
      if (over.err) throw over.err;
    } catch (err) {
      if (over.err) throw over.err;
      const request = err instanceof EngineError ? err.details?.request : undefined;
      // a tools pod's tar that refused the archive (Kubernetes) says so in its cause
      const refused = claim && err instanceof EngineError && typeof err.details?.cause === 'string';
      if (refused || (typeof request === 'string' && request.startsWith('PUT ')))
        throw new InvalidError(
          `The upload could not be extracted into volume '${row.name}': ${engineMessage(err)}. Send a tar archive (Content-Type: application/x-tar), e.g. one made by the export.`,
        );
      throw err;
    }
  }
}

function engineMessage(err: unknown): string {
  if (err instanceof BerthError) {
    const cause = err.details?.cause;
    return (typeof cause === 'string' ? cause : err.message).trim();
  }
  return err instanceof Error ? err.message : String(err);
}

export function inUse(name: string, users: VolumeUser[]): ConflictError {
  const names = users.map((u) => `${u.kind === 'cronjob' ? 'cron job' : u.kind} '${u.name}'`);
  return new ConflictError(
    `Volume '${name}' is mounted by ${names.join(', ')}; remove the mount from those services' and cron jobs' specs (and wait for their containers to go) before deleting it.`,
    { users },
  );
}

function classNotFound(name: string, names: string[]): NotFoundError {
  return new NotFoundError(
    'NOT_FOUND',
    `Volume class '${name}' does not exist; the classes are: ${names.join(', ') || 'none'}.`,
  );
}
