import { SecretBox } from '../../crypto/secret-box';
import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import type { MonitoringModule } from '../monitoring/monitoring.module';
import { rulesNamingChannel } from '../alert-rules/channel-references';
import type { TenancyService } from '../tenancy/tenancy.service';
import { AlertsRepository } from './alerts.repository';
import { registerAlertRoutes } from './alerts.routes';
import { AlertsService } from './alerts.service';
import { channelGuard } from './channel-fence';
import { DeliveryQueue, type DeliveryQueueOptions } from './delivery-queue';
import { Silences } from './silences';

export interface AlertsModule {
  service: AlertsService;
  /** The delivery queue: a reconciler (the leader sends what is due after a restart). */
  queue: DeliveryQueue;
  /** Stops the queue's timers (server close). */
  close(): Promise<void>;
}

/**
 * Channels, alert history, deliveries and silences (docs/alerts.md). `monitoring` null
 * (BERTH_MONITORING=off): channels and history work, silences and Alertmanager's webhook answer 503.
 */
export function createAlertsModule(
  ctx: AppContext,
  registry: RouteRegistry,
  tenancy: TenancyService,
  monitoring: MonitoringModule | null,
  opts: DeliveryQueueOptions = {},
): AlertsModule {
  const repo = new AlertsRepository(ctx.db);
  const allowLoopback = ctx.config.allowLoopbackBackends;
  // channels never reach Berth's own listeners (the API on the port it really bound, gateways,
  // registry, database, Prometheus, Alertmanager) nor the agent nodes' metrics: the routes' fence
  const guard = async () => channelGuard(await tenancy.listeners(), allowLoopback);
  const secrets = SecretBox.fromDataDir(ctx.config.dataDir);
  let service: AlertsService | null = null;
  const queue = new DeliveryQueue(
    repo,
    {
      async target(channelId) {
        const row = await repo.getChannelById(channelId);
        return row && service ? service.target(row) : null;
      },
      guard,
    },
    ctx.log,
    opts,
  );
  service = new AlertsService(ctx, repo, secrets, queue, guard);
  // a channel that alert rules name is not deleted (the rules' module reads its own table)
  service.refuseDeleteWhileNamed((project, channel) => rulesNamingChannel(ctx.db, project, channel));
  registerAlertRoutes(
    registry,
    service,
    new Silences(monitoring?.alertmanagerUrl ?? null),
    monitoring?.webhookToken ?? null,
  );
  return { service, queue, close: () => queue.close() };
}
