import type { Canary, GatewayVersionKind, GatewayVersionState, Page, Route, RouteSpec } from '@berth/shared';
import { api } from '../../api/client';

/** The routes API paths the portal calls (checked against /api/openapi.json by the e2e test). */
export const routeApiRoutes = {
  routes: 'GET /api/v1/projects/{project}/envs/{env}/routes',
  createRoute: 'POST /api/v1/projects/{project}/envs/{env}/routes',
  route: 'GET /api/v1/projects/{project}/envs/{env}/routes/{route}',
  updateRoute: 'PUT /api/v1/projects/{project}/envs/{env}/routes/{route}',
  deleteRoute: 'DELETE /api/v1/projects/{project}/envs/{env}/routes/{route}',
  canary: 'POST /api/v1/projects/{project}/envs/{env}/routes/{route}/canary',
  promote: 'POST /api/v1/projects/{project}/envs/{env}/routes/{route}/canary/promote',
  abort: 'POST /api/v1/projects/{project}/envs/{env}/routes/{route}/canary/abort',
} as const;

/** Identifies one route in the API's paths. */
export interface RouteRef {
  project: string;
  env: string;
  route: string;
}

/** The gateway version a route write produced (null when the env has no gateway). */
export interface AppliedVersion {
  number: number;
  kind: GatewayVersionKind;
  state: GatewayVersionState;
}

export interface RouteWrite {
  route: Route;
  gatewayVersion: AppliedVersion | null;
}

/** What the route form sends: the spec as the user filled it; the API checks it and applies defaults. */
export interface RouteSpecInput {
  host: RouteSpec['host'];
  [field: string]: unknown;
}
export type CanaryInput = Omit<Canary, 'promoting'>;

const seg = encodeURIComponent;

export function routesPath(project: string, env: string): string {
  return `/api/v1/projects/${seg(project)}/envs/${seg(env)}/routes`;
}

export function routePath(ref: RouteRef): string {
  return `${routesPath(ref.project, ref.env)}/${seg(ref.route)}`;
}

/** The query-cache key of everything about the routes of one env. */
export function routesKey(project: string, env: string): [string, string, string] {
  return ['routes', project, env];
}

export const listRoutes = (project: string, env: string, cursor?: string) =>
  api<Page<Route>>(routesPath(project, env), { query: { cursor, limit: 500 } });
export const getRoute = (ref: RouteRef) => api<Route>(routePath(ref));
export const createRoute = (
  project: string,
  env: string,
  body: { name: string; spec: RouteSpecInput; reason?: string },
) => api<RouteWrite>(routesPath(project, env), { method: 'POST', body });
export const updateRoute = (
  ref: RouteRef,
  body: { version: number; spec: RouteSpecInput; reason?: string },
) => api<RouteWrite>(routePath(ref), { method: 'PUT', body });
export const deleteRoute = (ref: RouteRef, version: number) =>
  api<void>(routePath(ref), { method: 'DELETE', query: { version } });
export const setCanary = (ref: RouteRef, body: CanaryInput & { version: number; reason?: string }) =>
  api<RouteWrite>(`${routePath(ref)}/canary`, { method: 'POST', body });
export const promoteCanary = (ref: RouteRef, version: number) =>
  api<RouteWrite>(`${routePath(ref)}/canary/promote`, { method: 'POST', body: { version } });
export const abortCanary = (ref: RouteRef, version: number) =>
  api<RouteWrite>(`${routePath(ref)}/canary/abort`, { method: 'POST', body: { version } });
