/**
 * Maps libpod container JSON (list entries and inspect answers) to Berth's ContainerObservation.
 * Pure functions, so the mapping is testable on captured podman output.
 */
import type { ContainerObservation, ObservedState } from '@berth/engine-api';
import type { LibpodInspectContainer, LibpodListContainer, LibpodPortMapping } from './libpod-types';

/** Go's zero time, which podman reports for "never". */
const zeroTimePrefix = '0001-01-01';
/** Go's zero time as unix seconds. */
const zeroUnixSeconds = -62135596800;

/** What only an inspect tells; fixed while a container stays in one run state. */
export interface InspectFacts {
  ip: string | null;
  memoryLimitBytes: number | null;
  imageDigest: string | null;
  oomKilled: boolean;
  /** Inspect has nanoseconds; list entries only whole seconds. */
  startedAt: string | null;
  finishedAt: string | null;
}

/** Podman's container states folded into Berth's five. */
export function toObservedState(state: string): ObservedState {
  switch (state) {
    case 'created':
    case 'configured':
    case 'initialized':
      return 'created';
    case 'running':
    // A container being stopped still runs until the signal takes effect.
    case 'stopping':
      return 'running';
    case 'paused':
      return 'paused';
    case 'exited':
    case 'stopped':
      return 'exited';
    default:
      return 'unknown';
  }
}

/** Ports as Berth reports them: `{ "8080": "127.0.0.1:40123" }` (tcp only; Berth publishes tcp). */
export function portsFromList(ports: LibpodPortMapping[] | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of ports ?? []) {
    if (p.protocol && p.protocol !== 'tcp') continue;
    const range = Math.max(1, p.range ?? 1);
    for (let i = 0; i < range; i++) {
      out[String(p.container_port + i)] = `${p.host_ip || '0.0.0.0'}:${p.host_port + i}`;
    }
  }
  return out;
}

/** Same shape as portsFromList, from inspect's `NetworkSettings.Ports`. */
export function portsFromInspect(
  ports: LibpodInspectContainer['NetworkSettings']['Ports'],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, bindings] of Object.entries(ports ?? {})) {
    const [port, proto] = key.split('/');
    const first = bindings?.[0];
    if (!port || (proto && proto !== 'tcp') || !first) continue;
    out[port] = `${first.HostIp || '0.0.0.0'}:${first.HostPort}`;
  }
  return out;
}

function presentTime(iso: string | undefined): string | null {
  return iso && !iso.startsWith(zeroTimePrefix) ? iso : null;
}

function unixToIso(seconds: number): string | null {
  return seconds > 0 && seconds !== zeroUnixSeconds ? new Date(seconds * 1000).toISOString() : null;
}

/** The container's address: on the preferred network if given, else the first one with an address. */
export function ipFromInspect(c: LibpodInspectContainer, network?: string): string | null {
  const networks = c.NetworkSettings.Networks ?? {};
  const preferred = network ? networks[network]?.IPAddress : undefined;
  if (preferred) return preferred;
  if (c.NetworkSettings.IPAddress) return c.NetworkSettings.IPAddress;
  for (const n of Object.values(networks)) if (n.IPAddress) return n.IPAddress;
  return null;
}

/** The inspect-only facts that list entries lack. */
export function factsFromInspect(c: LibpodInspectContainer, network?: string): InspectFacts {
  return {
    ip: ipFromInspect(c, network),
    memoryLimitBytes: c.HostConfig.Memory ? c.HostConfig.Memory : null,
    imageDigest: c.ImageDigest || null,
    oomKilled: c.State.OOMKilled,
    startedAt: presentTime(c.State.StartedAt),
    finishedAt: presentTime(c.State.FinishedAt),
  };
}

/** The observation of one inspected container. */
export function observationFromInspect(
  c: LibpodInspectContainer,
  node: string,
  network?: string,
): ContainerObservation {
  const state = toObservedState(c.State.Status);
  const facts = factsFromInspect(c, network);
  const finishedAt = presentTime(c.State.FinishedAt);
  return {
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    labels: c.Config.Labels ?? {},
    state,
    image: c.ImageName,
    imageDigest: facts.imageDigest,
    ip: state === 'running' || state === 'paused' ? facts.ip : null,
    ports: portsFromInspect(c.NetworkSettings.Ports),
    node,
    createdAt: c.Created,
    startedAt: presentTime(c.State.StartedAt),
    finishedAt,
    // ExitCode is 0 before the first exit; only an exit makes it meaningful.
    exitCode: state === 'exited' && finishedAt ? c.State.ExitCode : null,
    oomKilled: c.State.OOMKilled,
    memoryLimitBytes: facts.memoryLimitBytes,
  };
}

/** A list entry plus the facts of an inspect (possibly cached). */
export function observationFromList(
  c: LibpodListContainer,
  facts: InspectFacts,
  node: string,
): ContainerObservation {
  const state = toObservedState(c.State);
  const finishedAt = c.Exited ? unixToIso(c.ExitedAt) : null;
  return {
    id: c.Id,
    name: c.Names?.[0] ?? c.Id.slice(0, 12),
    labels: c.Labels ?? {},
    state,
    image: c.Image,
    imageDigest: facts.imageDigest,
    ip: state === 'running' || state === 'paused' ? facts.ip : null,
    ports: portsFromList(c.Ports),
    node,
    createdAt: c.Created,
    startedAt: facts.startedAt ?? unixToIso(c.StartedAt),
    finishedAt: c.Exited ? (facts.finishedAt ?? finishedAt) : null,
    exitCode: state === 'exited' && c.Exited ? c.ExitCode : null,
    // Never true on cgroup v1 (see exitReason); list entries do not carry it, inspect does.
    oomKilled: facts.oomKilled,
    memoryLimitBytes: facts.memoryLimitBytes,
  };
}
