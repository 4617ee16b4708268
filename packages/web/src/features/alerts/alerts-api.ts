import type {
  AlertView,
  ChannelCreate,
  ChannelUpdate,
  ChannelView,
  DeliveryView,
  SilenceCreate,
  SilenceView,
} from '@berth/shared';
import { api } from '../../api/client';

/** The alert API paths the portal calls (checked against /api/openapi.json by the e2e test). */
export const alertApiRoutes = {
  alerts: 'GET /api/v1/projects/{project}/alerts',
  channels: 'GET /api/v1/projects/{project}/channels',
  createChannel: 'POST /api/v1/projects/{project}/channels',
  updateChannel: 'PUT /api/v1/projects/{project}/channels/{channel}',
  deleteChannel: 'DELETE /api/v1/projects/{project}/channels/{channel}',
  testChannel: 'POST /api/v1/projects/{project}/channels/{channel}/test',
  silences: 'GET /api/v1/projects/{project}/silences',
  createSilence: 'POST /api/v1/projects/{project}/silences',
  expireSilence: 'DELETE /api/v1/projects/{project}/silences/{silence}',
} as const;

const seg = encodeURIComponent;
const base = (project: string) => `/api/v1/projects/${seg(project)}`;

export const alertKeys = {
  alerts: (project: string) => ['alerts', project] as const,
  channels: (project: string) => ['channels', project] as const,
  silences: (project: string, expired: boolean) => ['silences', project, expired] as const,
};

export const listAlerts = (project: string) => api<{ items: AlertView[] }>(`${base(project)}/alerts`);
export const listChannels = (project: string) => api<{ items: ChannelView[] }>(`${base(project)}/channels`);
export const createChannel = (project: string, body: ChannelCreate) =>
  api<ChannelView>(`${base(project)}/channels`, { method: 'POST', body });
export const updateChannel = (project: string, name: string, body: ChannelUpdate) =>
  api<ChannelView>(`${base(project)}/channels/${seg(name)}`, { method: 'PUT', body });
export const deleteChannel = (project: string, name: string) =>
  api<void>(`${base(project)}/channels/${seg(name)}`, { method: 'DELETE' });
export const testChannel = (project: string, name: string) =>
  api<DeliveryView>(`${base(project)}/channels/${seg(name)}/test`, { method: 'POST', body: {} });
export const listSilences = (project: string, expired: boolean) =>
  api<{ items: SilenceView[] }>(`${base(project)}/silences${expired ? '?expired=true' : ''}`);
export const createSilence = (project: string, body: Partial<SilenceCreate>) =>
  api<SilenceView>(`${base(project)}/silences`, { method: 'POST', body });
export const expireSilence = (project: string, id: string) =>
  api<void>(`${base(project)}/silences/${seg(id)}`, { method: 'DELETE' });
