import { z } from 'zod';
import { clusterNameSchema } from './clusters';
import { nameSchema } from './names';

/**
 * How a service's replicas are divided over the clusters of its environment (`spec.placement`).
 * - weighted: by the weights given (Webster / Sainte-Laguë highest averages);
 * - capacity: by each cluster's free memory, never more than fits;
 * - duplicated: every cluster runs the full replica count.
 */
export const divisionKinds = ['weighted', 'capacity', 'duplicated'] as const;
export type DivisionKind = (typeof divisionKinds)[number];

export const placementClusterSchema = z
  .object({
    name: nameSchema,
    weight: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be 1 to 1000')
      .max(1000, 'must be 1 to 1000')
      .default(1),
  })
  .strict();

export const placementSchema = z
  .object({
    /** The clusters, with weights, or "all": every cluster of the environment, weight 1. */
    clusters: z.union(
      [
        z.literal('all'),
        z
          .array(placementClusterSchema)
          .min(1, 'must name at least one cluster, or be "all"')
          .max(64, 'must name at most 64 clusters'),
      ],
      { error: 'must be "all" or a list of clusters such as [{"name": "local", "weight": 1}]' },
    ),
    division: z
      .enum(divisionKinds, { error: `must be one of ${divisionKinds.join(', ')}` })
      .default('weighted'),
    /** Each eligible cluster gets at least this many replicas before the rest is divided. */
    minPerCluster: z
      .number()
      .int('must be a whole number')
      .min(0, 'must be 0 or more')
      .max(100, 'must be at most 100')
      .optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.clusters === 'all') return;
    const seen = new Set<string>();
    p.clusters.forEach((c, i) => {
      if (seen.has(c.name))
        ctx.addIssue({
          code: 'custom',
          path: ['clusters', i, 'name'],
          message: `duplicate cluster "${c.name}"`,
        });
      seen.add(c.name);
    });
  });
export type Placement = z.output<typeof placementSchema>;
export type PlacementInput = z.input<typeof placementSchema>;

/** POST …/services/{s}/placement-preview: both default to the service's own. */
export const servicePlacementPreviewRequestSchema = z
  .object({
    placement: placementSchema.optional(),
    replicas: z.number().int().min(0, 'must be 0 or more').max(100, 'must be at most 100').optional(),
  })
  .strict();

/** POST …/envs/{e}/placement-preview: for a service not created yet (the create form). */
export const placementPreviewRequestSchema = z
  .object({
    placement: placementSchema.optional(),
    replicas: z.number().int().min(0, 'must be 0 or more').max(100, 'must be at most 100'),
    /** The name the service will have: ties between equal clusters are spread by it, as after creation. */
    service: nameSchema.optional(),
    /** Memory per replica in MiB, for the capacity division (spec.resources.memoryMiB). */
    memoryMiB: z.number().int().min(6).max(262144).optional(),
  })
  .strict();

export interface PlacementPreviewItem {
  cluster: string;
  /** The replicas the division puts there. */
  replicas: number;
  /** The replicas running there now. */
  current: number;
  /** Why the cluster gets fewer (or none) than its share, null when nothing limits it. */
  reason: string | null;
}

export interface PlacementPreview {
  items: PlacementPreviewItem[];
  /** The placement the preview used (the service's, the one sent, or the default). */
  placement: Placement;
  replicas: number;
  /** Replicas no cluster could take (capacity, cordons); 0 when all are placed. */
  unplaced: number;
  /**
   * Why creating or updating a service with this placement would be refused. Null since the fleet
   * controller serves every registered cluster (a placement naming an unknown cluster is a 422 of
   * the preview itself); kept so clients that read it keep working.
   */
  refused: string | null;
}

/**
 * A service whose replicas are not where the fleet controller wants them yet (`GET
 * /api/v1/fleet/moves`): a cluster failed over, a placement change, a drain or a restore under
 * way, or replicas no cluster can take.
 */
export interface PlacementMove {
  project: string;
  env: string;
  service: string;
  /** Replicas wanted per cluster now. */
  targets: Record<string, number>;
  /** Live replicas of the current release per cluster now. */
  current: Record<string, number>;
  /** Clusters unreachable past the environment's grace, whose replicas moved elsewhere. */
  failedOver: string[];
  /** Why a cluster gets fewer than its share (cordoned, draining, full, unreachable …). */
  notes: string[];
  /** Replicas no cluster can take now. */
  unplaced: number;
  /** When the service started moving. */
  since: string;
  updatedAt: string;
}

/**
 * The filters of `GET /api/v1/fleet/moves`, each optional and all of them together narrowing the
 * list: a project, an environment, and a cluster (a service is listed for a cluster named among
 * its targets, its current replicas or its failed-over clusters). A project the caller may not
 * read lists nothing, like one that does not exist.
 */
export const fleetMovesQuerySchema = z
  .object({
    project: nameSchema
      .optional()
      .meta({ description: 'Only services of this project (one you may not read lists nothing)' }),
    env: nameSchema.optional().meta({ description: 'Only services of this environment, e.g. production' }),
    cluster: clusterNameSchema.optional().meta({
      description:
        'Only services with replicas wanted, running or failed over on this cluster (a registered cluster name; an unknown one is a 422 at `cluster` listing the registered clusters)',
    }),
  })
  .strict();
export type FleetMovesQuery = z.infer<typeof fleetMovesQuerySchema>;
