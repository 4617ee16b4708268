import { LibpodClient, openPodmanEndpoint } from '@berth/engine-podman';
import { labelKeys } from '@berth/engine-api';
import { type ClusterCapacity, type ClusterCredentials, type ClusterState } from '@berth/shared';

/** A connection to a cluster's Podman API: a unix socket path, closed when done. */
export interface ClusterSocket {
  socketPath: string;
  close(): Promise<void>;
}

/** Opens an endpoint (a unix socket, or an `ssh -L` forward to a remote one). */
export type EndpointOpener = (endpoint: string, credentials?: ClusterCredentials) => Promise<ClusterSocket>;

/** engine-podman's opener, bounded by the check's timeout (ssh gets at least 10 s to connect). */
export function endpointOpener(timeoutMs: number): EndpointOpener {
  return (endpoint, credentials) =>
    openPodmanEndpoint(endpoint, credentials, { timeoutMs: Math.max(timeoutMs, 10_000) });
}

export interface ProbeOptions {
  /** Gives up (unreachable) when the engine does not answer the ping in this time. */
  timeoutMs: number;
  /** A ping round trip above this is degraded. */
  slowMs: number;
  /** Containers labelled berth.instance=<instanceId> are Berth's. */
  instanceId: string;
}

export interface ProbeResult {
  state: Exclude<ClusterState, 'unknown'>;
  message: string | null;
  latencyMs: number | null;
  /** null when the engine did not answer (keep the last known). */
  capacity: ClusterCapacity | null;
}

interface LibpodInfo {
  host?: { cpus?: number; memTotal?: number; memFree?: number };
}

interface LibpodListed {
  Id: string;
}

interface LibpodLimits {
  HostConfig?: { NanoCpus?: number; CpuQuota?: number; CpuPeriod?: number; Memory?: number };
}

/** /info and the inspects of Berth's containers may take this long (6× the ping's bound). */
function infoTimeoutMs(opts: ProbeOptions): number {
  return opts.timeoutMs * 6;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Limits of one container from `podman inspect` (0 when it has none). */
function limitsOf(c: LibpodLimits): { cpus: number; memoryBytes: number } {
  const h = c.HostConfig ?? {};
  let cpus = 0;
  if (h.NanoCpus && h.NanoCpus > 0) cpus = h.NanoCpus / 1e9;
  else if (h.CpuQuota && h.CpuQuota > 0 && h.CpuPeriod && h.CpuPeriod > 0) cpus = h.CpuQuota / h.CpuPeriod;
  return { cpus, memoryBytes: h.Memory && h.Memory > 0 ? h.Memory : 0 };
}

/** What Berth's running containers on the engine ask for: the sum of their limits. */
async function berthUse(client: LibpodClient, opts: ProbeOptions): Promise<ClusterCapacity['used']> {
  const listed =
    (await client.json<LibpodListed[]>('GET', '/containers/json', {
      query: { filters: JSON.stringify({ label: [`${labelKeys.instance}=${opts.instanceId}`] }) },
      timeoutMs: infoTimeoutMs(opts),
    })) ?? [];
  let cpus = 0;
  let memoryBytes = 0;
  let containers = 0;
  // A few at a time: a busy host answers inspects slowly, and the check must not flood it.
  for (let i = 0; i < listed.length; i += 8) {
    const batch = await Promise.all(
      listed.slice(i, i + 8).map((c) =>
        client
          .json<LibpodLimits>('GET', `/containers/${encodeURIComponent(c.Id)}/json`, {
            accept: [404],
            timeoutMs: infoTimeoutMs(opts),
          })
          .catch(() => null),
      ),
    );
    for (const c of batch) {
      if (!c) continue; // gone between the list and the inspect
      const l = limitsOf(c);
      cpus += l.cpus;
      memoryBytes += l.memoryBytes;
      containers += 1;
    }
  }
  return { cpus: Math.round(cpus * 1000) / 1000, memoryBytes, containers };
}

/**
 * One health check of a Podman engine: a ping (its round trip is the latency), then the host's
 * capacity (`GET /libpod/info`) and Berth's use of it. Ping failure or timeout: unreachable, with
 * Podman's reason. Slow answers or a failed info: degraded.
 */
export async function probePodman(
  socketPath: string,
  opts: ProbeOptions,
  /** false: the ping only (capacity null, kept from the last check); see ClusterHealthChecker. */
  readCapacity = true,
): Promise<ProbeResult> {
  const client = new LibpodClient(socketPath, infoTimeoutMs(opts));
  const started = performance.now();
  try {
    const pong = await client.request('GET', '/_ping', { timeoutMs: opts.timeoutMs });
    if (pong.status !== 200) throw new Error(`the ping answered ${pong.status}`);
  } catch (err) {
    return { state: 'unreachable', message: errorText(err), latencyMs: null, capacity: null };
  }
  const latencyMs = Math.max(0, Math.round(performance.now() - started));
  let capacity: ClusterCapacity | null = null;
  let problem: string | null = null;
  if (readCapacity)
    try {
      // libpod computes storage statistics for /info: seconds on a busy host, so it gets longer.
      const info = await client.json<LibpodInfo>('GET', '/info', { timeoutMs: infoTimeoutMs(opts) });
      const host = info?.host;
      if (!host || typeof host.cpus !== 'number' || typeof host.memTotal !== 'number')
        throw new Error('the answer has no host.cpus/host.memTotal');
      const used = await berthUse(client, opts);
      capacity = {
        cpus: host.cpus,
        memoryBytes: host.memTotal,
        // What could still be given out: free memory plus what Berth's containers hold by limit
        // (capped at the total), a host view the fleet controller refines.
        allocatableMemoryBytes: Math.min(host.memTotal, (host.memFree ?? 0) + used.memoryBytes),
        used,
      };
    } catch (err) {
      problem = `Podman answers the ping but its info failed: ${errorText(err)}`;
    }
  if (problem) return { state: 'degraded', message: problem, latencyMs, capacity };
  if (latencyMs > opts.slowMs)
    return {
      state: 'degraded',
      message: `Podman answers slowly: the ping took ${latencyMs} ms (more than ${opts.slowMs} ms).`,
      latencyMs,
      capacity,
    };
  return { state: 'ready', message: null, latencyMs, capacity };
}
