import type {
  Config,
  ConfigCreate,
  ConfigFileChange,
  ConfigSummary,
  ConfigUpdate,
  ConfigUsage,
  ConfigVersion,
} from '@berth/shared';
import { api } from '../../api/client';

/** The config API paths the portal calls (checked against /api/openapi.json by the e2e test). */
export const configApiRoutes = {
  list: 'GET /api/v1/projects/{project}/configs',
  create: 'POST /api/v1/projects/{project}/configs',
  get: 'GET /api/v1/projects/{project}/configs/{config}',
  update: 'PUT /api/v1/projects/{project}/configs/{config}',
  remove: 'DELETE /api/v1/projects/{project}/configs/{config}',
  versions: 'GET /api/v1/projects/{project}/configs/{config}/versions',
  version: 'GET /api/v1/projects/{project}/configs/{config}/versions/{version}',
  rollback: 'POST /api/v1/projects/{project}/configs/{config}/rollback',
  usage: 'GET /api/v1/projects/{project}/configs/{config}/usage',
} as const;

export const configKeys = {
  list: (project: string) => ['configs', project] as const,
  one: (project: string, name: string) => ['configs', project, name] as const,
  versions: (project: string, name: string) => ['configs', project, name, 'versions'] as const,
  version: (project: string, name: string, n: number) => ['configs', project, name, 'versions', n] as const,
  usage: (project: string, name: string) => ['configs', project, name, 'usage'] as const,
};

/** What a new version did to one service that mounts the config. */
export interface Refreshed {
  env: string;
  service: string;
  refresh: string;
  release: number | null;
  signalled?: number;
  error?: string;
}

export interface ChangeResult {
  config: Config;
  changed: boolean;
  refreshed: Refreshed[];
}

const base = (project: string) => `/api/v1/projects/${encodeURIComponent(project)}/configs`;
const one = (project: string, name: string) => `${base(project)}/${encodeURIComponent(name)}`;

export const listConfigs = (project: string) =>
  api<{ items: ConfigSummary[] }>(base(project)).then((r) => r.items);
export const createConfig = (project: string, body: ConfigCreate) =>
  api<Config>(base(project), { method: 'POST', body });
export const getConfig = (project: string, name: string) => api<Config>(one(project, name));
export const updateConfig = (project: string, name: string, body: ConfigUpdate) =>
  api<ChangeResult>(one(project, name), { method: 'PUT', body });
export const deleteConfig = (project: string, name: string) =>
  api<void>(one(project, name), { method: 'DELETE' });
export const listVersions = (project: string, name: string) =>
  api<{ items: ConfigVersion[] }>(`${one(project, name)}/versions`).then((r) => r.items);
export const getVersion = (project: string, name: string, n: number) =>
  api<ConfigVersion>(`${one(project, name)}/versions/${n}`);
export const rollbackConfig = (project: string, name: string, version: number, reason?: string) =>
  api<ChangeResult>(`${one(project, name)}/rollback`, {
    method: 'POST',
    body: { version, ...(reason ? { reason } : {}) },
  });
export const configUsage = (project: string, name: string) => api<ConfigUsage>(`${one(project, name)}/usage`);

export type { ConfigFileChange };
