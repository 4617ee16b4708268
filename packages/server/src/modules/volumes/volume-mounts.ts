/**
 * The volume kind of `spec.mounts` (`{volume, path, readOnly?}`): admission and the engine
 * volumes of a new container (the services module's MountSource port, services-deps.ts).
 */
import type { ContainerEngine, VolumeMount } from '@berth/engine-api';
import { BerthError, InvalidError, type FieldError, type Mount, type ReleaseSpec } from '@berth/shared';
import type { AppContext } from '../../http/context';
import type { MountSource, MountTarget, WorkloadMounts } from '../services/mount-source';
import { defaultPlacement } from '../placement/placement-plan';
import { envClusters } from '../clusters/clusters.repository';
import type { VolumesService } from './volumes.service';
import { claimOf } from './volume-claims';

export class VolumeMounts implements MountSource {
  constructor(
    private readonly ctx: AppContext,
    private readonly volumes: VolumesService,
  ) {}

  /**
   * Every volume mount names a volume of the same project and environment (400 at
   * `spec.mounts.N.volume` otherwise); a `local` volume lives on one cluster, so the spec's
   * placement must name that cluster only (400 at `spec.placement`).
   */
  async check(project: string, env: string, mounts: Mount[], spec?: ReleaseSpec): Promise<void> {
    const fields: FieldError[] = [];
    const pinned = new Map<string, string>();
    for (const [i, m] of mounts.entries()) {
      if (m.volume === undefined) continue;
      const row = await this.volumes.row(project, env, m.volume);
      if (!row) {
        fields.push({
          path: `spec.mounts.${i}.volume`,
          message: `volume "${m.volume}" does not exist in project "${project}" (env "${env}"); create it first (POST /api/v1/projects/${project}/envs/${env}/volumes)`,
        });
        continue;
      }
      if (row.cluster) pinned.set(m.volume, row.cluster);
    }
    if (fields.length > 0)
      throw new InvalidError(`spec.mounts: ${fields[0]!.message}.`, fields, 'INVALID_SPEC');
    if (pinned.size === 0) return;
    const clusters = new Set(pinned.values());
    const listed = `${[...pinned].map(([v, c]) => `"${v}" on ${c}`).join(', ')}`;
    if (clusters.size > 1)
      throw new InvalidError(
        `spec.mounts: local volumes live on different clusters (${listed}); one service can only run on one of them. Use volumes of one cluster, or a shared class (nfs, cephfs).`,
        [{ path: 'spec.mounts', message: `local volumes on different clusters: ${listed}` }],
        'INVALID_SPEC',
      );
    const only = [...clusters][0]!;
    const placed = await this.placedOn(env, spec);
    if (placed.length !== 1 || placed[0] !== only)
      throw new InvalidError(
        `spec.placement: the service mounts local volume(s) ${listed}, so it can run on cluster '${only}' only, but its placement names ${placed.join(', ') || 'no cluster'}. Set "placement": {"clusters": [{"name": "${only}"}]} (or use a volume of a shared class such as nfs).`,
        [
          {
            path: 'spec.placement',
            message: `must name only cluster "${only}" (where the local volumes live)`,
          },
        ],
        'INVALID_SPEC',
      );
  }

  /** The clusters a placement may put replicas on ("all": the environment's). */
  private async placedOn(env: string, spec?: ReleaseSpec): Promise<string[]> {
    const placement = spec?.placement ?? defaultPlacement(this.ctx.config.localCluster);
    if (placement.clusters !== 'all') return placement.clusters.map((c) => c.name);
    const e = await this.ctx.db
      .selectFrom('environments')
      .selectAll()
      .where('name', '=', env)
      .executeTakeFirst();
    return e ? envClusters(e) : [];
  }

  async resolve(target: MountTarget, mounts: Mount[], engine: ContainerEngine): Promise<VolumeMount[]> {
    const out: VolumeMount[] = [];
    for (const m of mounts) {
      if (m.volume === undefined) continue;
      const row = await this.volumes.resolve(target.project, target.env, m.volume);
      const name = await this.volumes.engineVolume(row, target.cluster, engine);
      out.push({ name, destination: m.path, ...(m.readOnly ? { readOnly: true } : {}) });
    }
    return out;
  }

  /**
   * The volume mounts of a release on a workload cluster (Kubernetes): one claim per volume
   * (docs/kubernetes-objects.md). A shared class (nfs, cephfs) is a `ReadWriteMany` claim of the
   * cluster's StorageClass named like the Berth class; a local one a `ReadWriteOnce` claim of the
   * cluster's default class, on the volume's own cluster only.
   */
  async workload(target: MountTarget, mounts: Mount[]): Promise<WorkloadMounts> {
    const volumes: WorkloadMounts['volumes'] = [];
    for (const m of mounts) {
      if (m.volume === undefined) continue;
      const row = await this.volumes.resolve(target.project, target.env, m.volume);
      if (row.cluster !== null && row.cluster !== target.cluster)
        throw new BerthError(
          'UNPROCESSABLE',
          `Volume '${row.name}' lives on cluster '${row.cluster}'; a pod mounting it cannot run on cluster '${target.cluster}'.`,
        );
      const cls = await this.ctx.db
        .selectFrom('volume_classes')
        .select(['name', 'kind'])
        .where('name', '=', row.class)
        .executeTakeFirst();
      if (!cls)
        throw new BerthError('UNPROCESSABLE', `Volume class '${row.class}' of volume '${row.name}' is gone.`);
      volumes.push(claimOf(row, cls, m.path, m.readOnly === true));
    }
    return { configs: [], volumes };
  }
}
