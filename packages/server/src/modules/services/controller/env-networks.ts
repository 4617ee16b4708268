/**
 * Per-environment container networks on Podman clusters (docs/networks.md): every container of a
 * project environment (service replicas, cron runs) joins the network `envNetworkName` names; a
 * service's replicas answer there to the service's name. The engine creates the network with the
 * first container that asks for it; the sweep here removes the networks of environments that have
 * neither a service nor a cron job left (a deleted project's included) once no container is on them,
 * and the build networks of projects without pipelines.
 */
import { labelKeys, type ContainerEngine, type NetworkAttachment } from '@berth/engine-api';
import type { AppContext } from '../../../http/context';
import type { Engines } from '../../../runtime/engines';

/**
 * Every how many reconcile intervals the networks of the listed Podman clusters are swept (one
 * list per cluster): 15 s with the default second, a few seconds in tests.
 */
export const networkSweepIntervals = 15;

/**
 * `berth-<instance>.<cluster>.<project>.<env>`: dots never occur in cluster, project or env names
 * (DNS labels), so no two of them share a network (a dash would: `a-b`/`c` and `a`/`b-c`). The
 * cluster keeps apart two Podman services on one host (test fleets, runtime-notes §13): the CNI
 * dnsname plugin keeps its dnsmasq state per network name, host-wide.
 */
export function envNetworkName(instanceId: string, cluster: string, project: string, env: string): string {
  return `berth-${instanceId}.${cluster}.${project}.${env}`;
}

/**
 * The network a container of `project`/`env` on `cluster` joins, labelled like Berth's containers
 * so the sweep finds its own; `aliases`: the names it answers to there (a service's name).
 */
export function envNetwork(
  instanceId: string,
  cluster: string,
  project: string,
  env: string,
  aliases: string[] = [],
): NetworkAttachment {
  return {
    name: envNetworkName(instanceId, cluster, project, env),
    ...(aliases.length ? { aliases } : {}),
    labels: {
      [labelKeys.instance]: instanceId,
      [labelKeys.project]: project,
      [labelKeys.env]: env,
      [labelKeys.cluster]: cluster,
    },
  };
}

/**
 * `berth-<instance>.<cluster>.<project>`: three parts where an env network has four, so the two
 * never share a name. Every build of the project's pipelines on that cluster joins it (the
 * confined `podman build` steps and the build script's container): it is isolated like an env
 * network, so a build's steps — the project's own code — reach no project's services by address,
 * where podman's default network reached them all (docs/networks.md).
 */
export function buildNetwork(instanceId: string, cluster: string, project: string): NetworkAttachment {
  return {
    name: `berth-${instanceId}.${cluster}.${project}`,
    labels: {
      [labelKeys.instance]: instanceId,
      [labelKeys.project]: project,
      [labelKeys.cluster]: cluster,
    },
  };
}

/** Engines that can list and remove networks (Podman); workload engines have no such networks. */
function networksOf(
  engine: ContainerEngine,
): Required<Pick<ContainerEngine, 'listNetworks' | 'removeNetwork'>> | null {
  if (!engine.listNetworks || !engine.removeNetwork) return null;
  return { listNetworks: engine.listNetworks.bind(engine), removeNetwork: engine.removeNetwork.bind(engine) };
}

/**
 * Removes the networks of environments without services or cron jobs, in the background, at most once per
 * `everyMs` and never two at a time. A network some container is still on (a cron run, a service
 * created since the store was read) is refused by the engine and stays; a container created after
 * a removal makes its network again (the engine retries once on "network not found").
 */
export class EnvNetworkSweep {
  private running: Promise<void> | null = null;
  private lastAt = 0;

  constructor(
    private readonly ctx: AppContext,
    private readonly engines: Engines,
    private readonly everyMs = networkSweepIntervals * ctx.config.reconcileIntervalMs,
  ) {}

  sweepSoon(clusters: Iterable<string>): void {
    if (this.running || Date.now() - this.lastAt < this.everyMs) return;
    this.lastAt = Date.now();
    const list = [...clusters];
    this.running = this.sweep(list).finally(() => (this.running = null));
  }

  /** Sweeps `clusters` now; a cluster's failure is logged and the others go on. */
  async sweep(clusters: string[]): Promise<void> {
    const instance = this.ctx.config.instanceId;
    // An env with cron jobs keeps its network too: without it each run made the network again
    // (about 10 s on a busy machine) and started that much late.
    let rows: Array<{ project: string; env: string }>;
    let builders: Array<{ project: string }>;
    try {
      rows = [
        ...(await this.ctx.db.selectFrom('services').select(['project', 'env']).distinct().execute()),
        ...(await this.ctx.db.selectFrom('cronjobs').select(['project', 'env']).distinct().execute()),
      ];
      // a project with pipelines keeps its build network: a build makes it again if it is gone,
      // but one made and removed between two builds is churn (a bridge, iptables rules)
      builders = await this.ctx.db
        .withTables<{ pipelines: { project: string } }>()
        .selectFrom('pipelines')
        .select('project')
        .distinct()
        .execute();
    } catch (err) {
      // the sweep runs in the background (sweepSoon): a rejection would end the process
      this.ctx.log.warn(
        { err },
        'reading the store to sweep the env networks failed; the next sweep tries again',
      );
      return;
    }
    for (const cluster of clusters) {
      const keep = new Set([
        ...rows.map((r) => envNetworkName(instance, cluster, r.project, r.env)),
        ...builders.map((b) => buildNetwork(instance, cluster, b.project).name),
      ]);
      try {
        const net = networksOf(await this.engines.get(cluster));
        if (!net) continue;
        const owned = await net.listNetworks({
          [labelKeys.instance]: instance,
          [labelKeys.cluster]: cluster,
        });
        for (const n of owned) {
          if (keep.has(n.name)) continue;
          const done = await net.removeNetwork(n.name);
          if (done === 'removed')
            this.ctx.log.info({ network: n.name, cluster }, 'removed an unused env network');
        }
      } catch (err) {
        this.ctx.log.warn({ err, cluster }, `cluster ${cluster}: sweeping its env networks failed`);
      }
    }
  }

  async stop(): Promise<void> {
    await this.running;
  }
}
