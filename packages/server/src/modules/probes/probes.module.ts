import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import type { Reconciler } from '../../runtime/controller-host';
import type { AlertRulesService } from '../alert-rules/alert-rules.service';
import type { MonitoringModule } from '../monitoring/monitoring.module';
import type { TenancyService } from '../tenancy/tenancy.service';
import { registerProbeRoutes } from './probes.routes';
import { ProbesService } from './probes.service';

export interface ProbesModule {
  service: ProbesService;
  /** At start (leader): blackbox.yml and the target files written again from the store. */
  reconciler: Reconciler;
}

/**
 * Site monitoring (docs/probes.md): the probes API, their blackbox modules and file_sd targets,
 * uptime from Prometheus. Without monitoring the probes are stored; uptime answers 503.
 */
export function createProbesModule(
  ctx: AppContext,
  registry: RouteRegistry,
  tenancy: TenancyService,
  monitoring: MonitoringModule | null,
  alertRules: AlertRulesService,
): ProbesModule {
  const service = new ProbesService(ctx, {
    monitoring,
    alertRules,
    // never Berth's own listeners (the API on the port it bound, gateways, registry, database, the
    // stack) nor the agent nodes' metrics listeners: the routes' fence
    listeners: () => tenancy.listeners(),
    allowLoopback: ctx.config.allowLoopbackBackends,
  });
  registerProbeRoutes(registry, service);
  const reconciler: Reconciler = {
    start() {
      void service
        .sync()
        .catch((err: unknown) => ctx.log.warn({ err }, 'probes: writing the probe files failed'));
    },
    stop() {
      return Promise.resolve();
    },
  };
  return { service, reconciler };
}
