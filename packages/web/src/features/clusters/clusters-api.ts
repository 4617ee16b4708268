import type { Page } from '@berth/shared';
import { api } from '../../api/client';
import type { Environment } from '../../api/resources';

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
  updateEnv: 'PATCH /api/v1/envs/{name}',
} as const;

export type ClusterState = 'ready' | 'degraded' | 'unreachable' | 'unknown';

/** What the engine reports, and what Berth's own containers use of it. */
export interface ClusterCapacity {
  cpus: number;
  memoryBytes: number;
  allocatableMemoryBytes: number;
  used: { cpus: number; memoryBytes: number; containers: number };
}

/** Where one service has containers on a cluster (GET of one cluster only). */
export interface ClusterPlacement {
  project: string;
  env: string;
  service: string;
  containers: number;
}

/** A cluster as the API returns it; `endpoint` is null and `hasCredentials` false for non-admins. */
export interface Cluster {
  name: string;
  kind: 'podman';
  endpoint: string | null;
  labels: Record<string, string>;
  cordoned: boolean;
  draining: boolean;
  state: ClusterState;
  message: string | null;
  latencyMs: number | null;
  lastCheckedAt: string | null;
  capacity: ClusterCapacity | null;
  hasCredentials?: boolean;
  placed?: ClusterPlacement[];
  createdAt: string;
  updatedAt: string;
}

export interface ClusterCredentials {
  privateKey?: string;
  knownHosts?: string;
}

export interface CreateClusterInput {
  name: string;
  kind: 'podman';
  endpoint: string;
  credentials?: ClusterCredentials;
  labels?: Record<string, string>;
}

/** A JSON merge patch: a label set to null is removed, credentials null are removed. */
export interface ClusterPatch {
  endpoint?: string;
  credentials?: ClusterCredentials | null;
  labels?: Record<string, string | null>;
}

/** An environment with the clusters its services may run on (the fleet's additions to GET /envs). */
export interface EnvWithClusters extends Environment {
  clusters?: string[];
  failover?: { graceSeconds: number };
}

export interface EnvPatch {
  clusters?: string[];
  failover?: { graceSeconds: number };
}

const seg = encodeURIComponent;
const clusterPath = (name: string) => `/api/v1/clusters/${seg(name)}`;

/** Query-cache keys: every cluster query starts with 'clusters'. */
export const clusterKeys = {
  all: ['clusters'] as const,
  list: (label: string) => ['clusters', 'list', label] as const,
  one: (name: string) => ['clusters', 'one', name] as const,
  envs: ['envs'] as const,
};

export const listClusters = (label?: string) =>
  api<Page<Cluster>>('/api/v1/clusters', { query: { label: label || undefined } });
export const getCluster = (name: string) => api<Cluster>(clusterPath(name));
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
