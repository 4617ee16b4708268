import { randomBytes } from 'node:crypto';
import {
  exitReason,
  labelKeys,
  type ContainerCreateSpec,
  type ContainerEngine,
  type ImageInfo,
} from '@berth/engine-api';
import type { Engines } from '../../../runtime/engines';
import { ForbiddenError, type ReleaseSpec } from '@berth/shared';
import type { AppContext } from '../../../http/context';
import type { SecretBox } from '../../../crypto/secret-box';
import {
  canaryNonce,
  type ContainerRow,
  type ServiceRow,
  type ServicesRepository,
} from '../services.repository';
import { nowIso } from '../../../util';
import { pullCredentialFor } from '../../registry/registry-tokens';
import { imageRefOnCluster } from '../../registry/image-ref';
import { ImageUsers } from '../image-users';
import { quotaDefaults } from '../../quotas/quotas';
import type { MountSource } from '../mount-source';
import { envNetwork } from './env-networks';

const nobody = '65534:65534';

/**
 * The limits and restrictions of every workload container (service replicas, cron runs): the
 * spec's CPU and memory, else the project's defaults; its process limit, else the platform's; and
 * restricted by default — no capability outside the allowlist, no setuid gains, optionally a
 * read-only root filesystem.
 */
export function restrictedLimits(
  spec: Pick<ReleaseSpec, 'resources' | 'capabilities' | 'readOnlyRootFilesystem'>,
  defaults: { cpu: number | null; memoryMiB: number | null },
  pidsLimit: number,
): Pick<
  ContainerCreateSpec,
  'cpu' | 'memoryMiB' | 'pidsLimit' | 'capabilities' | 'noNewPrivileges' | 'readOnlyRootfs'
> {
  return {
    cpu: spec.resources.cpu ?? defaults.cpu ?? undefined,
    memoryMiB: spec.resources.memoryMiB ?? defaults.memoryMiB ?? undefined,
    pidsLimit: spec.resources.pids ?? pidsLimit,
    capabilities: spec.capabilities ?? [],
    noNewPrivileges: true,
    readOnlyRootfs: spec.readOnlyRootFilesystem === true,
  };
}

/** Creates, stops and retires containers, keeping the ledger first and the engine second. */
export class ContainerRunner {
  /** Per cluster and reference: the image pulled there lately. */
  private readonly images = new Map<string, { info: ImageInfo; at: number }>();
  private readonly users = new Map<string, ImageUsers>();

  constructor(
    private readonly ctx: AppContext,
    private readonly engines: Engines,
    private readonly repo: ServicesRepository,
    private readonly secrets: SecretBox,
    /** The kinds of `spec.mounts` (configs, volumes); each resolves its own kind. */
    private readonly mounts: MountSource[] = [],
  ) {}

  /**
   * The image on a cluster, pulled there when missing (each cluster pulls from the registry
   * itself, images of the embedded registry at the cluster's address of it: `pullRef`).
   */
  async image(ref: string, engine: ContainerEngine = this.engines.local, pullRef = ref): Promise<ImageInfo> {
    const key = `${engine.cluster}\n${pullRef}`;
    const hit = this.images.get(key);
    if (hit && Date.now() - hit.at < 60_000) return hit.info;
    // Images of the embedded registry are pulled with a short-lived credential for that repository.
    const info = await engine.ensureImage(pullRef, { auth: pullCredentialFor(this.ctx.config, ref) });
    this.images.set(key, { info, at: Date.now() });
    return info;
  }

  private usersOn(engine: ContainerEngine): ImageUsers {
    let u = this.users.get(engine.cluster);
    if (!u) {
      u = new ImageUsers(engine);
      this.users.set(engine.cluster, u);
    }
    return u;
  }

  /**
   * Which user a container runs as: the spec's, else the image's unless that is root (then
   * nobody). Defence in depth behind admission: a spec.user that is root in any form (a name
   * resolving to uid 0 in the image included) without runAsRoot is refused here too, so a
   * release admitted before these checks existed still does not run as root.
   */
  async runAs(
    spec: Pick<ReleaseSpec, 'user' | 'runAsRoot'>,
    image: ImageInfo,
    engine: ContainerEngine = this.engines.local,
  ): Promise<string | undefined> {
    const users = this.usersOn(engine);
    if (spec.user) {
      if (!spec.runAsRoot && (await users.isRoot(spec.user, image.id)))
        throw new ForbiddenError(
          `spec.user "${spec.user}" runs as root (uid 0) in image ${image.id.slice(0, 12)}, and the release does not allow root (runAsRoot); set a non-root user, or have a team admin deploy it.`,
          { permission: 'services:exec-root', fields: [{ path: 'spec.user', message: 'runs as root' }] },
        );
      return spec.user;
    }
    if (!spec.runAsRoot && (await users.isRoot(image.user, image.id))) return nobody;
    return undefined;
  }

  newName(svc: ServiceRow, release = svc.release, canary = false): string {
    const suffix = randomBytes(4).toString('hex').slice(0, 6);
    return `${svc.project}-${svc.env}-${svc.name}-r${release}${canary ? '-canary' : ''}-${suffix}`;
  }

  /**
   * The ledger row is written before the engine call, so a crash in between leaves a trace.
   * With `canaryOf`, the container runs that release as a canary (see canary-releases.ts).
   * `cluster` is where it runs (the placement's division decides; default `local`).
   */
  async create(
    svc: ServiceRow,
    spec: ReleaseSpec,
    restarts: number,
    canaryOf?: number,
    cluster = this.engines.local.cluster,
  ): Promise<void> {
    const release = canaryOf ?? svc.release;
    const name = this.newName(svc, release, canaryOf !== undefined);
    const row: ContainerRow = {
      name,
      service_id: svc.id,
      release,
      restart_nonce: canaryOf === undefined ? svc.restart_nonce : canaryNonce,
      engine_id: null,
      cluster,
      node: '',
      ip: null,
      endpoints: '{}',
      image: spec.image,
      image_digest: null,
      state: 'creating',
      ready: 0,
      in_rotation: 1,
      restarts,
      created_at: nowIso(),
      started_at: null,
      stopped_at: null,
      drain_until: null,
      left_rotation_at: null,
      drain_seconds: null,
      drain_gates: null,
      removed_from_gateways_at: null,
      exit_code: null,
      exit_reason: null,
    };
    await this.repo.insertContainer(row);
    try {
      const engine = await this.engines.get(cluster);
      const where = await this.engines.addresses(cluster);
      const imageRef = imageRefOnCluster(spec.image, this.ctx.config.registryListen, where.registry);
      const image = await this.image(spec.image, engine, imageRef);
      const user = await this.runAs(spec, image, engine);
      const defaults = await quotaDefaults(this.ctx.db, svc.project);
      const env: Record<string, string> = {};
      for (const e of spec.env) {
        if (e.value === null || e.value === undefined) continue;
        env[e.name] = e.secret ? this.secrets.open(e.value) : e.value;
      }
      // configs and volumes, made ready on this cluster's engine by their sources
      const target = {
        project: svc.project,
        env: svc.env,
        serviceId: svc.id,
        service: svc.name,
        cluster,
        release,
      };
      const volumes = [];
      for (const source of spec.mounts?.length ? this.mounts : [])
        volumes.push(...(await source.resolve(target, spec.mounts!, engine)));
      const id = await engine.runContainer({
        name,
        image: imageRef,
        command: spec.command,
        args: spec.args,
        env,
        labels: {
          ...spec.labels,
          [labelKeys.instance]: this.ctx.config.instanceId,
          [labelKeys.service]: svc.id,
          [labelKeys.project]: svc.project,
          [labelKeys.env]: svc.env,
          [labelKeys.release]: String(release),
          [labelKeys.container]: name,
          [labelKeys.cluster]: cluster,
          ...(canaryOf === undefined ? {} : { [labelKeys.canary]: 'true' }),
        },
        // published on the address the gateways reach (loopback unless the cluster is elsewhere)
        ports: spec.ports.map((p) => ({
          containerPort: p.containerPort,
          hostIp: where.publishAddress,
          hostPort: 0,
        })),
        ...restrictedLimits(spec, defaults, this.ctx.config.containers.pidsLimit),
        user,
        workingDir: spec.workingDir,
        ...(volumes.length ? { volumes } : {}),
        // the env's network, where the project's other containers reach it by the service's name
        network: envNetwork(this.ctx.config.instanceId, cluster, svc.project, svc.env, [svc.name]),
      });
      const obs = await engine.inspectContainer(id);
      await this.repo.updateContainerIf(name, ['creating'], {
        engine_id: id,
        ip: obs?.ip ?? null,
        node: obs?.node ?? '',
        endpoints: JSON.stringify(obs?.ports ?? {}),
        image_digest: obs?.imageDigest ?? image.digest,
        state: 'running',
        started_at: obs?.startedAt ?? nowIso(),
      });
      const what = canaryOf === undefined ? `release ${release}` : `canary of release ${release}`;
      await this.repo.addEvent(
        svc.id,
        'Started',
        `container ${name} started on cluster ${cluster} (${what})`,
        {
          container: name,
        },
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const refused = err instanceof ForbiddenError;
      await this.repo.updateContainer(name, {
        state: 'exited',
        stopped_at: nowIso(),
        exit_reason: `${refused ? 'RootRefused' : 'CreateFailed'}: ${message}`.slice(0, 1000),
      });
      await this.repo.addEvent(
        svc.id,
        refused ? 'RootRefused' : 'CreateFailed',
        `container ${name} ${refused ? 'was not started' : 'could not start'}: ${message}`,
        { container: name, severity: 'warning' },
      );
      throw err;
    }
  }

  /**
   * Called once a container stopped and before the engine removes it, e.g. the log collector's
   * last copy (docs/file-logs.md); it bounds its own time, and its failure never stops a removal.
   */
  beforeRemove: ((row: ContainerRow) => Promise<void>) | null = null;

  private async lastLook(row: ContainerRow): Promise<void> {
    await this.beforeRemove?.(row).catch((err: unknown) =>
      this.ctx.log.debug({ err, container: row.name }, 'the hook before a removal failed'),
    );
  }

  /** Stops (SIGTERM, then SIGKILL after the grace period), records the exit and removes. */
  async retire(row: ContainerRow, graceSeconds: number, reason: string): Promise<void> {
    await this.repo.updateContainer(row.name, { state: 'stopping', ready: 0 });
    const ref = row.engine_id ?? row.name;
    const engine = await this.engines.get(row.cluster);
    await engine.stopContainer(ref, graceSeconds);
    const obs = await engine.inspectContainer(ref);
    await this.lastLook(row);
    await engine.removeContainer(ref);
    await this.repo.updateContainer(row.name, {
      state: 'exited',
      ready: 0,
      stopped_at: obs?.finishedAt && !obs.finishedAt.startsWith('0001') ? obs.finishedAt : nowIso(),
      exit_code: obs?.exitCode ?? null,
      exit_reason: reason,
    });
    await this.repo.addEvent(row.service_id, 'Stopped', `container ${row.name} stopped: ${reason}`, {
      container: row.name,
    });
  }

  /** A container that exited on its own: record why, remove it from the engine. */
  async reapExited(
    row: ContainerRow,
    obs: {
      exitCode: number | null;
      oomKilled: boolean;
      memoryLimitBytes: number | null;
      finishedAt: string | null;
    },
  ): Promise<string> {
    const reason = exitReason(obs);
    await this.lastLook(row);
    await (await this.engines.get(row.cluster)).removeContainer(row.engine_id ?? row.name);
    await this.repo.updateContainer(row.name, {
      state: 'exited',
      ready: 0,
      stopped_at: obs.finishedAt && !obs.finishedAt.startsWith('0001') ? obs.finishedAt : nowIso(),
      exit_code: obs.exitCode,
      exit_reason: reason,
    });
    const oom = reason === 'OOMKilled';
    await this.repo.addEvent(
      row.service_id,
      oom ? 'OOMKilled' : 'Crashed',
      oom
        ? `container ${row.name} was killed for exceeding its memory limit (exit 137)`
        : `container ${row.name} exited: ${reason}`,
      { container: row.name, severity: 'warning' },
    );
    return reason;
  }

  /** A ledger entry whose container is gone from the engine. */
  async markGone(row: ContainerRow, reason: string): Promise<void> {
    await this.repo.updateContainer(row.name, {
      state: 'exited',
      ready: 0,
      stopped_at: nowIso(),
      exit_reason: reason,
    });
    await this.repo.addEvent(row.service_id, 'Vanished', `container ${row.name}: ${reason}`, {
      container: row.name,
      severity: 'warning',
    });
  }
}
