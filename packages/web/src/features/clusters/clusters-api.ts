import type { Cluster, ClusterEvent, ClusterExposure, ClusterKind, Environment, Page } from '@berth/shared';
import { api } from '../../api/client';

/** The cluster API paths the portal calls (checked against /api/openapi.json by the e2e test). */
export const clusterApiRoutes = {
  clusters: 'GET /api/v1/clusters',
  cluster: 'GET /api/v1/clusters/{name}',
  createCluster: 'POST /api/v1/clusters',
  updateCluster: 'PATCH /api/v1/clusters/{name}',
  deleteCluster: 'DELETE /api/v1/clusters/{name}',
  cordon: 'POST /api/v1/clusters/{name}/cordon',
  uncordon: 'POST /api/v1/clusters/{name}/uncordon',
  drain: 'POST /api/v1/clusters/{name}/drain',
  undrain: 'POST /api/v1/clusters/{name}/undrain',
  check: 'POST /api/v1/clusters/{name}/check',
  events: 'GET /api/v1/clusters/{name}/events',
  updateEnv: 'PATCH /api/v1/envs/{name}',
} as const;

export type { Cluster, ClusterCapacity, ClusterEvent, ClusterPlacement, ClusterState } from '@berth/shared';

/**
 * What the form sends as credentials; write-only (responses say only `hasCredentials`). An ssh
 * key and known_hosts for a Podman cluster, a kubeconfig (YAML) for a Kubernetes one.
 */
export interface ClusterCredentials {
  privateKey?: string;
  knownHosts?: string;
  kubeconfig?: string;
}

/*
 * The kinds (podman, kubernetes), how the gateways reach a Kubernetes cluster's pods (pod-ip:
 * gateway nodes in the cluster network; node-port: outside it) and the in-cluster endpoint are
 * the API's own (shared/clusters.ts).
 */
export { inClusterEndpoint } from '@berth/shared';
export type { ClusterExposure, ClusterKind } from '@berth/shared';

export interface CreateClusterInput {
  name: string;
  kind: ClusterKind;
  /** Podman: unix:// or ssh://; Kubernetes: the API server's URL or `in-cluster`. */
  endpoint: string;
  credentials?: ClusterCredentials;
  labels?: Record<string, string>;
  /** Podman: an IP address of the cluster's host (default 127.0.0.1); never 0.0.0.0 or ::. */
  publishAddress?: string;
  /** Podman: host[:port] the cluster pulls the embedded registry's images from. */
  registry?: string;
  /** Kubernetes only; the server's default when absent (NodePorts). */
  exposure?: ClusterExposure;
  /** Kubernetes only: the gateway nodes' source addresses the namespaces' NetworkPolicies let in. */
  gatewayCidrs?: string[];
  /** Kubernetes only: its namespaces are `<prefix>-<project>-<env>-…`; set once, at registration. */
  namespacePrefix?: string;
}

/**
 * A JSON merge patch: a label set to null is removed, credentials null are removed, a registry
 * null is the registry's own address again.
 */
export interface ClusterPatch {
  endpoint?: string;
  credentials?: ClusterCredentials | null;
  labels?: Record<string, string | null>;
  publishAddress?: string;
  registry?: string | null;
  exposure?: ClusterExposure;
  /** null clears. */
  gatewayCidrs?: string[] | null;
  version?: number;
}

/** An environment with the clusters its services may run on and its failover grace (GET /envs). */
export type EnvWithClusters = Environment;

export interface EnvPatch {
  clusters?: string[];
  failover?: { graceSeconds: number };
}

const seg = encodeURIComponent;
const clusterPath = (name: string) => `/api/v1/clusters/${seg(name)}`;

/** Query-cache keys: every cluster query starts with 'clusters'. */
export const clusterKeys = {
  all: ['clusters'] as const,
  lists: ['clusters', 'list'] as const,
  list: (label: string) => ['clusters', 'list', label] as const,
  one: (name: string) => ['clusters', 'one', name] as const,
  events: (name: string) => ['clusters', 'events', name] as const,
  envs: ['envs'] as const,
};

export const listClusters = (label?: string) =>
  api<Page<Cluster>>('/api/v1/clusters', { query: { label: label || undefined } });
export const getCluster = (name: string) => api<Cluster>(clusterPath(name));
export const listClusterEvents = (name: string) =>
  api<Page<ClusterEvent>>(`${clusterPath(name)}/events`, { query: { limit: 50 } });
export const createCluster = (body: CreateClusterInput) =>
  api<Cluster>('/api/v1/clusters', { method: 'POST', body });
export const updateCluster = (name: string, body: ClusterPatch) =>
  api<Cluster>(clusterPath(name), { method: 'PATCH', body });
export const deleteCluster = (name: string) => api<void>(clusterPath(name), { method: 'DELETE' });

export type ClusterAction = 'cordon' | 'uncordon' | 'drain' | 'undrain' | 'check';
export const clusterAction = (name: string, action: ClusterAction) =>
  api<Cluster>(`${clusterPath(name)}/${action}`, { method: 'POST', body: {} });

export const listEnvsWithClusters = () => api<Page<EnvWithClusters>>('/api/v1/envs');
export const updateEnv = (name: string, body: EnvPatch) =>
  api<EnvWithClusters>(`/api/v1/envs/${seg(name)}`, { method: 'PATCH', body });
