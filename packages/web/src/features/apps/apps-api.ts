import type {
  App,
  AppInstance,
  AppInstanceCreate,
  AppInstanceCreated,
  AppInstanceDeleted,
  AppInstanceDetail,
  AppSummary,
} from '@berth/shared';
import { api } from '../../api/client';

/** The app store API paths the portal calls (checked against /api/openapi.json by the e2e test). */
export const appApiRoutes = {
  catalog: 'GET /api/v1/apps',
  app: 'GET /api/v1/apps/{app}',
  list: 'GET /api/v1/projects/{project}/envs/{env}/app-instances',
  create: 'POST /api/v1/projects/{project}/envs/{env}/app-instances',
  get: 'GET /api/v1/projects/{project}/envs/{env}/app-instances/{name}',
  remove: 'DELETE /api/v1/projects/{project}/envs/{env}/app-instances/{name}',
  upgrade: 'POST /api/v1/projects/{project}/envs/{env}/app-instances/{name}/upgrade',
  rotate: 'POST /api/v1/projects/{project}/envs/{env}/app-instances/{name}/rotate-password',
} as const;

export const appKeys = {
  catalog: ['apps'] as const,
  app: (name: string) => ['apps', name] as const,
  list: (project: string, env: string) => ['app-instances', project, env] as const,
  instance: (project: string, env: string, name: string) => ['app-instances', project, env, name] as const,
};

const base = (project: string, env: string) =>
  `/api/v1/projects/${encodeURIComponent(project)}/envs/${encodeURIComponent(env)}/app-instances`;
const instanceUrl = (project: string, env: string, name: string) =>
  `${base(project, env)}/${encodeURIComponent(name)}`;

export const listApps = () => api<{ items: AppSummary[] }>('/api/v1/apps').then((r) => r.items);
export const getApp = (name: string) => api<App>(`/api/v1/apps/${encodeURIComponent(name)}`);
export const listInstances = (project: string, env: string) =>
  api<{ items: AppInstance[] }>(base(project, env)).then((r) => r.items);
/** `reveal`: with the password, for callers who may read the environment's secrets. */
export const getInstance = (project: string, env: string, name: string, reveal = false) =>
  api<AppInstanceDetail>(instanceUrl(project, env, name), { query: reveal ? { reveal: true } : undefined });
export const createInstance = (project: string, env: string, body: AppInstanceCreate) =>
  api<AppInstanceCreated>(base(project, env), { method: 'POST', body });
export const upgradeInstance = (project: string, env: string, name: string, version: string) =>
  api<AppInstanceDetail>(`${instanceUrl(project, env, name)}/upgrade`, { method: 'POST', body: { version } });
/** A new password; the answer carries it (the only time it is shown unless revealed). */
export const rotatePassword = (project: string, env: string, name: string) =>
  api<AppInstanceCreated>(`${instanceUrl(project, env, name)}/rotate-password`, { method: 'POST', body: {} });
export const deleteInstance = (project: string, env: string, name: string, keepVolumes: boolean) =>
  api<AppInstanceDeleted>(instanceUrl(project, env, name), {
    method: 'DELETE',
    query: { keepVolumes: String(keepVolumes) },
  });
