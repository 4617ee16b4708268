import { api } from '../../api/client';
import { servicePath, type ServiceRef } from '../../api/paths';

/** The manifests API path the portal calls (checked against /api/openapi.json by the e2e test). */
export const manifestApiRoutes = {
  manifests: 'GET /api/v1/projects/{project}/envs/{env}/services/{service}/manifests',
} as const;

/** One object Berth applies, as the list above the YAML names it. */
export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

/**
 * What Berth applies for a service's current release to one Kubernetes cluster: the namespace,
 * the objects in apply order and the same objects as multi-document YAML (Secret values redacted
 * by the server).
 */
export interface ServiceManifests {
  cluster: string;
  namespace: string;
  yaml: string;
  objects: ManifestObject[];
}

/** Query-cache key of one service's manifests for one cluster. */
export const manifestsKey = (ref: ServiceRef, cluster: string) =>
  ['service', ref.project, ref.env, ref.service, 'manifests', cluster] as const;

export const getManifests = (ref: ServiceRef, cluster: string) =>
  api<ServiceManifests>(`${servicePath(ref)}/manifests`, { query: { cluster } });
