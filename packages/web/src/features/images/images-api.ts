import type {
  CreateRegistryRequest,
  DeleteTagResult,
  ImageRepository,
  ImageTag,
  ImageTagDetail,
  Page,
  Registry,
  RegistryTestResult,
  Task,
  UpdateRegistryRequest,
} from '@berth/shared';
import { api } from '../../api/client';

const seg = encodeURIComponent;
const registryPath = (r: string) => `/api/v1/registries/${seg(r)}`;
/** Repository names keep their slashes; each segment is encoded. */
const repoPath = (r: string, repo: string) =>
  `${registryPath(r)}/repositories/${repo.split('/').map(seg).join('/')}`;

export const registriesKey = ['registries'] as const;
export const repositoriesKey = (r: string, q: string) => ['repositories', r, q] as const;
export const tagsKey = (r: string, repo: string) => ['image-tags', r, repo] as const;

export const listRegistries = () => api<Page<Registry>>('/api/v1/registries', { query: { limit: 500 } });
export const createRegistry = (body: CreateRegistryRequest) =>
  api<Registry>('/api/v1/registries', { method: 'POST', body });
export const updateRegistry = (name: string, body: UpdateRegistryRequest) =>
  api<Registry>(registryPath(name), { method: 'PATCH', body });
export const deleteRegistry = (name: string) => api<void>(registryPath(name), { method: 'DELETE' });
export const testRegistry = (name: string) =>
  api<RegistryTestResult>(`${registryPath(name)}/test`, { method: 'POST' });

export const listRepositories = (r: string, q: string, cursor?: string) =>
  api<Page<ImageRepository>>(`${registryPath(r)}/repositories`, { query: { q, cursor } });
export const listTags = (r: string, repo: string, cursor?: string) =>
  api<Page<ImageTag>>(`${repoPath(r, repo)}/tags`, { query: { cursor } });
export const getTag = (r: string, repo: string, tag: string) =>
  api<ImageTagDetail>(`${repoPath(r, repo)}/tags/${seg(tag)}`);
export const deleteTag = (r: string, repo: string, tag: string, force: boolean) =>
  api<DeleteTagResult>(`${repoPath(r, repo)}/tags/${seg(tag)}`, {
    method: 'DELETE',
    query: force ? { force: 'true' } : {},
  });
export const startGc = (r: string) => api<Task>(`${registryPath(r)}/gc`, { method: 'POST' });

/** sha256:abcdef… → abcdef012345 (12 hex digits, as container tools show image ids). */
export const shortDigest = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

export const publicReposKey = (r: string) => ['public-repositories', r] as const;
export const listPublicRepos = (r: string) =>
  api<{ items: Array<{ repository: string }> }>(`${registryPath(r)}/public-repositories`);
export const addPublicRepo = (r: string, repository: string) =>
  api<{ registry: string; repository: string }>(`${registryPath(r)}/public-repositories`, {
    method: 'POST',
    body: { repository },
  });
export const removePublicRepo = (r: string, repository: string) =>
  api<void>(`${registryPath(r)}/public-repositories/${repository.split('/').map(seg).join('/')}`, {
    method: 'DELETE',
  });
