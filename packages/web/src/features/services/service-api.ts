import type {
  Environment,
  Page,
  PlacementInput,
  PlacementPreview,
  ServiceSpecInput,
  StatsSample,
  Task,
} from '@berth/shared';
import { api } from '../../api/client';
import { servicePath, servicesPath, type ServiceRef } from '../../api/paths';
import type { ServiceWithTask } from '../../api/resources';

/**
 * The service pages' calls beyond api/resources, as OpenAPI templates: the e2e test checks each
 * against the running server's /api/openapi.json, like `apiRoutes`.
 */
export const serviceApiRoutes = {
  updateService: 'PUT /api/v1/projects/{project}/envs/{env}/services/{service}',
  deleteService: 'DELETE /api/v1/projects/{project}/envs/{env}/services/{service}',
  stats: 'GET /api/v1/projects/{project}/envs/{env}/services/{service}/stats',
  placementPreview: 'POST /api/v1/projects/{project}/envs/{env}/services/{service}/placement-preview',
  newPlacementPreview: 'POST /api/v1/projects/{project}/envs/{env}/placement-preview',
  env: 'GET /api/v1/envs/{name}',
} as const;

export interface UpdateServiceBody {
  spec: ServiceSpecInput;
  /** The version the form was filled from: a newer one on the server is a 409 conflict. */
  version: number;
  reason?: string;
}

export const updateService = (ref: ServiceRef, body: UpdateServiceBody) =>
  api<ServiceWithTask>(servicePath(ref), { method: 'PUT', body });

export const deleteService = (ref: ServiceRef) =>
  api<{ task: Task | null }>(servicePath(ref), { method: 'DELETE' });

/** Samples of the service's containers, oldest first; `since` as `15m`, `1h`, … (at most 24 h). */
/** Stats samples, and the clusters of the service's containers that have none to give, with why. */
export type StatsPage = Page<StatsSample> & { unavailable?: { cluster: string; message: string }[] };

export const listStats = (ref: ServiceRef, query: { since: string; container?: string }) =>
  api<StatsPage>(`${servicePath(ref)}/stats`, { query: { ...query, limit: 20000 } });

/** Where the service's replicas would run; placement and replicas default to the service's own. */
export const previewServicePlacement = (
  ref: ServiceRef,
  body: { placement?: PlacementInput; replicas?: number },
  signal?: AbortSignal,
) => api<PlacementPreview>(`${servicePath(ref)}/placement-preview`, { method: 'POST', body, signal });

/** Where the replicas of a service not created yet would run (the create form). */
export const previewNewPlacement = (
  project: string,
  env: string,
  body: { placement?: PlacementInput; replicas: number; service?: string; memoryMiB?: number },
  signal?: AbortSignal,
) =>
  api<PlacementPreview>(`${servicesPath(project, env).replace(/\/services$/, '')}/placement-preview`, {
    method: 'POST',
    body,
    signal,
  });

/** One environment: the clusters its services may run on. */
export const getEnv = (name: string) => api<Environment>(`/api/v1/envs/${encodeURIComponent(name)}`);
