import { z } from 'zod';
import {
  InvalidError,
  fleetMovesQuerySchema,
  nameSchema,
  placementPreviewRequestSchema,
  servicePlacementPreviewRequestSchema,
  type PlacementMove,
} from '@berth/shared';
import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import type { ServicesRepository } from '../services/services.repository';
import type { ClusterCatalog } from './cluster-catalog';
import { PlacementPreviews } from './placement-preview';
import { PlacementMovesRepository, type PlacementMoveRow } from './placement-moves.repository';
import { parseJson } from '../../util';

const envParams = z.object({ project: nameSchema, env: nameSchema }).strict();
const serviceParams = envParams.extend({ service: nameSchema }).strict();
const projectScope = (p: { project: string }) => ({ kind: 'project' as const, project: p.project });

/**
 * Placement previews: where replicas would run, per cluster, with the reason a cluster gets fewer
 * than its share. Read-only (services:read), though POST because the placement is a body.
 */
export function registerPlacementRoutes(
  registry: RouteRegistry,
  ctx: AppContext,
  services: ServicesRepository,
  catalog: ClusterCatalog,
): void {
  const previews = new PlacementPreviews(ctx, catalog, services);

  registry.add({
    id: 'services.placementPreview',
    method: 'POST',
    url: '/api/v1/projects/:project/envs/:env/services/:service/placement-preview',
    summary:
      "Where a service's replicas would run under a placement and replica count (both default to the service's own)",
    tags: ['services'],
    access: { permission: 'services:read', scope: projectScope },
    params: serviceParams,
    body: servicePlacementPreviewRequestSchema,
    response: { status: 200, description: 'Per cluster: replicas, current replicas and the reason' },
    handler: ({ params, body }) => previews.forService(params, body),
  });

  registry.add({
    id: 'services.placementPreviewNew',
    method: 'POST',
    url: '/api/v1/projects/:project/envs/:env/placement-preview',
    summary: 'Where the replicas of a service not created yet would run (the create form)',
    tags: ['services'],
    access: { permission: 'services:read', scope: projectScope },
    params: envParams,
    body: placementPreviewRequestSchema,
    response: { status: 200, description: 'Per cluster: replicas and the reason' },
    handler: ({ params, body }) => previews.forNew(params, body),
  });

  const moves = new PlacementMovesRepository(ctx.db);
  registry.add({
    id: 'fleet.moves',
    method: 'GET',
    url: '/api/v1/fleet/moves',
    summary:
      'Services whose replicas are moving between clusters (failover, restore, drain, placement change), of the projects you may read; narrowed by project, env and cluster',
    tags: ['clusters'],
    // filtered to the projects the caller may read, so every signed-in user may ask; a `project`
    // outside them lists nothing (as the audit list does), never saying whether it exists
    access: 'authenticated',
    query: fleetMovesQuerySchema,
    response: { status: 200, description: '{ items: PlacementMove[] }, oldest move first (at most 1000)' },
    handler: async ({ actor, query }) => {
      await checkCluster(catalog, query.cluster);
      const rows = await moves.list(await ctx.auth.visibleProjects(actor), query);
      return { items: rows.map(toMove) };
    },
  });
}

/**
 * A `?cluster=` filter must name a registered cluster (every signed-in user may list them): an
 * unknown name is a 422 field error at `cluster` listing them, as the container lists answer.
 */
async function checkCluster(catalog: ClusterCatalog, cluster: string | undefined): Promise<void> {
  if (cluster === undefined) return;
  const known = await catalog.names();
  if (known.includes(cluster)) return;
  const list = known.join(', ');
  throw new InvalidError(
    `Invalid query parameters. cluster: no cluster '${cluster}' is registered; the registered clusters are ${list} (GET /api/v1/clusters).`,
    [{ path: 'cluster', message: `must be a registered cluster: ${list}` }],
    'UNPROCESSABLE',
  );
}

function toMove(r: PlacementMoveRow): PlacementMove {
  return {
    project: r.project,
    env: r.env,
    service: r.service,
    targets: parseJson<Record<string, number>>(r.targets, {}),
    current: parseJson<Record<string, number>>(r.current, {}),
    failedOver: parseJson<string[]>(r.failed_over, []),
    notes: parseJson<string[]>(r.notes, []),
    unplaced: r.unplaced,
    since: r.since,
    updatedAt: r.updated_at,
  };
}
