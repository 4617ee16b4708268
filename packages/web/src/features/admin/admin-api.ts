import type { ApiToken, Page, Project, Role, RoleBinding, Team, User } from '@berth/shared';
import { api } from '../../api/client';

/** The identity API paths the admin pages call (checked against /api/openapi.json by the e2e test). */
export const adminApiRoutes = {
  users: 'GET /api/v1/users',
  createUser: 'POST /api/v1/users',
  updateUser: 'PATCH /api/v1/users/{user}',
  createTeam: 'POST /api/v1/teams',
  createProject: 'POST /api/v1/projects',
  bindings: 'GET /api/v1/bindings',
  createBinding: 'POST /api/v1/bindings',
  deleteBinding: 'DELETE /api/v1/bindings/{id}',
  tokens: 'GET /api/v1/me/tokens',
  createToken: 'POST /api/v1/me/tokens',
  deleteToken: 'DELETE /api/v1/me/tokens/{id}',
  tokenLogin: 'POST /api/v1/auth/token-login',
} as const;

const seg = encodeURIComponent;

/** A binding's scope as the API takes it in a request body. */
export type BindingScope = RoleBinding['scope'];

export const adminKeys = {
  users: ['admin', 'users'] as const,
  teams: ['teams'] as const,
  projects: ['projects'] as const,
  bindings: (filter: { user?: string; scope?: string }) => ['admin', 'bindings', filter] as const,
  tokens: ['admin', 'tokens'] as const,
};

export const listUsers = () => api<Page<User>>('/api/v1/users', { query: { limit: 500 } });
export const createUser = (body: { name: string; displayName?: string; email?: string; password: string }) =>
  api<User>('/api/v1/users', { method: 'POST', body });
export const updateUser = (name: string, body: { disabled?: boolean; password?: string }) =>
  api<User>(`/api/v1/users/${seg(name)}`, { method: 'PATCH', body });

export const createTeam = (body: { name: string; displayName?: string }) =>
  api<Team>('/api/v1/teams', { method: 'POST', body });
export const createProject = (body: { name: string; team: string; displayName?: string }) =>
  api<Project>('/api/v1/projects', { method: 'POST', body });

/** `scope`: platform, team:<name> or project:<name>. */
export const listBindings = (filter: { user?: string; scope?: string }) =>
  api<Page<RoleBinding>>('/api/v1/bindings', { query: { ...filter, limit: 500 } });
export const createBinding = (body: { user: string; role: Role; scope: BindingScope }) =>
  api<RoleBinding>('/api/v1/bindings', { method: 'POST', body });
export const deleteBinding = (id: string) => api<void>(`/api/v1/bindings/${seg(id)}`, { method: 'DELETE' });

export const listTokens = () => api<Page<ApiToken>>('/api/v1/me/tokens');
export const createToken = (body: { name: string; expiresInDays?: number }) =>
  api<ApiToken>('/api/v1/me/tokens', { method: 'POST', body });
export const deleteToken = (id: string) => api<void>(`/api/v1/me/tokens/${seg(id)}`, { method: 'DELETE' });

/** "platform", "team alpha", "project shop" as a compact, language-neutral label. */
export function scopeLabel(scope: BindingScope): string {
  return scope.kind === 'platform' ? 'platform' : `${scope.kind}:${scope.name}`;
}
