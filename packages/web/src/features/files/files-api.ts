import { api, withQuery } from '../../api/client';
import { containerPath, type ServiceRef } from '../../api/paths';

/** The API routes this feature calls (checked against the OpenAPI document by e2e/files). */
export const filesApiRoutes = {
  list: 'GET /api/v1/projects/{project}/envs/{env}/services/{service}/containers/{container}/files',
  content:
    'GET /api/v1/projects/{project}/envs/{env}/services/{service}/containers/{container}/files/content',
  archive:
    'GET /api/v1/projects/{project}/envs/{env}/services/{service}/containers/{container}/files/archive',
  collected:
    'GET /api/v1/projects/{project}/envs/{env}/services/{service}/containers/{container}/collected-logs',
  collectedDownload:
    'GET /api/v1/projects/{project}/envs/{env}/services/{service}/containers/{container}/collected-logs/download',
} as const;

/** One path inside a container (GET …/files). */
export interface FileEntry {
  name: string;
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  mode: string;
  mtime: string;
  linkTarget?: string;
}

export interface FileListing {
  entry: FileEntry;
  items: FileEntry[];
  truncated?: boolean;
}

export interface CollectedFile {
  file: string;
  path: string;
  generation: number;
  size: number;
  mtime: string;
}

export function listFiles(ref: ServiceRef, container: string, path: string): Promise<FileListing> {
  return api<FileListing>(`${containerPath(ref, container)}/files`, { query: { path } });
}

export function viewFile(
  ref: ServiceRef,
  container: string,
  path: string,
  tail?: number,
): Promise<{ entry: FileEntry; text?: string; lines?: string[] }> {
  return api(`${containerPath(ref, container)}/files/content`, { query: { path, tail } });
}

export function followUrl(ref: ServiceRef, container: string, path: string): string {
  return withQuery(`${containerPath(ref, container)}/files/content`, { path, follow: true, tail: 100 });
}

export function downloadUrl(ref: ServiceRef, container: string, path: string, tar: boolean): string {
  return tar
    ? withQuery(`${containerPath(ref, container)}/files/archive`, { path })
    : withQuery(`${containerPath(ref, container)}/files/content`, { path, download: true });
}

export function listCollected(ref: ServiceRef, container: string): Promise<{ items: CollectedFile[] }> {
  return api(`${containerPath(ref, container)}/collected-logs`);
}

export function collectedUrl(ref: ServiceRef, container: string, file: string): string {
  return withQuery(`${containerPath(ref, container)}/collected-logs/download`, { file });
}
