import { z } from 'zod';

const cores = z.number().min(0, 'must be 0 or more').max(100000, 'must be at most 100000');
const mib = z
  .number()
  .int('must be a whole number of MiB')
  .min(0, 'must be 0 or more')
  .max(1 << 30);

/**
 * `PUT /api/v1/projects/{p}/quota`: the project's limits and the per-container defaults for
 * containers whose spec sets no CPU or memory limit. Each is optional; absent or null = unlimited
 * (limits) or no default. CPU is in cores (0.5 = half a core), memory in MiB.
 */
export const quotaRequestSchema = z
  .object({
    cpu: cores.nullable().optional(),
    memoryMiB: mib.nullable().optional(),
    replicas: z.number().int().min(0).max(100000).nullable().optional(),
    /** Total size of the project's volumes (their sizeMiB, in every env; docs/volumes.md). */
    volumesGiB: z.number().int().min(0).max(1048576).nullable().optional(),
    defaults: z
      .object({
        cpu: z.number().min(0.01, 'must be at least 0.01 cores').max(64).nullable().optional(),
        memoryMiB: z.number().int().min(6, 'must be at least 6 MiB').max(262144).nullable().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type QuotaRequest = z.output<typeof quotaRequestSchema>;

/** One number per quota dimension; null = unlimited. */
export interface QuotaAmounts {
  cpu: number | null;
  memoryMiB: number | null;
  replicas: number | null;
  volumesGiB: number | null;
}

/** `GET /api/v1/projects/{p}/quota`. */
export interface ProjectQuota {
  project: string;
  limits: QuotaAmounts;
  /** Per-container defaults for specs that set no limit; null = none (the platform's count). */
  defaults: { cpu: number | null; memoryMiB: number | null };
  /** What usage counts for a container when neither its spec nor the project sets a limit. */
  platformDefaults: { cpu: number; memoryMiB: number };
  usage: { cpu: number; memoryMiB: number; replicas: number; volumesGiB: number };
  /** limit − usage (never below 0); null = unlimited. */
  remaining: QuotaAmounts;
  updatedAt: string | null;
  updatedBy: string | null;
}
