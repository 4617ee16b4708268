import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import { SecretBox } from '../../crypto/secret-box';
import { ClusterHealthChecker } from './cluster-health';
import { endpointOpener } from './cluster-probe';
import { ClustersRepository } from './clusters.repository';
import { registerClusterRoutes } from './clusters.routes';
import { ClustersService } from './clusters.service';

export interface ClustersModule {
  service: ClustersService;
  /** The health checker: a reconciler; start() when controllers run, stop() before closing. */
  checker: ClusterHealthChecker;
}

/**
 * The cluster registry (issue 11): its API, the health checker, and the built-in cluster `local`
 * (the configured Podman socket), created here when missing — unless Berth runs without it
 * (BERTH_LOCAL_CLUSTER=off).
 */
export async function createClustersModule(
  ctx: AppContext,
  registry: RouteRegistry,
): Promise<ClustersModule> {
  const repo = new ClustersRepository(ctx.db);
  const secrets = SecretBox.fromDataDir(ctx.config.dataDir);
  const checker = new ClusterHealthChecker(
    repo,
    secrets,
    endpointOpener(ctx.config.clusterCheck.timeoutMs),
    ctx.log,
    {
      intervalMs: ctx.config.clusterCheck.checkSeconds * 1000,
      slowMs: ctx.config.clusterCheck.slowMs,
      timeoutMs: ctx.config.clusterCheck.timeoutMs,
      instanceId: ctx.config.instanceId,
      registryListen: ctx.config.registryListen,
    },
  );
  const service = new ClustersService(repo, secrets, checker, `unix://${ctx.config.podmanSocket}`);
  if (ctx.config.localCluster) await service.ensureLocal();
  else await service.detachAbsentLocal();
  registerClusterRoutes(registry, ctx, service);
  return { service, checker };
}
