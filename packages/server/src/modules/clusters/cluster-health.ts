import type { FastifyBaseLogger } from 'fastify';
import { KubernetesEngine } from '@berth/engine-kubernetes';
import { LibpodClient } from '@berth/engine-podman';
import { inClusterEndpoint, type ClusterCredentials, type ClusterRegistryCheck } from '@berth/shared';
import type { SecretBox } from '../../crypto/secret-box';
import { newId, nowIso } from '../../util';
import type { ClusterRow, ClustersRepository } from './clusters.repository';
import { kubernetesEngineOptions } from './cluster-engines';
import {
  probeKubernetes,
  probePodman,
  type EndpointOpener,
  type KubernetesOpener,
  type ProbeOptions,
  type ProbeResult,
} from './cluster-probe';
import { checkRegistryReach, registryAnswers } from './cluster-registry-check';

export interface HealthCheckerOptions extends ProbeOptions {
  /** Interval between rounds. */
  intervalMs: number;
  /**
   * How often a ready cluster's capacity is read again; default 6 rounds, at least 30 s. libpod's
   * /info is heavy: storage statistics, and four `dpkg-query` runs about conmon and the OCI runtime
   * (~0.5 s of CPU each time, measured). A cluster that is not ready, and a check asked for, read it
   * always.
   */
  capacityEveryMs?: number;
  /**
   * The embedded registry's listen address (null: off). With it, the capacity round also asks the
   * cluster's Podman to reach the registry under the cluster's name for it (registry check).
   */
  registryListen?: string | null;
}

/** The default opener of a kubernetes cluster's check: a KubernetesEngine of its own, closed after. */
export function kubernetesOpener(instanceId: string): KubernetesOpener {
  return (row, credentials) =>
    new KubernetesEngine(kubernetesEngineOptions({ exposure: null, ...row }, credentials, instanceId));
}

/**
 * The registry check of a kubernetes cluster: not run. The kubelets pull, through the namespace's
 * image pull secret, from wherever the cluster's network reaches; asking one node would prove
 * nothing about the others, and Berth has no Podman there to ask.
 */
function kubernetesRegistryNote(cluster: string, registry: string): ClusterRegistryCheck {
  return {
    ok: null,
    registry,
    message: `Not checked on kubernetes clusters: the cluster's nodes pull images themselves, with the namespace's image pull secret (berth-pull). If pods of '${cluster}' show ErrImagePull, set the address its nodes reach the registry at: berth clusters update ${cluster} --registry host:port.`,
    checkedAt: nowIso(),
  };
}

/** The registry check's effect on a check's result: a failed one degrades a reachable cluster. */
function withRegistry(result: ProbeResult, check: ClusterRegistryCheck | null): ProbeResult {
  if (!check || check.ok !== false || result.state === 'unreachable') return result;
  const why = `Registry check failed: ${check.message}`;
  return {
    ...result,
    state: 'degraded',
    message: result.state === 'degraded' && result.message ? `${result.message} ${why}` : why,
  };
}

function parseCheck(text: string | null | undefined): ClusterRegistryCheck | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as ClusterRegistryCheck;
  } catch {
    return null;
  }
}

/**
 * The cluster health checker: a reconciler that checks every registered cluster each interval
 * (all clusters of a round in parallel) and writes state, latency and capacity. A state change
 * is logged and recorded as a `cluster_events` row (`StateChanged`), which the API lists.
 * Checks of one cluster never overlap: a check asked for while one runs joins it.
 */
export class ClusterHealthChecker {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private round: Promise<void> | null = null;
  /** The running check of each cluster and what it checks (endpoint, credentials, registry). */
  private readonly inFlight = new Map<string, { key: string; done: Promise<ProbeResult> }>();
  /** When each cluster's capacity was last read (this process). */
  private readonly capacityReadAt = new Map<string, number>();

  constructor(
    private readonly repo: ClustersRepository,
    private readonly secrets: SecretBox,
    private readonly open: EndpointOpener,
    private readonly log: FastifyBaseLogger,
    private readonly opts: HealthCheckerOptions,
    /** How a kubernetes cluster's check gets its engine (tests give a stand-in). */
    private readonly openKubernetes: KubernetesOpener = kubernetesOpener(opts.instanceId),
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.round;
    await Promise.allSettled([...this.inFlight.values()].map((f) => f.done));
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.round = this.checkAll()
        .catch((err: unknown) => this.log.warn({ err }, 'cluster health round failed'))
        .finally(() => {
          this.round = null;
          this.schedule(this.opts.intervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  /** One round over every cluster. */
  async checkAll(): Promise<void> {
    const rows = await this.repo.list();
    const every = this.opts.capacityEveryMs ?? Math.max(this.opts.intervalMs * 6, 30_000);
    const now = Date.now();
    await Promise.allSettled(
      rows.map((r) =>
        this.check(r, r.state !== 'ready' || now - (this.capacityReadAt.get(r.name) ?? 0) >= every),
      ),
    );
  }

  /**
   * Checks one cluster now and stores the result; with `readCapacity` false only the ping runs (the
   * last capacity stays). A round joins a check already running; a `fresh` one (an admin's "Check
   * now") lets it finish and then checks again, since it began before the ask and may have read
   * the cluster before what the admin wants to see (a container just started).
   */
  check(row: ClusterRow, readCapacity = true, fresh = false): Promise<ProbeResult> {
    const key = `${row.endpoint}\n${row.credentials_sealed ?? ''}\n${row.registry_address ?? ''}`;
    const running = this.inFlight.get(row.name);
    if (running) {
      if (!fresh && running.key === key) return running.done;
      // asked for now, or the cluster changed (an admin's update) while an older check ran: check
      // again after it
      return running.done.catch(() => undefined).then(() => this.check(row, readCapacity));
    }
    const done = this.checkNow(row, readCapacity).finally(() => {
      if (this.inFlight.get(row.name)?.done === done) this.inFlight.delete(row.name);
    });
    this.inFlight.set(row.name, { key, done });
    return done;
  }

  /** The registry address the cluster pulls Berth's images by; null: the registry is off. */
  private registryOf(row: ClusterRow): string | null {
    const listen = this.opts.registryListen ?? null;
    return listen ? (row.registry_address ?? listen) : null;
  }

  /**
   * Asks the cluster's Podman to reach the registry (see cluster-registry-check.ts). Not judged
   * (ok null) while the embedded registry does not answer Berth itself: the address cannot be told
   * wrong then, and the registry's own outage is not the cluster's.
   */
  private async checkRegistry(row: ClusterRow, socketPath: string): Promise<ClusterRegistryCheck | null> {
    const listen = this.opts.registryListen ?? null;
    const registry = this.registryOf(row);
    if (!listen || !registry) return null;
    const checkedAt = nowIso();
    if (!(await registryAnswers(listen, this.opts.timeoutMs)))
      return {
        ok: null,
        registry,
        message: `Not checked: Berth's embedded registry does not answer at ${listen} (is its helper running?).`,
        checkedAt,
      };
    const client = new LibpodClient(socketPath, this.opts.timeoutMs * 6);
    const reach = await checkRegistryReach(client, registry, this.opts.timeoutMs * 6);
    if (reach.ok) return { ok: true, registry, message: reach.message, checkedAt };
    const own =
      row.registry_address === null
        ? ` (the registry's own address: the cluster has no registry address)`
        : '';
    return {
      ok: false,
      registry,
      message:
        `${reach.message} Images of Berth's registry cannot be pulled on cluster '${row.name}' as ${registry}${own}. ` +
        `Set the address its hosts reach the registry at: berth clusters update ${row.name} --registry host:port.`,
      checkedAt,
    };
  }

  private async checkNow(row: ClusterRow, readCapacity: boolean): Promise<ProbeResult> {
    let result: ProbeResult;
    /** undefined: not checked this time (the last check holds). */
    let registryCheck: ClusterRegistryCheck | null | undefined;
    try {
      const creds = row.credentials_sealed
        ? (JSON.parse(this.secrets.open(row.credentials_sealed)) as ClusterCredentials)
        : undefined;
      if (row.kind === 'kubernetes') {
        result = await this.checkKubernetes(row, creds, readCapacity);
        const registry = this.registryOf(row);
        registryCheck = registry ? kubernetesRegistryNote(row.name, registry) : null;
      } else {
        const socket = await this.open(row.endpoint, creds);
        try {
          result = await probePodman(socket.socketPath, this.opts, readCapacity);
          if (readCapacity && result.capacity) this.capacityReadAt.set(row.name, Date.now());
          if (readCapacity && result.state !== 'unreachable')
            registryCheck = await this.checkRegistry(row, socket.socketPath);
          else if (!this.registryOf(row)) registryCheck = null;
        } finally {
          await socket.close().catch(() => undefined);
        }
      }
    } catch (err) {
      result = {
        state: 'unreachable',
        message: err instanceof Error ? err.message : String(err),
        latencyMs: null,
        capacity: null,
      };
    }
    return this.record(row, result, registryCheck);
  }

  /** A kubernetes cluster's check: through a KubernetesEngine's health() and capacity(). */
  private async checkKubernetes(
    row: ClusterRow,
    creds: ClusterCredentials | undefined,
    readCapacity: boolean,
  ): Promise<ProbeResult> {
    let result: ProbeResult;
    const engine = this.openKubernetes(row, creds);
    try {
      result = await probeKubernetes(
        engine,
        { name: row.name, inCluster: row.endpoint === inClusterEndpoint },
        this.opts,
        readCapacity,
      );
    } finally {
      await engine.close().catch(() => undefined);
    }
    if (readCapacity && result.capacity) this.capacityReadAt.set(row.name, Date.now());
    return result;
  }

  private async record(
    row: ClusterRow,
    probed: ProbeResult,
    registryCheck: ClusterRegistryCheck | null | undefined,
  ): Promise<ProbeResult> {
    const now = nowIso();
    // The row may have been deleted while the check ran; setHealth then updates nothing.
    const current = await this.repo.find(row.name);
    if (!current) return probed;
    const last = parseCheck(current.registry_check);
    // between registry checks the last one holds, as long as it was of the address in use
    const registry = this.registryOf(row);
    const effective =
      registryCheck !== undefined ? registryCheck : last && last.registry === registry ? last : null;
    const result = withRegistry(probed, effective);
    await this.repo.setHealth(row.name, {
      ...(registryCheck !== undefined
        ? { registry_check: registryCheck ? JSON.stringify(registryCheck) : null }
        : {}),
      ...(result.engineVersion !== undefined ? { engine_version: result.engineVersion } : {}),
      state: result.state,
      message: result.message,
      latency_ms: result.latencyMs,
      // An unreachable engine says nothing new about capacity: keep the last known.
      capacity: result.capacity ? JSON.stringify(result.capacity) : current.capacity,
      last_checked_at: now,
      // failover waits out the grace from here; a return is trusted after the stability window
      ...(current.state === result.state ? {} : { state_since: now }),
    });
    if (registryCheck && registryCheck.ok !== null && registryCheck.ok !== (last?.ok ?? true))
      await this.repo.addEvent({
        id: newId(),
        cluster: row.name,
        at: now,
        type: registryCheck.ok ? 'RegistryReachable' : 'RegistryUnreachable',
        from_state: null,
        to_state: null,
        message: registryCheck.ok
          ? `Cluster '${row.name}' reaches Berth's registry as ${registryCheck.registry} again.`
          : `Cluster '${row.name}' cannot reach Berth's registry as ${registryCheck.registry}: ${registryCheck.message}`,
      });
    if (current.state === result.state) return result;
    const message =
      result.state === 'ready'
        ? `Cluster '${row.name}' is ready (${result.latencyMs ?? '?'} ms).`
        : `Cluster '${row.name}' is ${result.state}: ${result.message ?? 'no reason given'}`;
    const level = result.state === 'ready' ? 'info' : 'warn';
    this.log[level]({ cluster: row.name, from: current.state, to: result.state }, message);
    await this.repo.addEvent({
      id: newId(),
      cluster: row.name,
      at: now,
      type: 'StateChanged',
      from_state: current.state,
      to_state: result.state,
      message,
    });
    return result;
  }
}
