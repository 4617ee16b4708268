import { LibpodClient, openPodmanEndpoint } from '@berth/engine-podman';
import { labelKeys, type EngineHealth } from '@berth/engine-api';
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
  /** The engine's version when the check read it (Kubernetes: the API server's gitVersion). */
  engineVersion?: string;
}

/** What a kubernetes cluster's check asks of its engine (KubernetesEngine). */
export interface KubernetesHealthSource {
  health(): Promise<EngineHealth>;
  capacity(): Promise<ClusterCapacity>;
  close(): Promise<void>;
}

/** Builds the engine a kubernetes cluster's check asks (a fresh one per check, closed after it). */
export type KubernetesOpener = (
  row: { name: string; endpoint: string; exposure?: string | null },
  credentials: ClusterCredentials | undefined,
) => KubernetesHealthSource;

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

/** The HTTP status of a Kubernetes error answer (engine-kubernetes puts it in the error's details). */
function statusOf(err: unknown): number | null {
  const details = (err as { details?: { status?: unknown } } | null)?.details;
  return typeof details?.status === 'number' ? details.status : null;
}

/** Rejects after `ms` with a message saying what did not answer. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} gave no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * What an admin must fix when the API server refused Berth: 401 — the credentials (the
 * kubeconfig's, or the pod's service account token in-cluster); 403 — an RBAC right, which the
 * engine's message names (verb and resource).
 */
function refusal(err: unknown, cluster: string, inCluster: boolean): string | null {
  const status = statusOf(err);
  if (status === 401)
    return inCluster
      ? `The API server refused the credentials of Berth's pod (401 Unauthorized): its service account token is missing or invalid. Check that the pod mounts a service account token (automountServiceAccountToken) and that the account exists.`
      : `The kubeconfig's credentials were refused by the API server (401 Unauthorized): its token or client certificate is wrong, expired or revoked. Give a working kubeconfig: berth clusters update ${cluster} --kubeconfig FILE.`;
  if (status === 403)
    return `${errorText(err)} Berth's rights are listed in docs/kubernetes-install.md ("RBAC"); \`berth install manifests\` prints them as a ClusterRole.`;
  return null;
}

/**
 * Why an `in-cluster` cluster cannot be reached. Outside a pod the Kubernetes client builds the API
 * server's URL from variables Kubernetes sets in pods only, and fails with a bare "Invalid URL".
 */
function inClusterFailure(err: unknown): string {
  const text = errorText(err);
  if (err instanceof TypeError && /invalid url/i.test(text))
    return 'Berth does not run in a Kubernetes pod here: the API server address Kubernetes gives its pods (KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT) is missing. Endpoint "in-cluster" works only for a Berth running inside that cluster; register the cluster with its URL and a kubeconfig instead.';
  return `${text} (endpoint "in-cluster": Berth uses its pod's service account token and the API server Kubernetes names in the pod's environment)`;
}

/**
 * One health check of a kubernetes cluster through its engine: `health()` (/readyz, /version,
 * node conditions; its round trip is the latency), then, when asked, `capacity()` (allocatable
 * minus requests). The same states as a Podman check: no answer, a refused credential (401) or
 * an error before /readyz answered is unreachable; a 403 (an RBAC right missing), a /readyz that
 * is not ok, node problems, a failed capacity or a slow answer is degraded, with what to fix.
 */
export async function probeKubernetes(
  engine: KubernetesHealthSource,
  cluster: { name: string; inCluster: boolean },
  opts: ProbeOptions,
  readCapacity = true,
): Promise<ProbeResult> {
  const started = performance.now();
  let health: EngineHealth;
  try {
    health = await within(engine.health(), opts.timeoutMs, 'The Kubernetes API server');
  } catch (err) {
    const why = refusal(err, cluster.name, cluster.inCluster);
    if (statusOf(err) === 403) return { state: 'degraded', message: why, latencyMs: null, capacity: null };
    return {
      state: 'unreachable',
      message: why ?? (cluster.inCluster ? inClusterFailure(err) : errorText(err)),
      latencyMs: null,
      capacity: null,
    };
  }
  const latencyMs = Math.max(0, Math.round(performance.now() - started));
  const problems: string[] = [];
  if (!health.ok || health.message)
    problems.push(`Kubernetes answers, but ${health.message ?? 'reports it is not ready'}.`);
  let capacity: ClusterCapacity | null = null;
  // a reported problem is looked into (health() reports a refused node list in words only):
  // capacity's error carries the status that tells a refused credential from the rest
  if (readCapacity || health.message)
    try {
      capacity = await within(engine.capacity(), infoTimeoutMs(opts), 'Reading the nodes and pods');
    } catch (err) {
      const why = refusal(err, cluster.name, cluster.inCluster);
      if (statusOf(err) === 401)
        return { state: 'unreachable', message: why, latencyMs: null, capacity: null };
      problems.push(`Kubernetes answers, but its capacity could not be read: ${why ?? errorText(err)}`);
    }
  const engineVersion = health.version;
  if (problems.length > 0)
    return { state: 'degraded', message: problems.join(' '), latencyMs, capacity, engineVersion };
  if (latencyMs > opts.slowMs)
    return {
      state: 'degraded',
      message: `Kubernetes answers slowly: its health took ${latencyMs} ms (more than ${opts.slowMs} ms).`,
      latencyMs,
      capacity,
      engineVersion,
    };
  return { state: 'ready', message: null, latencyMs, capacity, engineVersion };
}
