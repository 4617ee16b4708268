import type { SiteProbe, SiteProbeStatus, SiteProbeUptime } from '@berth/shared';
import { api } from '../../api/client';

/** The probe API paths the portal calls (checked against /api/openapi.json by the e2e test). */
export const probeApiRoutes = {
  list: 'GET /api/v1/projects/{project}/envs/{env}/probes',
  create: 'POST /api/v1/projects/{project}/envs/{env}/probes',
  update: 'PUT /api/v1/projects/{project}/envs/{env}/probes/{probe}',
  remove: 'DELETE /api/v1/projects/{project}/envs/{env}/probes/{probe}',
  uptime: 'GET /api/v1/projects/{project}/envs/{env}/probes/{probe}/uptime',
} as const;

export interface ProbeInput {
  name: string;
  kind: 'http' | 'tcp';
  url?: string;
  address?: string;
  expectStatus?: string;
  bodyMustNotMatch?: string;
  bodyMustMatch?: string;
  latencyThresholdMs?: number;
  intervalSeconds?: number;
  alert?: { for?: string; severity?: string };
}

/** A PUT replaces the probe (name and alert rule stay); expectedUpdatedAt makes a change meanwhile a 409. */
export type ProbeUpdateInput = Omit<ProbeInput, 'name' | 'alert'> & { expectedUpdatedAt?: string };

const seg = encodeURIComponent;
const probesPath = (project: string, env: string) =>
  `/api/v1/projects/${seg(project)}/envs/${seg(env)}/probes`;

export const probeKeys = {
  list: (project: string, env: string) => ['probes', project, env] as const,
  uptime: (project: string, env: string, name: string, range: string) =>
    ['probes', project, env, name, 'uptime', range] as const,
};

export const listProbes = (project: string, env: string) =>
  api<{ items: SiteProbeStatus[] }>(probesPath(project, env));
export const createProbe = (project: string, env: string, body: ProbeInput) =>
  api<SiteProbe>(probesPath(project, env), { method: 'POST', body });
export const updateProbe = (project: string, env: string, name: string, body: ProbeUpdateInput) =>
  api<SiteProbe>(`${probesPath(project, env)}/${seg(name)}`, { method: 'PUT', body });
export const deleteProbe = (project: string, env: string, name: string) =>
  api<unknown>(`${probesPath(project, env)}/${seg(name)}`, { method: 'DELETE' });
export const probeUptime = (project: string, env: string, name: string, range: string) =>
  api<SiteProbeUptime>(`${probesPath(project, env)}/${seg(name)}/uptime?range=${seg(range)}`);
