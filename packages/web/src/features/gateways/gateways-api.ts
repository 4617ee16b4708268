import type {
  CreatedGatewayNode,
  Gateway,
  GatewayNode,
  GatewayRollout,
  GatewayRolloutMode,
  GatewaySnippet,
  GatewayVersion,
  GatewayVersionKind,
  Page,
} from '@berth/shared';
import { api } from '../../api/client';

/** The gateway API paths the portal calls (checked against /api/openapi.json by the e2e test). */
export const gatewayApiRoutes = {
  gateways: 'GET /api/v1/gateways',
  gateway: 'GET /api/v1/gateways/{gateway}',
  versions: 'GET /api/v1/gateways/{gateway}/versions',
  version: 'GET /api/v1/gateways/{gateway}/versions/{n}',
  diff: 'GET /api/v1/gateways/{gateway}/versions/{a}/diff/{b}',
  rollback: 'POST /api/v1/gateways/{gateway}/versions/{n}/rollback',
} as const;

export interface VersionDiff {
  gateway: string;
  from: number;
  to: number;
  /** "@@ line N @@", then lines prefixed "  " (same), "- " (only in from), "+ " (only in to). */
  diff: string;
}

const seg = encodeURIComponent;
const gatewayPath = (g: string) => `/api/v1/gateways/${seg(g)}`;

/** Query-cache keys of one gateway's data. */
export const gatewayKey = (g: string) => ['gateway', g] as const;

export const listGateways = () => api<Page<Gateway>>('/api/v1/gateways');
export const getGateway = (g: string) => api<Gateway>(gatewayPath(g));
export const listVersions = (
  g: string,
  query: { kind?: GatewayVersionKind; cursor?: string; limit?: number },
) => api<Page<GatewayVersion>>(`${gatewayPath(g)}/versions`, { query: { limit: 50, ...query } });
export const getVersion = (g: string, n: number) => api<GatewayVersion>(`${gatewayPath(g)}/versions/${n}`);
export const diffVersions = (g: string, a: number, b: number) =>
  api<VersionDiff>(`${gatewayPath(g)}/versions/${a}/diff/${b}`);
export const rollbackTo = (g: string, n: number, reason: string | undefined) =>
  api<{ gatewayVersion: GatewayVersion | null }>(`${gatewayPath(g)}/versions/${n}/rollback`, {
    method: 'POST',
    body: reason ? { reason } : {},
  });

/** Node and rollout paths; present since the gateway admin API (nodes, rollout, snippets) landed. */
export const gatewayNodeApiRoutes = {
  nodes: 'GET /api/v1/gateways/{gateway}/nodes',
  addNode: 'POST /api/v1/gateways/{gateway}/nodes',
  removeNode: 'DELETE /api/v1/gateways/{gateway}/nodes/{node}',
  rollout: 'POST /api/v1/gateways/{gateway}/rollout',
} as const;

export const listNodes = (g: string) => api<Page<GatewayNode>>(`${gatewayPath(g)}/nodes`);
export const addNode = (g: string, name: string) =>
  api<CreatedGatewayNode>(`${gatewayPath(g)}/nodes`, { method: 'POST', body: { name } });
export const removeNode = (g: string, node: string) =>
  api<void>(`${gatewayPath(g)}/nodes/${seg(node)}`, { method: 'DELETE' });
export const rollOut = (g: string, body: { version: number; nodes?: string[]; reason?: string }) =>
  api<GatewayRollout>(`${gatewayPath(g)}/rollout`, { method: 'POST', body });

/** Snippets and settings paths of the gateway admin API. */
export const gatewayAdminApiRoutes = {
  snippets: 'PUT /api/v1/gateways/{gateway}/snippets',
  updateGateway: 'PUT /api/v1/gateways/{gateway}',
  createGateway: 'POST /api/v1/gateways',
  deleteGateway: 'DELETE /api/v1/gateways/{gateway}',
} as const;

export const setSnippets = (
  g: string,
  body: { version: number; reason?: string; http: GatewaySnippet[]; server: GatewaySnippet[] },
) =>
  api<{ gateway: Gateway; gatewayVersion: GatewayVersion | null }>(`${gatewayPath(g)}/snippets`, {
    method: 'PUT',
    body,
  });
export const updateGateway = (
  g: string,
  body: { version: number; description?: string; rolloutMode?: GatewayRolloutMode },
) => api<Gateway>(gatewayPath(g), { method: 'PUT', body });

export interface CreateGatewayInput {
  name: string;
  env: string;
  listen?: string;
  tlsListen?: string | null;
  domainSuffix?: string;
  description?: string;
  rolloutMode?: GatewayRolloutMode;
}
export const createGateway = (body: CreateGatewayInput) =>
  api<Gateway>('/api/v1/gateways', { method: 'POST', body });
export const deleteGateway = (g: string) => api<void>(gatewayPath(g), { method: 'DELETE' });
