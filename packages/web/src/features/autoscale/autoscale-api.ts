import type { AutoscaleDecision, AutoscaleSpecInput, AutoscaleState } from '@berth/shared';
import { api } from '../../api/client';
import { servicePath, type ServiceRef } from '../../api/paths';

/** The autoscaling API paths the portal calls (checked against /api/openapi.json by the e2e test). */
export const autoscaleApiRoutes = {
  get: 'GET /api/v1/projects/{project}/envs/{env}/services/{service}/autoscale',
  put: 'PUT /api/v1/projects/{project}/envs/{env}/services/{service}/autoscale',
  decisions: 'GET /api/v1/projects/{project}/envs/{env}/services/{service}/autoscale/decisions',
} as const;

export const autoscaleKeys = {
  state: (ref: ServiceRef) => ['autoscale', ref.project, ref.env, ref.service] as const,
  decisions: (ref: ServiceRef) => ['autoscale', ref.project, ref.env, ref.service, 'decisions'] as const,
};

export const getAutoscale = (ref: ServiceRef) => api<AutoscaleState>(`${servicePath(ref)}/autoscale`);
export const putAutoscale = (ref: ServiceRef, autoscale: AutoscaleSpecInput | null) =>
  api<AutoscaleState>(`${servicePath(ref)}/autoscale`, { method: 'PUT', body: { autoscale } });
/** The newest `limit` decisions, oldest first. */
export const listAutoscaleDecisions = (ref: ServiceRef, limit = 200) =>
  api<{ items: AutoscaleDecision[] }>(`${servicePath(ref)}/autoscale/decisions?limit=${limit}`);
