/**
 * What a one-off pod (a cron run) needs on the cluster before it runs when no service of its
 * environment put it there: the environment's namespace with its walls, and the ConfigMaps and
 * claims it mounts (docs/kubernetes-objects.md, "One-off pods").
 *
 * The namespace's objects belong to whoever keeps them current. While a Deployment of this Berth
 * cluster lives in the namespace, its service's applies do (and their pull secret covers what the
 * services pull), so a run leaves them alone; otherwise the run is the namespace's only user and
 * applies them itself, every run, so that the week-long pull credential is renewed as a service's
 * applies renew it.
 */
import type { NamespaceSpec, WorkloadConfigMount, WorkloadVolumeMount } from '@berth/engine-api';
import { applyObject, listObjects } from './apply';
import type { KubeClient } from './client';
import { mountObjects, ownershipSelector } from './manifests/index';
import { namespaceName } from './names';
import { resourceOf } from './resources';

/** The engine a preparation applies for: its instance, cluster and namespace prefix. */
export interface PrepOwner {
  instance: string;
  cluster: string;
  namespacePrefix: string;
  /** Applies the namespace objects (the engine's applyNamespace: apply, then collect what went). */
  applyNamespace(ns: NamespaceSpec): Promise<void>;
}

/**
 * Applies `ns` unless a service keeps the namespace (above), then the objects of `mounts`.
 * Returns whether the namespace was applied (tests, logs).
 */
export async function prepareOneOff(
  client: KubeClient,
  owner: PrepOwner,
  ns: NamespaceSpec,
  mounts: { configs: WorkloadConfigMount[]; volumes: WorkloadVolumeMount[] },
): Promise<{ namespaceApplied: boolean }> {
  const namespace = namespaceName(ns.project, ns.env, owner.namespacePrefix);
  const selector = ownershipSelector({ instance: owner.instance, cluster: owner.cluster });
  // a missing namespace lists nothing (404 allowed): the run applies it
  const deployments = await listObjects(client, resourceOf('apps/v1', 'Deployment'), namespace, selector);
  const namespaceApplied = deployments.length === 0;
  if (namespaceApplied) await owner.applyNamespace(ns);
  const objects = mountObjects({
    project: ns.project,
    env: ns.env,
    instance: owner.instance,
    cluster: owner.cluster,
    namespacePrefix: owner.namespacePrefix,
    configs: mounts.configs,
    volumes: mounts.volumes,
  });
  for (const o of objects) await applyObject(client, o);
  return { namespaceApplied };
}
