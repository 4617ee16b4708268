import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import type { Quotas } from '../quotas/quotas';
import type { AutoscaleMetricsSource, AutoscaleServices } from './autoscale-ports';
import { AutoscaleRepository } from './autoscale.repository';
import { registerAutoscaleRoutes } from './autoscale.routes';
import { AutoscaleService } from './autoscale.service';
import { Autoscaler } from './autoscaler';

export type { AutoscaleServices, AutoscaleMetricsSource } from './autoscale-ports';

export interface AutoscaleModule {
  service: AutoscaleService;
  /** The reconciler the controller host runs (the leader only). */
  autoscaler: Autoscaler;
}

/**
 * Autoscaling (docs/autoscaling.md): settings per service, the HPA algorithm on Prometheus'
 * metrics, and the decision log. Without monitoring the settings and the log still work; the
 * autoscaler holds and says so.
 */
export function createAutoscaleModule(
  ctx: AppContext,
  registry: RouteRegistry,
  ports: { services: AutoscaleServices; quotas: Quotas; monitoring: AutoscaleMetricsSource | null },
): AutoscaleModule {
  const repo = new AutoscaleRepository(ctx.db);
  const service = new AutoscaleService(ctx, repo, ports.services, ports.quotas);
  const autoscaler = new Autoscaler(ctx, repo, ports.services, ports.monitoring);
  service.onChange = (id) => autoscaler.kick(id);
  registerAutoscaleRoutes(registry, service);
  return { service, autoscaler };
}
