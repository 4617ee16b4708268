import type {
  AuditEvent,
  Container,
  Me,
  Page,
  Project,
  Release,
  Service,
  ServiceEvent,
  ServiceSpecInput,
  Task,
  Team,
} from '@berth/shared';
import { api, type RequestOptions } from './client';
import { containerPath, servicePath, servicesPath, type ServiceRef } from './paths';

/** Typed calls of the endpoints the portal uses; one function per endpoint. */
export interface Environment {
  name: string;
  displayName: string;
}

export interface ServiceWithTask {
  service: Service;
  task: Task | null;
}

export const login = (username: string, password: string) =>
  api<Me>('/api/v1/auth/login', {
    method: 'POST',
    body: { username, password },
    noSessionRedirect: true,
  });
export const logout = () => api<void>('/api/v1/auth/logout', { method: 'POST', noSessionRedirect: true });
export const getMe = () => api<Me>('/api/v1/me', { noSessionRedirect: true });

export const listTeams = () => api<Page<Team>>('/api/v1/teams', { query: { limit: 500 } });
export const listProjects = (team: string | undefined) =>
  api<Page<Project>>('/api/v1/projects', { query: { team, limit: 500 } });
export const listEnvs = () => api<Page<Environment>>('/api/v1/envs');

export interface ServiceQuery {
  q?: string;
  status?: string;
  cursor?: string;
  limit?: number;
}
export const listServices = (
  project: string,
  env: string,
  query: ServiceQuery,
  opts: Pick<RequestOptions, 'signal' | 'noSessionRedirect'> = {},
) => api<Page<Service>>(servicesPath(project, env), { ...opts, query: { ...query } });
export const createService = (
  project: string,
  env: string,
  body: { name: string; spec: ServiceSpecInput; reason?: string },
) => api<ServiceWithTask>(servicesPath(project, env), { method: 'POST', body });
export const getService = (ref: ServiceRef) => api<Service>(servicePath(ref));
export const listReleases = (ref: ServiceRef) => api<Page<Release>>(`${servicePath(ref)}/releases`);
export const scaleService = (ref: ServiceRef, replicas: number) =>
  api<ServiceWithTask>(`${servicePath(ref)}/scale`, { method: 'POST', body: { replicas } });
export const rollbackService = (ref: ServiceRef, release: number) =>
  api<ServiceWithTask>(`${servicePath(ref)}/rollback`, { method: 'POST', body: { release } });
export const promoteService = (ref: ServiceRef, release: number) =>
  api<ServiceWithTask>(`${servicePath(ref)}/promote`, {
    method: 'POST',
    body: { release, toEnv: 'prod' },
  });
export const listServiceTasks = (ref: ServiceRef) =>
  api<Page<Task>>(`${servicePath(ref)}/tasks`, { query: { limit: 10 } });

export const listContainers = (ref: ServiceRef) => api<Page<Container>>(`${servicePath(ref)}/containers`);
export const listHistory = (ref: ServiceRef, query: { ip?: string; cluster?: string; cursor?: string }) =>
  api<Page<Container>>(`${servicePath(ref)}/containers/history`, { query: { ...query, limit: 50 } });
export const destroyContainer = (ref: ServiceRef, container: string) =>
  api<Container>(`${containerPath(ref, container)}/destroy`, { method: 'POST', body: {} });
export const setRotation = (ref: ServiceRef, container: string, inRotation: boolean) =>
  api<Container>(`${containerPath(ref, container)}/rotation`, { method: 'POST', body: { inRotation } });
export const listEvents = (ref: ServiceRef) =>
  api<Page<ServiceEvent>>(`${servicePath(ref)}/events`, { query: { limit: 100 } });

export const getTask = (id: string) => api<Task>(`/api/v1/tasks/${encodeURIComponent(id)}`);

export interface AuditQuery {
  actor?: string;
  action?: string;
  target?: string;
  cursor?: string;
}
export const listAudit = (query: AuditQuery) =>
  api<Page<AuditEvent>>('/api/v1/audit', { query: { ...query, limit: 50 } });
