/**
 * What Berth hands a workload engine (Kubernetes, ADR 0007) for one service on one cluster: the
 * release spec resolved the way ContainerRunner resolves it for Podman — the image as the cluster
 * pulls it, secrets opened, the project's defaults, the restrictions of tenant isolation — plus
 * the namespace it lives in with its walls (quota, limit defaults, pod security, pull secret).
 */
import type { NamespaceSpec, WorkloadSpec } from '@berth/engine-api';
import { InvalidError, type ReleaseSpec } from '@berth/shared';
import type { AppContext } from '../../http/context';
import type { SecretBox } from '../../crypto/secret-box';
import type { Engines } from '../../runtime/engines';
import { imageRefOnCluster, parseImageRef, sameHost } from '../registry/image-ref';
import { tokensOfConfig } from '../registry/registry-tokens';
import { quotaLimits } from '../quotas/quotas';
import type { ServiceRow } from './services.repository';
import type { MountSource } from './mount-source';
import { storedSpec } from './service-views';

/** How long the namespace's pull credential for the embedded registry lives (re-applied daily). */
export const pullSecretTtlSeconds = 7 * 24 * 3600;

/** The workload and its namespace, as the engine is given them. */
export interface ResolvedWorkload {
  namespace: NamespaceSpec;
  workload: WorkloadSpec;
}

/** uid[:gid] numbers, or null when spec.user is a name. */
function numericUser(user: string): { uid: number; gid?: number } | null {
  const m = /^(\d+)(?::(\d+))?$/.exec(user);
  if (!m) return null;
  return { uid: Number(m[1]), ...(m[2] !== undefined ? { gid: Number(m[2]) } : {}) };
}

/**
 * What a release spec needs to run on a Kubernetes cluster, checked at admission (when its
 * placement can reach one) and again when it is applied: a numeric user (Kubernetes cannot look a
 * name up in the image), no config mount refreshed by `signal` (a pod's ConfigMap volume cannot be
 * rewritten in place and signalled), and volumes only when the placement reaches no other cluster
 * (a volume's data on a Kubernetes cluster is that cluster's claim, not what another cluster
 * mounts). `reach`: the clusters the placement can reach, when known. Throws InvalidError at the field.
 */
export function checkRunsOnKubernetes(
  spec: Pick<ReleaseSpec, 'user' | 'runAsRoot' | 'mounts'>,
  clusters = 'a Kubernetes cluster',
  reach?: readonly string[],
): { runAsUser?: number; runAsGroup?: number } {
  for (const [i, m] of (spec.mounts ?? []).entries()) {
    if (m.config !== undefined && m.refresh === 'signal')
      throw new InvalidError(
        `spec.mounts.${i}.refresh: config '${m.config}' is refreshed by "signal", and this service can be placed on ${clusters}, where a pod's config files are a ConfigMap volume Berth cannot rewrite in place. Use refresh "rolling-restart" (or "none"), or place the service on Podman clusters only.`,
        [{ path: `spec.mounts.${i}.refresh`, message: 'cannot be "signal" on a Kubernetes cluster' }],
      );
  }
  const volume = (spec.mounts ?? []).findIndex((m) => m.volume !== undefined);
  if (volume >= 0 && reach && reach.length > 1)
    throw new InvalidError(
      `spec.placement: the service mounts volume '${spec.mounts![volume]!.volume}' and can be placed on ${clusters} and on ${reach.length - 1} other cluster(s) (${reach.join(', ')}): on Kubernetes a volume is a claim of that cluster, so replicas elsewhere would not see its data. Place the service on one cluster only.`,
      [
        {
          path: 'spec.placement',
          message: 'must name one cluster when the service mounts volumes on Kubernetes',
        },
      ],
    );
  if (!spec.user) return {};
  const n = numericUser(spec.user);
  if (!n)
    throw new InvalidError(
      `spec.user "${spec.user}" is a user name, and this service can be placed on ${clusters}: Kubernetes runs a pod as a number and cannot look a name up in the image. Set a uid such as "1000" (or "1000:1000").`,
      [{ path: 'spec.user', message: 'must be a numeric uid[:gid] on a Kubernetes cluster' }],
    );
  if (n.uid === 0 && !spec.runAsRoot)
    throw new InvalidError('spec.user is root (uid 0) and the release does not allow root (runAsRoot).', [
      { path: 'spec.user', message: 'runs as root' },
    ]);
  return { runAsUser: n.uid, ...(n.gid !== undefined ? { runAsGroup: n.gid } : {}) };
}

export class WorkloadSpecs {
  constructor(
    private readonly ctx: AppContext,
    private readonly engines: Engines,
    private readonly secrets: SecretBox,
    /** The kinds of `spec.mounts` (configs, volumes); read at each resolve (server.ts adds to it). */
    private readonly mounts: readonly MountSource[] = [],
  ) {}

  /**
   * Resolves `spec` (the service's release `release`) for `cluster` with `replicas` replicas.
   * Throws InvalidError naming the field when the spec cannot run on Kubernetes as it is.
   */
  async resolve(
    svc: ServiceRow,
    spec: ReleaseSpec,
    cluster: string,
    replicas: number,
    release = svc.release,
  ): Promise<ResolvedWorkload> {
    const where = await this.engines.addresses(cluster);
    const image = imageRefOnCluster(spec.image, this.ctx.config.registryListen, where.registry);
    const { runAsUser, runAsGroup } = checkRunsOnKubernetes(spec);
    const variables: Record<string, string> = {};
    const secretVariables: Record<string, string> = {};
    for (const e of spec.env) {
      if (e.value === null || e.value === undefined) continue;
      if (e.secret) secretVariables[e.name] = this.secrets.open(e.value);
      else variables[e.name] = e.value;
    }
    const namespace = await this.namespace(svc.project, svc.env, cluster, image);
    const { defaults } = namespace;
    const probe = (p: ReleaseSpec['liveness']) =>
      p && {
        type: p.type,
        ...(p.path !== undefined ? { path: p.path } : {}),
        ...(p.port !== undefined ? { port: p.port } : {}),
        ...(p.command !== undefined ? { command: p.command } : {}),
        initialDelaySeconds: p.initialDelaySeconds,
        periodSeconds: p.periodSeconds,
        timeoutSeconds: p.timeoutSeconds,
        successThreshold: p.successThreshold,
        failureThreshold: p.failureThreshold,
      };
    const mounted = { configs: [] as WorkloadSpec['configs'], volumes: [] as WorkloadSpec['volumes'] };
    if (spec.mounts?.length) {
      const target = {
        project: svc.project,
        env: svc.env,
        serviceId: svc.id,
        service: svc.name,
        cluster,
        release,
      };
      for (const source of this.mounts) {
        const part = await source.workload?.(target, spec.mounts);
        if (part) {
          mounted.configs.push(...part.configs);
          mounted.volumes.push(...part.volumes);
        }
      }
      // never a workload without one of its mounts (a kind no source resolves)
      const wanted = spec.mounts.filter((m) => m.config !== undefined).length;
      const volumes = spec.mounts.length - wanted;
      if (mounted.configs.length !== wanted || mounted.volumes.length !== volumes)
        throw new InvalidError(
          `spec.mounts: ${wanted} config and ${volumes} volume mount(s), but ${mounted.configs.length} and ${mounted.volumes.length} could be resolved for cluster ${cluster}; nothing was applied.`,
          [{ path: 'spec.mounts', message: 'not every mount could be resolved for Kubernetes' }],
        );
    }
    const liveness = probe(spec.liveness);
    const readiness = probe(spec.readiness);
    const workload: WorkloadSpec = {
      project: svc.project,
      env: svc.env,
      service: svc.name,
      serviceId: svc.id,
      instance: this.ctx.config.instanceId,
      cluster,
      release,
      restartNonce: svc.restart_nonce,
      replicas,
      image,
      ...(spec.command ? { command: spec.command } : {}),
      ...(spec.args ? { args: spec.args } : {}),
      variables,
      secretVariables,
      ports: spec.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), containerPort: p.containerPort })),
      cpu: spec.resources.cpu ?? defaults.cpu ?? undefined,
      memoryMiB: spec.resources.memoryMiB ?? defaults.memoryMiB ?? undefined,
      pidsLimit: spec.resources.pids ?? this.ctx.config.containers.pidsLimit,
      ...(liveness ? { liveness } : {}),
      ...(readiness ? { readiness } : {}),
      rollout: { ...spec.rollout },
      labels: spec.labels,
      ...(spec.workingDir ? { workingDir: spec.workingDir } : {}),
      ...(runAsUser !== undefined ? { runAsUser } : {}),
      ...(runAsGroup !== undefined ? { runAsGroup } : {}),
      runAsRoot: spec.runAsRoot,
      capabilities: spec.capabilities ?? [],
      readOnlyRootFilesystem: spec.readOnlyRootFilesystem === true,
      configs: mounted.configs,
      volumes: mounted.volumes,
      ...(namespace.pullSecret ? { pullSecret: true } : {}),
    };
    return { namespace, workload };
  }

  /**
   * The workloads of the service's route canaries on `cluster` (ADR 0008): one per release of
   * `wanted` (release → replicas) whose spec `specOf` still finds, resolved as the service's own
   * but with the canary's release and replicas and without the service's restart generation (a
   * restart of the service is not the canary's). What the controller hands `applyCanaries`, and
   * what the manifests view renders: one builder for both.
   */
  async canaries(
    svc: ServiceRow,
    wanted: ReadonlyMap<number, number>,
    cluster: string,
    specOf: (release: number) => Promise<ReleaseSpec | null>,
  ): Promise<WorkloadSpec[]> {
    const out: WorkloadSpec[] = [];
    for (const [release, replicas] of wanted) {
      const rs = await specOf(release);
      if (!rs) continue;
      const { workload } = await this.resolve(svc, rs, cluster, replicas, release);
      out.push({ ...workload, restartNonce: 0 });
    }
    return out;
  }

  /** The namespace of `project`/`env` on `cluster` (envNamespace, below). */
  namespace(project: string, env: string, cluster: string, image: string, also: string[] = []) {
    return envNamespace(this.ctx, project, env, cluster, image, also);
  }
}

/**
 * The namespace of `project`/`env` on `cluster` with its walls (quota, limit defaults, pod
 * security, pull secret), as a workload pulling `image` (as the cluster pulls it) needs it:
 * what a service's apply writes, and what a cron run or a volume's tools pod applies when no
 * service keeps the namespace. `also`: images of the env that are not a service's (a cron job's)
 * whose repositories the pull secret covers too.
 */
export async function envNamespace(
  ctx: AppContext,
  project: string,
  env: string,
  cluster: string,
  image: string,
  also: string[] = [],
): Promise<NamespaceSpec> {
  const { limits, defaults } = await quotaLimits(ctx.db, project);
  // the env's services' current specs: the pull secret's repositories and the pod security level
  const envSpecs = await specsOfEnv(ctx, project, env);
  const pullSecret = pullSecretOf(ctx, project, env, image, [...envSpecs.map((s) => s.image), ...also]);
  return {
    project,
    env,
    instance: ctx.config.instanceId,
    cluster,
    quota: limits,
    defaults,
    ...(pullSecret ? { pullSecret } : {}),
    // a service of the env may run as root or keep capabilities: the namespace enforces baseline
    podSecurity: envSpecs.some((e) => e.runAsRoot || (e.capabilities?.length ?? 0) > 0)
      ? 'baseline'
      : 'restricted',
  };
}

/**
 * A pull credential for the embedded registry when the image is there: pull access to the
 * repositories of the env's images, for a week (re-applied with every apply of the namespace).
 */
function pullSecretOf(
  ctx: AppContext,
  project: string,
  env: string,
  image: string,
  envImages: string[],
): NamespaceSpec['pullSecret'] {
  const cfg = ctx.config;
  const tokens = tokensOfConfig(cfg);
  // `image` is the reference as the cluster pulls it: its host is the registry's name there
  const asPulled = parseImageRef(image);
  if (!tokens || !asPulled || !cfg.registryListen) return undefined;
  const repositories = new Set<string>();
  for (const i of envImages) {
    const ref = parseImageRef(i);
    if (ref && sameHost(ref.host, cfg.registryListen)) repositories.add(ref.repository);
  }
  if (!repositories.has(asPulled.repository)) return undefined;
  const credential = tokens.credential(
    `berth-namespace:${project}/${env}`,
    [...repositories].sort().map((name) => ({ type: 'repository' as const, name, actions: ['pull'] })),
    pullSecretTtlSeconds,
  );
  return { registry: asPulled.host, ...credential };
}

/** The current release specs of the env's services of the project. */
async function specsOfEnv(ctx: AppContext, project: string, env: string): Promise<ReleaseSpec[]> {
  const rows = await ctx.db
    .selectFrom('services')
    .innerJoin('releases', (j) =>
      j.onRef('releases.service_id', '=', 'services.id').onRef('releases.number', '=', 'services.release'),
    )
    .selectAll('releases')
    .where('services.project', '=', project)
    .where('services.env', '=', env)
    .execute();
  return rows.map(storedSpec);
}
