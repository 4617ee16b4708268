import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import type { Reconciler } from '../../runtime/controller-host';
import { AlertsRepository } from '../alerts/alerts.repository';
import { registerAlertRuleRoutes } from './alert-rules.routes';
import {
  AlertRulesService,
  type AlertChannelDirectory,
  type AlertRulesMonitoring,
} from './alert-rules.service';

export interface AlertRulesModule {
  service: AlertRulesService;
  /** Ends rules whose container is gone, and keeps the rule files in step with the store. */
  reconciler: Reconciler;
}

/**
 * Alert rules (docs/alert-rules.md): the API, the rule files in the monitoring module's rules dir,
 * and (leader only) the end of one-container rules when their container is gone. Without
 * monitoring the rules are stored and versioned; the preview answers 503.
 */
export function createAlertRulesModule(
  ctx: AppContext,
  registry: RouteRegistry,
  monitoring: AlertRulesMonitoring | null,
  opts: { intervalMs?: number; channels?: AlertChannelDirectory } = {},
): AlertRulesModule {
  // the channels a rule may name: its project's, from the alerts module's store
  const channels = opts.channels ?? {
    list: (project: string) => new AlertsRepository(ctx.db).listChannels(project),
  };
  const service = new AlertRulesService(ctx, monitoring, channels);
  registerAlertRuleRoutes(registry, service);
  const every = opts.intervalMs ?? Math.max(ctx.config.reconcileIntervalMs * 4, 2000);
  let timer: NodeJS.Timeout | null = null;
  let busy = false;
  const pass = async () => {
    if (busy) return;
    busy = true;
    try {
      await service.endGoneContainers();
    } catch (err) {
      ctx.log.warn({ err }, 'alert rules: ending the rules of gone containers failed; retrying');
    } finally {
      busy = false;
    }
  };
  const reconciler: Reconciler = {
    start() {
      if (timer) return;
      void service
        .syncFiles()
        .catch((err: unknown) => ctx.log.warn({ err }, 'alert rules: writing the rule files failed'));
      timer = setInterval(() => void pass(), every);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
      return Promise.resolve();
    },
  };
  return { service, reconciler };
}
