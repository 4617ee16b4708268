import {
  autoscaleBehaviorOf,
  BerthError,
  ForbiddenError,
  InvalidError,
  type AutoscaleDecision,
  type AutoscaleSpec,
  type AutoscaleState,
} from '@berth/shared';
import type { AppContext, Actor } from '../../http/context';
import type { Quotas } from '../quotas/quotas';
import { parseJson } from '../../util';
import type { AutoscaleServicePath, AutoscaleServices } from './autoscale-ports';
import type { AutoscaleRepository } from './autoscale.repository';

/** The settings of a service's autoscaling and its decision log (the API's side). */
export class AutoscaleService {
  /** Called when a service's settings changed (the autoscaler evaluates it at its next tick). */
  onChange: (serviceId: string) => void = () => undefined;

  constructor(
    private readonly ctx: AppContext,
    private readonly repo: AutoscaleRepository,
    private readonly services: AutoscaleServices,
    private readonly quotas: Quotas,
  ) {}

  async state(p: AutoscaleServicePath): Promise<AutoscaleState> {
    const svc = await this.services.resolve(p);
    const row = await this.repo.find(svc.id);
    const spec = row ? parseJson<AutoscaleSpec | null>(row.spec, null) : null;
    const last = row ? await this.repo.lastDecision(svc.id) : null;
    return {
      autoscale: spec,
      behavior: spec ? autoscaleBehaviorOf(spec) : null,
      currentReplicas: svc.replicas,
      desiredReplicas: last?.desiredReplicas ?? null,
      held: row?.held_reason ?? null,
      lastDecision: last,
    };
  }

  /**
   * Sets (or with null, removes) the settings. Refused, changing nothing: a PromQL metric from
   * anyone but a platform admin (403: an expression can read every project's series), and a max
   * the project's quota could not run now (422 at `autoscale.max`).
   */
  async put(p: AutoscaleServicePath, spec: AutoscaleSpec | null, actor: Actor): Promise<AutoscaleState> {
    const svc = await this.services.resolve(p);
    if (spec === null) {
      await this.repo.remove(svc.id);
      await this.services.addEvent(
        svc.id,
        'AutoscaleRemoved',
        `autoscaling turned off by ${actor.name}`,
        'normal',
      );
      return this.state(p);
    }
    if (
      typeof spec.metric === 'object' &&
      !(await this.ctx.auth.authorize(actor, 'platform:admin', { kind: 'platform' }))
    )
      throw new ForbiddenError(
        `Only platform admins may autoscale on a PromQL expression (it can read every project's series); use "cpu", "memory" or "rps", or ask a platform admin.`,
        { fields: [{ path: 'autoscale.metric.promql', message: 'needs the platform:admin permission' }] },
      );
    const release = await this.services.spec(svc.id, svc.release);
    if (release) {
      try {
        await this.quotas.admit(p.project, svc.id, release, spec.max, undefined, p.env);
      } catch (err) {
        if (err instanceof BerthError && err.code === 'QUOTA_EXCEEDED')
          throw new InvalidError(
            `autoscale.max ${spec.max} is beyond the project's quota: ${err.message}`,
            [{ path: 'autoscale.max', message: `the quota cannot run ${spec.max} replicas; lower max` }],
            'QUOTA_EXCEEDED',
          );
        throw err;
      }
    }
    const previous = await this.repo.find(svc.id);
    await this.repo.put(svc.id, spec, actor.name);
    if (!previous)
      // the HPA starts its scale-down window with the current count, so a new autoscaler does not
      // scale down at once (horizontal.go, maybeInitScaleDownStabilizationWindow)
      await this.repo.addDecision(svc.id, {
        outcome: 'skipped',
        currentReplicas: svc.replicas,
        rawRecommendation: svc.replicas,
        stabilizedRecommendation: null,
        limit: null,
        desiredReplicas: svc.replicas,
        metricValue: null,
        target: spec.target,
        formula: '',
        reason: `autoscaling set by ${actor.name}: the window starts at ${svc.replicas}`,
        inputs: { containers: [], ready: 0, notReady: 0, missing: 0 },
      });
    await this.services.addEvent(
      svc.id,
      'AutoscaleSet',
      `autoscaling ${previous ? 'changed' : 'set'} by ${actor.name}: ${spec.min}–${spec.max} replicas on ${typeof spec.metric === 'object' ? 'PromQL' : spec.metric} at ${spec.target}`,
      'normal',
    );
    this.onChange(svc.id);
    return this.state(p);
  }

  async decisions(
    p: AutoscaleServicePath,
    opts: { since?: string; limit: number },
  ): Promise<AutoscaleDecision[]> {
    const svc = await this.services.resolve(p);
    return this.repo.decisions(svc.id, opts);
  }
}
