import type { AutoscaleSpecInput, AutoscaleState } from '@berth/shared';
import type { AutoscaleKey } from './autoscale-i18n';

/** The autoscaling form's values, the request body they make, and where the API's errors go. */
export type MetricChoice = 'cpu' | 'memory' | 'rps' | 'promql';

export interface FormValues {
  min: number | null;
  max: number | null;
  metric: MetricChoice;
  promql: string;
  target: number | null;
  interval: number | null;
  window: number | null;
}

/** The form field each API error path lands on (`autoscale.min` → min…); null: the alert above. */
export function fieldFor(path: string): string | null {
  const p = path.replace(/^autoscale\.?/, '');
  if (p === 'min' || p === 'max' || p === 'target') return p;
  if (p === 'metric.promql') return 'promql';
  if (p.startsWith('metric')) return 'metric';
  if (p === 'intervalSeconds') return 'interval';
  if (p.startsWith('behavior.scaleDown')) return 'window';
  return null;
}

export function initialValues(state: AutoscaleState | undefined, replicas: number): FormValues {
  const a = state?.autoscale;
  return {
    min: a?.min ?? Math.max(1, replicas),
    max: a?.max ?? Math.max(2, replicas * 2),
    metric: a ? (typeof a.metric === 'object' ? 'promql' : a.metric) : 'cpu',
    promql: a && typeof a.metric === 'object' ? a.metric.promql : '',
    target: a?.target ?? 70,
    interval: a?.intervalSeconds ?? 30,
    window: state?.behavior?.scaleDown.stabilizationWindowSeconds ?? 300,
  };
}

/** The request body of the form (empty numbers are sent as they are: the API names the field). */
export function toSpec(v: FormValues): AutoscaleSpecInput {
  return {
    min: v.min as number,
    max: v.max as number,
    metric: v.metric === 'promql' ? { promql: v.promql } : v.metric,
    target: v.target as number,
    ...(v.interval !== null ? { intervalSeconds: v.interval } : {}),
    ...(v.window !== null ? { behavior: { scaleDown: { stabilizationWindowSeconds: v.window } } } : {}),
  };
}

/** A held reason (the server's English sentence) in plain words of the portal's language. */
export function heldKey(reason: string): AutoscaleKey {
  if (/monitoring is off/i.test(reason)) return 'as.held.off';
  if (/unreachable|did not answer/i.test(reason)) return 'as.held.down';
  if (/refused the query|answered with an error/i.test(reason)) return 'as.held.query';
  if (/refused/i.test(reason)) return 'as.held.quota';
  if (/no value|no \w+ samples|no gateway|no containers|the metric is/i.test(reason)) return 'as.held.noData';
  return 'as.held.other';
}
