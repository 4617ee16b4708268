import { api } from '../../api/client';
import { containerPath, type ServiceRef } from '../../api/paths';

/** The API routes this feature calls (checked against the OpenAPI document by e2e/debug). */
export const debugApiRoutes = {
  start: 'POST /api/v1/projects/{project}/envs/{env}/services/{service}/containers/{container}/debug',
  shell:
    'GET /api/v1/projects/{project}/envs/{env}/services/{service}/containers/{container}/debug/{debug}/shell',
} as const;

/** A debug session as the API answers it (POST …/containers/{c}/debug, docs/debug.md). */
export interface DebugSession {
  id: string;
  container: string;
  target: string;
  image: string;
  user: string;
  expiresAt: string;
  shellPath: string;
  /** On Kubernetes: the ephemeral container as the cluster shows it, in the target's pod. */
  ephemeral?: { pod: string; container: string };
}

/** Starts a debug container beside `container` (the toolbox unless `image`; the target's user unless root). */
export function startDebug(
  ref: ServiceRef,
  container: string,
  root: boolean,
  image?: string,
): Promise<DebugSession> {
  return api<DebugSession>(`${containerPath(ref, container)}/debug`, {
    method: 'POST',
    body: { ...(root ? { user: 'root' } : {}), ...(image ? { image } : {}) },
  });
}
