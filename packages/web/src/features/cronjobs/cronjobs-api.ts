import type { CronEventView, CronJobSpecInput, CronJobView, CronRunView } from '@berth/shared';
import { api } from '../../api/client';

/** The cron job API paths the portal calls (checked against /api/openapi.json by the e2e test). */
export const cronJobApiRoutes = {
  list: 'GET /api/v1/projects/{project}/envs/{env}/cronjobs',
  create: 'POST /api/v1/projects/{project}/envs/{env}/cronjobs',
  get: 'GET /api/v1/projects/{project}/envs/{env}/cronjobs/{cronjob}',
  update: 'PUT /api/v1/projects/{project}/envs/{env}/cronjobs/{cronjob}',
  remove: 'DELETE /api/v1/projects/{project}/envs/{env}/cronjobs/{cronjob}',
  run: 'POST /api/v1/projects/{project}/envs/{env}/cronjobs/{cronjob}/run',
  suspend: 'POST /api/v1/projects/{project}/envs/{env}/cronjobs/{cronjob}/suspend',
  resume: 'POST /api/v1/projects/{project}/envs/{env}/cronjobs/{cronjob}/resume',
  runs: 'GET /api/v1/projects/{project}/envs/{env}/cronjobs/{cronjob}/runs',
  events: 'GET /api/v1/projects/{project}/envs/{env}/cronjobs/{cronjob}/events',
  logs: 'GET /api/v1/projects/{project}/envs/{env}/cronjobs/{cronjob}/runs/{run}/logs',
} as const;

/** One line of a run's output. */
export interface CronLogLine {
  stream: 'stdout' | 'stderr';
  at: string;
  text: string;
}

const seg = encodeURIComponent;
const jobsPath = (project: string, env: string) =>
  `/api/v1/projects/${seg(project)}/envs/${seg(env)}/cronjobs`;
const jobPath = (project: string, env: string, name: string) => `${jobsPath(project, env)}/${seg(name)}`;

export const cronKeys = {
  list: (project: string, env: string) => ['cronjobs', project, env] as const,
  job: (project: string, env: string, name: string) => ['cronjobs', project, env, name] as const,
};

export const listCronJobs = (project: string, env: string) =>
  api<{ items: CronJobView[] }>(jobsPath(project, env));
export const getCronJob = (project: string, env: string, name: string) =>
  api<CronJobView>(jobPath(project, env, name));
export const createCronJob = (project: string, env: string, body: { name: string; spec: CronJobSpecInput }) =>
  api<CronJobView>(jobsPath(project, env), { method: 'POST', body });
export const updateCronJob = (
  project: string,
  env: string,
  name: string,
  body: { spec: CronJobSpecInput; version: number },
) => api<CronJobView>(jobPath(project, env, name), { method: 'PUT', body });
export const deleteCronJob = (project: string, env: string, name: string) =>
  api<void>(jobPath(project, env, name), { method: 'DELETE' });
export const runCronJob = (project: string, env: string, name: string) =>
  api<CronRunView>(`${jobPath(project, env, name)}/run`, { method: 'POST', body: {} });
export const setCronJobSuspended = (project: string, env: string, name: string, suspend: boolean) =>
  api<CronJobView>(`${jobPath(project, env, name)}/${suspend ? 'suspend' : 'resume'}`, {
    method: 'POST',
    body: {},
  });
export const listCronRuns = (project: string, env: string, name: string) =>
  api<{ items: CronRunView[] }>(`${jobPath(project, env, name)}/runs`);
export const listCronEvents = (project: string, env: string, name: string) =>
  api<{ items: CronEventView[] }>(`${jobPath(project, env, name)}/events`);
export const cronRunLogs = (project: string, env: string, name: string, run: string, attempt?: number) =>
  api<{ attempt: number; live: boolean; lines: CronLogLine[] }>(
    `${jobPath(project, env, name)}/runs/${seg(run)}/logs`,
    {
      query: attempt === undefined ? undefined : { attempt },
    },
  );
