import { z } from 'zod';

/**
 * Autoscaling of a service (docs/autoscaling.md): the Kubernetes HPA algorithm on a metric read
 * from Prometheus. Set with `PUT …/services/{s}/autoscale`; it is not part of a release, so changing
 * it never rolls the containers (like the replica count it drives).
 */
export const autoscalePolicySchema = z
  .object({
    type: z.enum(['Pods', 'Percent'], { message: 'must be "Pods" or "Percent"' }),
    value: z.number().int().min(1, 'must be at least 1').max(1000, 'must be at most 1000'),
    periodSeconds: z.number().int().min(1, 'must be at least 1').max(1800, 'must be at most 1800'),
  })
  .strict();
export type AutoscalePolicy = z.output<typeof autoscalePolicySchema>;

export const autoscaleSelectPolicies = ['Max', 'Min', 'Disabled'] as const;

export const autoscaleRulesSchema = z
  .object({
    stabilizationWindowSeconds: z
      .number()
      .int()
      .min(0, 'must be 0 or more')
      .max(3600, 'must be at most 3600 (one hour)')
      .optional(),
    policies: z.array(autoscalePolicySchema).min(1, 'needs at least one policy').max(10).optional(),
    selectPolicy: z
      .enum(autoscaleSelectPolicies, { message: 'must be "Max", "Min" or "Disabled"' })
      .optional(),
  })
  .strict();

export interface AutoscaleRules {
  stabilizationWindowSeconds: number;
  policies: AutoscalePolicy[];
  selectPolicy: (typeof autoscaleSelectPolicies)[number];
}
export interface AutoscaleBehavior {
  scaleUp: AutoscaleRules;
  scaleDown: AutoscaleRules;
}

/** The HPA's defaults (autoscaling/v2): up by 100 % or 4 pods per 15 s, whichever is more; down by 100 % per 15 s after a 300 s window. */
export const defaultAutoscaleBehavior: AutoscaleBehavior = {
  scaleUp: {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      { type: 'Percent', value: 100, periodSeconds: 15 },
      { type: 'Pods', value: 4, periodSeconds: 15 },
    ],
  },
  scaleDown: {
    stabilizationWindowSeconds: 300,
    selectPolicy: 'Max',
    policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  },
};

export const autoscaleMetricNames = ['cpu', 'memory', 'rps'] as const;

export const autoscaleMetricSchema = z.union(
  [
    z.enum(autoscaleMetricNames),
    z
      .object({
        /** A PromQL expression whose value (summed over its series) is the service's total; target is per replica. */
        promql: z.string().trim().min(1, 'must not be empty').max(4000, 'must be at most 4000 characters'),
      })
      .strict(),
  ],
  { message: 'must be "cpu", "memory", "rps" or {"promql": "<expression>"}' },
);
export type AutoscaleMetric = z.output<typeof autoscaleMetricSchema>;

/** The smallest interval: Prometheus scrapes every 15 s by default, shorter only helps tests. */
export const autoscaleMinIntervalSeconds = 5;

export const autoscaleSpecSchema = z
  .object({
    min: z
      .number()
      .int()
      .min(1, 'must be at least 1 (stop the service to run none)')
      .max(100, 'must be at most 100'),
    max: z.number().int().min(1, 'must be at least 1').max(100, 'must be at most 100'),
    metric: autoscaleMetricSchema,
    /** cpu/memory: percent of the limit per container; rps: requests per second per replica; promql: value per replica. */
    target: z.number().gt(0, 'must be more than 0').max(1e12),
    intervalSeconds: z
      .number()
      .int()
      .min(autoscaleMinIntervalSeconds, `must be at least ${autoscaleMinIntervalSeconds}`)
      .max(3600, 'must be at most 3600')
      .default(30),
    behavior: z
      .object({ scaleUp: autoscaleRulesSchema.optional(), scaleDown: autoscaleRulesSchema.optional() })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.min > s.max)
      ctx.addIssue({
        code: 'custom',
        path: ['min'],
        message: `must be at most max (${s.max}); lower min or raise max`,
      });
    if ((s.metric === 'cpu' || s.metric === 'memory') && s.target > 1000)
      ctx.addIssue({
        code: 'custom',
        path: ['target'],
        message: `is a percent of the ${s.metric === 'cpu' ? 'CPU' : 'memory'} limit: use 1–1000 (e.g. 70)`,
      });
  });
export type AutoscaleSpec = z.output<typeof autoscaleSpecSchema>;
export type AutoscaleSpecInput = z.input<typeof autoscaleSpecSchema>;

/** The behaviour with every omitted field filled from the HPA's defaults. */
export function autoscaleBehaviorOf(spec: Pick<AutoscaleSpec, 'behavior'>): AutoscaleBehavior {
  const fill = (
    given: z.output<typeof autoscaleRulesSchema> | undefined,
    d: AutoscaleRules,
  ): AutoscaleRules => ({
    stabilizationWindowSeconds: given?.stabilizationWindowSeconds ?? d.stabilizationWindowSeconds,
    policies: given?.policies ?? d.policies,
    selectPolicy: given?.selectPolicy ?? d.selectPolicy,
  });
  return {
    scaleUp: fill(spec.behavior?.scaleUp, defaultAutoscaleBehavior.scaleUp),
    scaleDown: fill(spec.behavior?.scaleDown, defaultAutoscaleBehavior.scaleDown),
  };
}

/** `PUT …/services/{s}/autoscale`: the settings, or null to turn autoscaling off. */
export const autoscaleRequestSchema = z.object({ autoscale: autoscaleSpecSchema.nullable() }).strict();

/** One pass of the autoscaler (`GET …/services/{s}/autoscale/decisions`). */
export interface AutoscaleDecision {
  id: string;
  at: string;
  /** scaled | unchanged | held (metrics missing or failed: nothing changed) | skipped */
  outcome: 'scaled' | 'unchanged' | 'held' | 'skipped';
  currentReplicas: number;
  /** The algorithm's recommendation before stabilisation; null when held. */
  rawRecommendation: number | null;
  /** After the stabilisation window. */
  stabilizedRecommendation: number | null;
  /** The bound a rate policy or min/max put on it, when one did. */
  limit: { reason: string; replicas: number } | null;
  desiredReplicas: number;
  /** The service's metric: percent (cpu, memory), total rps or the promql total; null when missing. */
  metricValue: number | null;
  target: number;
  formula: string;
  reason: string;
  inputs: {
    containers: Array<{ name: string; ready: boolean; value: number | null }>;
    ready: number;
    notReady: number;
    missing: number;
  };
}

export interface AutoscaleState {
  autoscale: AutoscaleSpec | null;
  behavior: AutoscaleBehavior | null;
  currentReplicas: number;
  /** The last decision's result. */
  desiredReplicas: number | null;
  /** Set while the autoscaler holds because metrics are missing (the reason). */
  held: string | null;
  lastDecision: AutoscaleDecision | null;
}
