/**
 * Every API path the portal calls, as OpenAPI templates. The e2e test checks each against the
 * running server's /api/openapi.json, so the client cannot drift from the API unnoticed.
 */
export const apiRoutes = {
  login: 'POST /api/v1/auth/login',
  logout: 'POST /api/v1/auth/logout',
  me: 'GET /api/v1/me',
  teams: 'GET /api/v1/teams',
  projects: 'GET /api/v1/projects',
  envs: 'GET /api/v1/envs',
  audit: 'GET /api/v1/audit',
  services: 'GET /api/v1/projects/{project}/envs/{env}/services',
  createService: 'POST /api/v1/projects/{project}/envs/{env}/services',
  service: 'GET /api/v1/projects/{project}/envs/{env}/services/{service}',
  releases: 'GET /api/v1/projects/{project}/envs/{env}/services/{service}/releases',
  scale: 'POST /api/v1/projects/{project}/envs/{env}/services/{service}/scale',
  rollback: 'POST /api/v1/projects/{project}/envs/{env}/services/{service}/rollback',
  promote: 'POST /api/v1/projects/{project}/envs/{env}/services/{service}/promote',
  serviceTasks: 'GET /api/v1/projects/{project}/envs/{env}/services/{service}/tasks',
  containers: 'GET /api/v1/projects/{project}/envs/{env}/services/{service}/containers',
  history: 'GET /api/v1/projects/{project}/envs/{env}/services/{service}/containers/history',
  destroy: 'POST /api/v1/projects/{project}/envs/{env}/services/{service}/containers/{container}/destroy',
  rotation: 'POST /api/v1/projects/{project}/envs/{env}/services/{service}/containers/{container}/rotation',
  logs: 'GET /api/v1/projects/{project}/envs/{env}/services/{service}/containers/{container}/logs',
  events: 'GET /api/v1/projects/{project}/envs/{env}/services/{service}/events',
  task: 'GET /api/v1/tasks/{id}',
  taskLog: 'GET /api/v1/tasks/{id}/log',
} as const;

/** Identifies one service in the API's paths. */
export interface ServiceRef {
  project: string;
  env: string;
  service: string;
}

const seg = encodeURIComponent;

export function servicesPath(project: string, env: string): string {
  return `/api/v1/projects/${seg(project)}/envs/${seg(env)}/services`;
}

export function servicePath(ref: ServiceRef): string {
  return `${servicesPath(ref.project, ref.env)}/${seg(ref.service)}`;
}

export function containerPath(ref: ServiceRef, container: string): string {
  return `${servicePath(ref)}/containers/${seg(container)}`;
}

/** The query-cache key prefix of everything about one service. */
export function refKey(ref: ServiceRef): [string, string, string] {
  return [ref.project, ref.env, ref.service];
}
