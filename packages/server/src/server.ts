import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { ContainerEngine } from '@berth/engine-api';
import type { Config } from './config/config';
import { migrateToLatest, openDatabase } from './db/database';
import { addOpenApiRoute, createHttpApp } from './http/app';
import type { AppContext } from './http/context';
import { RouteRegistry, type AnyRouteDef } from './http/route';
import { createIdentity } from './modules/identity/identity.module';
import { createAudit } from './modules/audit/audit.module';
import { registerMetaRoutes } from './modules/meta/meta.routes';
import { registerWebRoutes } from './modules/web/web.routes';
import { createServicesModule, type ServicesModule } from './modules/services/services.module';
import { DrainConfirmers } from './modules/services/controller/rollout-drain';
import { createTasksModule } from './modules/tasks/tasks.module';
import { createContainersModule } from './modules/containers/containers.module';
import { ControllerHost, type Reconciler } from './runtime/controller-host';
import { createGatewaysModule } from './modules/gateways/gateways.module';
import { wantedCanaries } from './modules/gateways/canary-releases';
import { createTenancyModule } from './modules/tenancy/tenancy.module';
import { createRegistryModule } from './modules/registry/registry.module';
import { createCertificatesModule } from './modules/certificates/certificates.module';
import { createCodeflowModule } from './modules/codeflow/codeflow.module';
import { registerSearchRoutes } from './modules/search/search.routes';
import { registerQuotaRoutes } from './modules/quotas/quotas.routes';
import { Quotas } from './modules/quotas/quotas';
import { ServicesRepository } from './modules/services/services.repository';
import { registerPlacementRoutes } from './modules/placement/placement.routes';
import { PlacementMovesRepository } from './modules/placement/placement-moves.repository';
import { clusterCatalog, failoverGrace } from './modules/placement/cluster-catalog';
import { FleetPlacement } from './modules/placement/fleet-placement';
import { createImageCleanup } from './modules/placement/image-cleanup';
import { createClustersModule } from './modules/clusters/clusters.module';
import { ClusterEngines, type ClusterEnginesOptions } from './modules/clusters/cluster-engines';
import { ClustersRepository } from './modules/clusters/clusters.repository';
import { LocalClusterOff } from './runtime/local-off';
import { SecretBox } from './crypto/secret-box';
import { createVolumesModule } from './modules/volumes/volumes.module';
import { createCronJobsModule, cronMountsFrom } from './modules/cronjobs/cronjobs.module';
import type { MountSource } from './modules/services/mount-source';
import { createConfigsModule } from './modules/configs/configs.module';
import { createAlertRulesModule } from './modules/alert-rules/alert-rules.module';
import { createProbesModule } from './modules/probes/probes.module';
import { monitoringFromConfig, type MonitoringModule } from './modules/monitoring/monitoring.module';
import { createAlertsModule } from './modules/alerts/alerts.module';
import { createAutoscaleModule } from './modules/autoscale/autoscale.module';
import { autoscaleServicesOf } from './modules/autoscale/autoscale-services';
import { createAppsModule } from './modules/apps/apps.module';

export interface BerthServer {
  app: FastifyInstance;
  ctx: AppContext;
  services: ServicesModule | null;
  /** Prometheus and Alertmanager (docs/monitoring.md); null when BERTH_MONITORING=off. */
  monitoring: MonitoringModule | null;
  /** Every route registered, as the OpenAPI document lists them. */
  routes: readonly AnyRouteDef[];
  /** The generated admin password on first start (printed once), else null. */
  generatedAdminPassword: string | null;
  /** Starts listening and the controllers. Returns the base URL. */
  start(): Promise<string>;
  close(): Promise<void>;
}

export interface BuildOptions {
  /**
   * The engine of the local cluster; without one the services module is not mounted. Not used
   * when the configuration turns `local` off (BERTH_LOCAL_CLUSTER=off): the services then run on
   * registered clusters only, with LocalClusterOff standing in for `local`.
   */
  engine?: ContainerEngine;
  /** Run controllers (default true). Tests of the API alone may turn them off. */
  controllers?: boolean;
  /** Test hooks of every Kubernetes cluster's engine (the test API server's pod addresses). */
  kubernetes?: ClusterEnginesOptions['kubernetes'];
  /** Prometheus and Alertmanager; not given: from the configuration (embedded or external URLs, null when off). */
  monitoring?: MonitoringModule | null;
}

/** Composes the whole server from its configuration. Nothing starts until start(). */
export async function buildServer(config: Readonly<Config>, opts: BuildOptions = {}): Promise<BerthServer> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const app = createHttpApp(config.logLevel);
  const opened = openDatabase(config.databaseUrl);
  const { db, dialect } = opened;
  const closeDb = () => opened.close();
  await migrateToLatest(db);

  const audit = createAudit(db);
  const identity = createIdentity({ db, config, log: app.log });
  const ctx: AppContext = {
    config,
    db,
    dialect,
    log: app.log,
    auth: identity.authenticator,
    audit: audit.sink,
  };
  const bootstrap = await identity.bootstrap();
  // Prometheus and Alertmanager, for the alert rules, alerts and autoscaling modules (null: off)
  const monitoring = opts.monitoring !== undefined ? opts.monitoring : monitoringFromConfig(config);

  const registry = new RouteRegistry(app, ctx);
  registerMetaRoutes(registry, ctx);
  identity.registerRoutes(registry, ctx);
  audit.registerRoutes(registry, ctx);
  // The composition root: every module is handed the ports it needs at construction.
  const tasks = createTasksModule(ctx);
  // who must confirm a drain before a leaving container stops: the gateways' nodes and the
  // services' endpoint watches join it (rollout-drain.ts)
  const drains = new DrainConfirmers();
  // every cluster's engine, from the cluster registry (local is the configured socket, or off)
  const localEngine = config.localCluster ? opts.engine : new LocalClusterOff();
  const engines =
    localEngine &&
    new ClusterEngines(localEngine, new ClustersRepository(db), SecretBox.fromDataDir(config.dataDir), {
      // a kubernetes engine watches the pods labelled with this instance
      instanceId: config.instanceId,
      ...(opts.kubernetes ? { kubernetes: opts.kubernetes } : {}),
    });
  // quota admission; the release canaries it counts are the gateways' routes' (canary-releases.ts)
  const quotas = new Quotas(ctx, () => wantedCanaries(db));
  // the kinds of spec.mounts (configs, volumes): each module adds its source below
  const mountSources: MountSource[] = [];
  const services = engines
    ? createServicesModule(ctx, engines, {
        tasks: tasks.repo,
        quotas,
        drains,
        mounts: mountSources,
        // the canaries the gateways' routes ask for (the routes are the gateways module's)
        canaries: () => wantedCanaries(db),
        // where replicas go: the placement's division over the environment's clusters, with
        // failover after the environment's grace and restore after the stability window
        placer: new FleetPlacement(clusterCatalog(db), failoverGrace(db), {
          stableSeconds: config.failoverStableSeconds,
          rate: config.failoverRate,
          localCluster: config.localCluster,
          // services on the move, for the fleet view
          moves: new PlacementMovesRepository(db),
          // failover and restore decisions go to the cluster's event log
          record: (cluster, type, message) =>
            new ClustersRepository(db)
              .addNote(cluster, type, message)
              .catch((err: unknown) =>
                app.log.warn({ err, cluster, type }, 'recording a fleet decision failed'),
              ),
        }),
      })
    : null;
  const containers = services && createContainersModule(services.deps);
  if (services && containers) {
    services.registerRoutes(registry);
    tasks.registerRoutes(registry);
    containers.registerRoutes(registry, app);
    createCodeflowModule(ctx, services, registry, app);
  }
  // volumes (docs/volumes.md): their API, and the volume kind of spec.mounts
  if (engines) mountSources.push(createVolumesModule(ctx, registry, app, engines).mounts);
  // config files (docs/configs.md): their API, the config kind of spec.mounts, and a new
  // version's refresh of the services that mount it (a new release: the services module's renew)
  const configs = createConfigsModule(
    ctx,
    registry,
    engines && services
      ? { engines, renew: (id, reason, actor) => services.deps.service.renew(id, reason, actor) }
      : null,
  );
  if (configs.mounts) mountSources.push(configs.mounts);
  const tenancy = createTenancyModule(ctx, registry, app);
  const gateways = await createGatewaysModule(ctx, registry, app, {
    tenancy,
    rollService: services && ((p, release, actor) => services.deps.service.rollback(p, release, actor)),
    drains,
    // what the gateways route to: the serving containers of every cluster (the services' ledger)
    services: services?.deps.repo ?? new ServicesRepository(db),
    quotas,
    // Prometheus scrapes every agent node through a target file Berth keeps (docs/monitoring.md)
    gatewayTargetsDir: monitoring?.gatewayTargetsDir ?? null,
  });
  createCertificatesModule(ctx, registry, gateways);
  // alert channels, history, deliveries and silences; Alertmanager's webhook (docs/alerts.md)
  const alerts = createAlertsModule(ctx, registry, tenancy, monitoring);
  const clusters = await createClustersModule(ctx, registry);
  // every reconciler runs under the one leader lease (runtime/controller-host.ts), the clusters'
  // health checker too: one process checks, so state changes and failover events are written once
  const reconcilers: Reconciler[] = [];
  if (services) reconcilers.push(services.controller);
  reconcilers.push(gateways.controller);
  if (containers) reconcilers.push(containers.sampler, containers.collector);
  // the collector copies a container's log files one last time before the runner removes it
  if (services && containers)
    services.controller.runner.beforeRemove = (row) => containers.collector.finalCopy(row);
  // debug containers past their time-to-live or without a session (docs/debug.md)
  if (containers) reconcilers.push(containers.debug);
  reconcilers.push(clusters.checker);
  // config volumes no current release needs leave the clusters (docs/configs.md)
  if (configs.collector) reconcilers.push(configs.collector);
  // alert deliveries due after a restart (their retry state is in the store)
  reconcilers.push(alerts.queue);
  // alert rules (docs/alert-rules.md): rule files in the monitoring rules dir, checked by promtool;
  // rules on one container end with it
  const alertRules = createAlertRulesModule(ctx, registry, monitoring);
  reconcilers.push(alertRules.reconciler);
  // site monitoring: HTTP(S)/TCP probes on the blackbox exporter (docs/probes.md)
  reconcilers.push(createProbesModule(ctx, registry, tenancy, monitoring, alertRules.service).reconciler);
  // images no service placed on a cluster needs any more leave it after a grace (docs/fleet.md)
  if (engines && services) reconcilers.push(createImageCleanup(ctx, engines, services.deps.repo));
  // cron jobs: the API, and the scheduler under the same lease (docs/cronjobs.md)
  const cronjobs =
    engines && services
      ? createCronJobsModule(ctx, registry, engines, services, quotas, cronMountsFrom(mountSources))
      : null;
  if (cronjobs) reconcilers.push(cronjobs.scheduler);
  // autoscaling: settings, decision log, and the autoscaler under the same lease (docs/autoscaling.md)
  if (services)
    reconcilers.push(
      createAutoscaleModule(ctx, registry, {
        services: autoscaleServicesOf(services.deps),
        quotas,
        monitoring,
      }).autoscaler,
    );
  // the app store: catalog and instances made of ordinary services and volumes (docs/apps.md)
  if (engines && services)
    reconcilers.push(createAppsModule(ctx, registry, engines, services, cronjobs?.service).finisher);
  const controllerHost = new ControllerHost(db, `${config.instanceId}:${process.pid}`, reconcilers, {
    log: app.log,
  });
  await createRegistryModule(ctx, registry);
  registerSearchRoutes(registry, ctx);
  registerQuotaRoutes(registry, quotas);
  if (services) registerPlacementRoutes(registry, ctx, services.deps.repo, clusterCatalog(db));
  addOpenApiRoute(registry);
  registerWebRoutes(app, config.webDist ?? undefined);

  let closed = false;
  return {
    app,
    ctx,
    services,
    monitoring,
    routes: registry.routes,
    generatedAdminPassword: bootstrap.generatedAdminPassword,
    async start() {
      await app.listen({ host: config.listenHost, port: config.listenPort });
      if (opts.controllers !== false) controllerHost.start();
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.listenPort;
      const host = config.listenHost.includes(':') ? `[${config.listenHost}]` : config.listenHost;
      return `http://${host}:${port}`;
    },
    async close() {
      if (closed) return;
      closed = true;
      await controllerHost.stop();
      await alerts.close();
      await engines?.close();
      await app.close();
      await closeDb();
    },
  };
}
