import type { CreateVolumeRequest, Volume, VolumeClass, VolumeClassRequest } from '@berth/shared';
import { api } from '../../api/client';

/** The volume API paths the portal calls (checked against /api/openapi.json by the e2e test). */
export const volumeApiRoutes = {
  classes: 'GET /api/v1/volume-classes',
  putClass: 'PUT /api/v1/volume-classes/{name}',
  list: 'GET /api/v1/projects/{project}/envs/{env}/volumes',
  create: 'POST /api/v1/projects/{project}/envs/{env}/volumes',
  remove: 'DELETE /api/v1/projects/{project}/envs/{env}/volumes/{volume}',
  export: 'GET /api/v1/projects/{project}/envs/{env}/volumes/{volume}/export',
  import: 'POST /api/v1/projects/{project}/envs/{env}/volumes/{volume}/import',
} as const;

export const volumeKeys = {
  list: (project: string, env: string) => ['volumes', project, env] as const,
  classes: ['volume-classes'] as const,
};

const base = (project: string, env: string) =>
  `/api/v1/projects/${encodeURIComponent(project)}/envs/${encodeURIComponent(env)}/volumes`;

export const volumeUrl = (project: string, env: string, name: string) =>
  `${base(project, env)}/${encodeURIComponent(name)}`;

export const listVolumes = (project: string, env: string) =>
  api<{ items: Volume[] }>(base(project, env)).then((r) => r.items);
export const createVolume = (project: string, env: string, body: CreateVolumeRequest) =>
  api<Volume>(base(project, env), { method: 'POST', body });
export const deleteVolume = (project: string, env: string, name: string) =>
  api<void>(volumeUrl(project, env, name), { method: 'DELETE' });
export const listClasses = () => api<{ items: VolumeClass[] }>('/api/v1/volume-classes').then((r) => r.items);
export const putClass = (name: string, body: VolumeClassRequest) =>
  api<VolumeClass>(`/api/v1/volume-classes/${encodeURIComponent(name)}`, { method: 'PUT', body });

/** Uploads a tar archive into a volume (the body is the file as it is). */
export const importVolume = (project: string, env: string, name: string, file: Blob) =>
  api<void>(`${volumeUrl(project, env, name)}/import`, {
    method: 'POST',
    raw: { body: file, contentType: 'application/x-tar' },
  });
