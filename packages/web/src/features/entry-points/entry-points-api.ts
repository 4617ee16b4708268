import type { EntryPointProtocol, EntryPointView, Gateway, PortAssignmentView } from '@berth/shared';
import { api } from '../../api/client';

/** The entry point API paths the portal calls (checked against /api/openapi.json by the e2e test). */
export const entryPointApiRoutes = {
  envPorts: 'GET /api/v1/envs/{env}/entry-ports',
  assignPorts: 'POST /api/v1/envs/{env}/entry-ports',
  releasePort: 'DELETE /api/v1/envs/{env}/entry-ports/{protocol}/{port}',
  projectPorts: 'GET /api/v1/projects/{project}/envs/{env}/entry-ports',
  entryPoints: 'GET /api/v1/projects/{project}/envs/{env}/entry-points',
  createEntryPoint: 'POST /api/v1/projects/{project}/envs/{env}/entry-points',
  updateEntryPoint: 'PUT /api/v1/projects/{project}/envs/{env}/entry-points/{protocol}/{port}',
  deleteEntryPoint: 'DELETE /api/v1/projects/{project}/envs/{env}/entry-points/{protocol}/{port}',
} as const;

const seg = encodeURIComponent;

/** What the admin's assign form sends: one port, or a range from..to. */
export interface AssignPortsInput {
  project: string;
  protocol: EntryPointProtocol;
  port?: number;
  from?: number;
  to?: number;
  allowPrivileged?: boolean;
}

/** The settings of an entry point a create or an update sends (null clears a timeout). */
export interface EntryPointSettings {
  serviceName: string;
  servicePort: number;
  maxFails?: number;
  failTimeoutSeconds?: number;
  connectTimeoutSeconds?: number | null;
  timeoutSeconds?: number | null;
  udpResponses?: number | null;
}

const envPortsPath = (env: string) => `/api/v1/envs/${seg(env)}/entry-ports`;
const projectEnvPath = (project: string, env: string) => `/api/v1/projects/${seg(project)}/envs/${seg(env)}`;
const entryPointPath = (project: string, env: string, protocol: EntryPointProtocol, port: number) =>
  `${projectEnvPath(project, env)}/entry-points/${protocol}/${port}`;

/** Query-cache keys: an env's assignments (admin), a project's ports and entry points. */
export const entryKeys = {
  envPorts: (env: string) => ['entry-ports', env] as const,
  project: (project: string, env: string) => ['entry-points', project, env] as const,
};

export const listEnvPorts = (env: string) => api<{ items: PortAssignmentView[] }>(envPortsPath(env));
export const assignPorts = (env: string, body: AssignPortsInput) =>
  api<{ items: PortAssignmentView[] }>(envPortsPath(env), { method: 'POST', body });
export const releasePort = (env: string, protocol: EntryPointProtocol, port: number) =>
  api<void>(`${envPortsPath(env)}/${protocol}/${port}`, { method: 'DELETE' });

export const listProjectPorts = (project: string, env: string) =>
  api<{ items: PortAssignmentView[] }>(`${projectEnvPath(project, env)}/entry-ports`);
export const listEntryPoints = (project: string, env: string) =>
  api<{ items: EntryPointView[] }>(`${projectEnvPath(project, env)}/entry-points`);
export const createEntryPoint = (
  project: string,
  env: string,
  body: EntryPointSettings & { protocol: EntryPointProtocol; port: number },
) => api<EntryPointView>(`${projectEnvPath(project, env)}/entry-points`, { method: 'POST', body });
export const updateEntryPoint = (
  e: EntryPointView,
  body: Partial<EntryPointSettings> & { version: number },
) => api<EntryPointView>(entryPointPath(e.project, e.env, e.protocol, e.port), { method: 'PUT', body });
export const deleteEntryPoint = (e: EntryPointView) =>
  api<void>(entryPointPath(e.project, e.env, e.protocol, e.port), {
    method: 'DELETE',
    query: { version: e.version },
  });

/**
 * The addresses to connect to for a port: each gateway of the env's listen host with the port.
 * A gateway listening on every address (0.0.0.0) has no one host to name: its nodes' hosts serve.
 */
export function connectAddresses(gateways: Gateway[], env: string, port: number): string[] {
  const out: string[] = [];
  for (const g of gateways) {
    if (g.env !== env) continue;
    const host = /^(.*):\d{1,5}$/.exec(g.listen)?.[1];
    if (host && host !== '0.0.0.0' && !out.includes(`${host}:${port}`)) out.push(`${host}:${port}`);
  }
  return out;
}
