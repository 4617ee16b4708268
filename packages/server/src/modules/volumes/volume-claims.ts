/**
 * A volume on a Kubernetes cluster is a PersistentVolumeClaim in its environment's namespace
 * (docs/kubernetes-objects.md): the claim a service mounting it gets, and what the engine's
 * tools pod mounts to export, import and measure it (docs/volumes.md).
 */
import type { NamespaceSpec, WorkloadVolumeMount } from '@berth/engine-api';
import type { AppContext } from '../../http/context';
import type { VolumeClassesTable, VolumesTable } from '../../db/schema';
import { envNamespace } from '../services/workload-specs';

/**
 * The claim of `row`: a shared class (nfs, cephfs) is a `ReadWriteMany` claim of the cluster's
 * StorageClass named like the Berth class; a local one a `ReadWriteOnce` claim of the cluster's
 * default class.
 */
export function claimOf(
  row: Pick<VolumesTable, 'name' | 'size_mib'>,
  cls: Pick<VolumeClassesTable, 'name' | 'kind'>,
  path: string,
  readOnly: boolean,
): WorkloadVolumeMount {
  const shared = cls.kind !== 'local';
  return {
    volume: row.name,
    path,
    readOnly,
    sizeMiB: row.size_mib,
    ...(shared ? { storageClass: cls.name } : {}),
    accessMode: shared ? 'ReadWriteMany' : 'ReadWriteOnce',
  };
}

/**
 * The namespace a tools pod of `row` needs on `cluster` when no service keeps it there: the
 * environment's walls as a service's apply writes them. The tools image is not Berth's
 * registry's, so no pull secret is asked for it ('' pulls nothing from there).
 */
export function claimNamespace(ctx: AppContext, row: VolumesTable, cluster: string): Promise<NamespaceSpec> {
  return envNamespace(ctx, row.project, row.env, cluster, '');
}
