import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import { newId, nowIso } from '../../util';
import { GatewayApplier } from './gateway-applier';
import { GatewayController } from './gateway-controller';
import { planGateway } from './gateway-planner';
import { registerGatewayRoutes, toGateway } from './gateway-versions.routes';
import { registerGatewayAdminRoutes } from './gateway-admin.routes';
import { registerGatewayVipRoutes } from './gateway-vip.routes';
import { GatewayNodes } from './gateway-nodes';
import { GatewayNodesConfirmation } from './gateway-nodes-confirmation';
import { GatewayNodeTargets } from './gateway-node-targets';
import { onEndpointsMayChange } from '../services/endpoint-signal';
import { GatewayNodesRepository } from './gateway-nodes.repository';
import { GatewaysRepository } from './gateways.repository';
import { registerRouteRoutes } from './gateways.routes';
import { EntryPointsRepository, entryPointsPort } from './entry-points.repository';
import { registerEntryPointRoutes } from './entry-points.routes';
import { RouteCertificateUsage } from './route-certificate-usage';
import { GatewaysService, type GatewayServices, type GatewaysServicePorts } from './gateways.service';
import type { DrainConfirmers } from '../services/controller/rollout-drain';
import { splitHostPort } from '../tenancy/fence';
import type { TenancyService } from '../tenancy/tenancy.service';
import type { Quotas } from '../quotas/quotas';
import { gatewayDir, localGatewayName } from './local-nginx';

/** The ports the gateways module is handed at construction (server.ts). */
export interface GatewaysPorts {
  /** Domain owners and the backend fence; every route write is checked. */
  tenancy: TenancyService;
  /** The services module's rollback (a route's canary promotion rolls the service); null without an engine. */
  rollService: GatewaysServicePorts['rollService'];
  /** Who confirms drains: the gateways' nodes join it. */
  drains: DrainConfirmers;
  /** The services and their serving endpoints (the services module's repository). */
  services: GatewayServices;
  /** Quota admission of a release canary's replicas (the quotas module). */
  quotas: Pick<Quotas, 'admitCanary'>;
  /** The monitoring stack's `targets/gateways` (the agent nodes' target files); null: monitoring off. */
  gatewayTargetsDir?: string | null;
}

export interface GatewaysModule {
  repo: GatewaysRepository;
  service: GatewaysService;
  /** Applies routes to gateways; a reconciler the controller host runs (runtime/controller-host.ts). */
  controller: GatewayController;
  nodes: GatewayNodes;
  /** What each gateway node runs, for drains that wait for every node (rollout-drain.ts). */
  confirmation: GatewayNodesConfirmation;
  /** The routes' use of the per-project certificate store (the certificates module reads it). */
  certificates: RouteCertificateUsage;
}

/** Makes sure the local gateway of the `test` env exists and has files Nginx can start with. */
async function ensureLocalGateway(
  ctx: AppContext,
  repo: GatewaysRepository,
  applier: GatewayApplier,
  svc: GatewaysService,
) {
  const listen = ctx.config.gatewayListen;
  if (!listen) return;
  let gw = await repo.findGateway(localGatewayName);
  if (!gw) {
    const now = nowIso();
    gw = {
      id: newId(),
      name: localGatewayName,
      env: 'test',
      listen,
      tls_listen: ctx.config.gatewayTlsListen,
      domain_suffix: ctx.config.domainSuffix,
      applied_version: 0,
      last_version: 0,
      created_at: now,
      updated_at: now,
      created_by: 'system',
      version: 1,
    };
    await repo.insertGateway(gw);
  } else if (
    gw.listen !== listen ||
    gw.tls_listen !== ctx.config.gatewayTlsListen ||
    gw.domain_suffix !== ctx.config.domainSuffix
  ) {
    await repo.updateGatewayListen(gw.id, listen, ctx.config.gatewayTlsListen, ctx.config.domainSuffix);
    gw = { ...gw, listen, tls_listen: ctx.config.gatewayTlsListen, domain_suffix: ctx.config.domainSuffix };
  }
  const routes = await repo.routesOfEnv(gw.env);
  await applier.ensureInitial(
    gw,
    planGateway(gw, routes, await svc.services.servingEndpoints(gw.env), svc.planOptions),
  );
}

/**
 * The gateways module: routes and gateway APIs, the local gateway of the `test` env, and the
 * gateway controller, which the controller host runs on the leader.
 */
export async function createGatewaysModule(
  ctx: AppContext,
  registry: RouteRegistry,
  app: FastifyInstance,
  ports: GatewaysPorts,
): Promise<GatewaysModule> {
  const dir = gatewayDir(ctx.config);
  mkdirSync(path.join(dir, 'certs'), { recursive: true });
  const repo = new GatewaysRepository(ctx.db);
  const entryPoints = new EntryPointsRepository(ctx.db);
  const applier = new GatewayApplier(repo, dir, ctx.log);
  const store = new GatewayNodesRepository(ctx.db);
  const { quotas } = ports;
  const service = new GatewaysService(
    repo,
    applier,
    // every node serves its request metrics on this loopback address (docs/monitoring.md)
    { certDir: path.join(dir, 'certs'), workerProcesses: 2, metricsListen: ctx.config.gatewayMetricsListen },
    {
      snippetsOf: async (id) => (await store.settings(id)).snippets,
      rollService: ports.rollService,
      admitCanary: (project, svc, release, replicas) => quotas.admitCanary(project, svc, release, replicas),
      tenancy: ports.tenancy,
      services: ports.services,
      entryPoints: entryPointsPort(entryPoints),
    },
  );
  await ensureLocalGateway(ctx, repo, applier, service);
  const listen = ctx.config.gatewayListen;
  const nodes = new GatewayNodes(repo, store, dir, listen ? { gateway: localGatewayName, listen } : null);
  nodes.sets = applier;
  // agent nodes report where their metrics listener is; Prometheus scrapes each (docs/monitoring.md)
  nodes.metricsListen = ctx.config.gatewayMetricsListen;
  // Without a Prometheus (BERTH_MONITORING=off) the nodes still serve metrics (npm start gives
  // them a listener): their files are kept in the gateway dir, which only the fence reads.
  const targetsDir =
    ports.gatewayTargetsDir ??
    (ctx.config.gatewayMetricsListen ? path.join(dir, 'node-metrics-targets') : null);
  if (targetsDir) {
    const localMetrics = listen ? ctx.config.gatewayMetricsListen : null;
    const targets = new GatewayNodeTargets(targetsDir, localMetrics, ctx.log);
    nodes.targets = targets;
    await nodes.pruneTargets();
  }
  // No route, probe or alert channel may send traffic to a node's metrics listener (every project's
  // counts are there): every node's, from the store — a node reports to one server of several.
  ports.tenancy.moreListeners = async () =>
    (await store.metricsListeners()).flatMap(({ gateway, node, address }) => {
      const hp = splitHostPort(address);
      return hp ? [{ what: `the metrics of gateway node '${gateway}/${node}'`, ...hp }] : [];
    });
  const confirmation = new GatewayNodesConfirmation(
    repo,
    store,
    applier,
    dir,
    listen ? localGatewayName : null,
  );
  applier.onApplied = (id, localDone) => {
    nodes.notify(id);
    // before the local node runs the version nothing more can be confirmed
    if (localDone) confirmation.changed();
  };
  nodes.onReport = () => confirmation.changed();
  // drains wait until every gateway node runs without the container (rollout-drain.ts)
  ports.drains.join(confirmation);
  registerRouteRoutes(registry, repo, service);
  // an entry point change is applied at once, as a version by its author
  registerEntryPointRoutes(registry, ctx.db, entryPoints, ports.services, (env, author, reason, change) =>
    service.applyEntryPoints(env, author, reason, change),
  );
  registerGatewayRoutes(registry, repo, service, store, (actor) =>
    ctx.auth.authorize(actor, 'platform:admin', { kind: 'platform' }),
  );
  registerGatewayAdminRoutes(registry, {
    db: ctx.db,
    repo,
    svc: service,
    applier,
    nodes,
    gatewayDir: dir,
    defaultListen: listen ?? '0.0.0.0:80',
    defaultSuffix: ctx.config.domainSuffix,
    localGateway: listen ? localGatewayName : null,
    toGateway: async (g) => toGateway(g, await store.settings(g.id)),
  });
  registerGatewayVipRoutes(registry, { db: ctx.db, repo, svc: service, applier, nodes });
  const controller = new GatewayController(repo, service, applier, ctx.log);
  // the service controller says when serving containers may have changed (endpoint-signal.ts)
  const unsubscribe = onEndpointsMayChange(ctx.db, () => controller.kick('endpoints'));
  // the controller host stops the controller; the module only ends its subscription
  app.addHook('onClose', () => {
    unsubscribe();
    return Promise.resolve();
  });
  const certificates = new RouteCertificateUsage(ctx.db, repo, service, applier);
  return { repo, service, controller, nodes, certificates, confirmation };
}
