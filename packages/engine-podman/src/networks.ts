/**
 * Podman networks of project environments (docs/networks.md): bridge networks with DNS (the CNI
 * dnsname plugin on podman 4.3, runtime-notes) where a service's replicas answer to its name, and
 * `isolate` so that no other isolated network reaches them (the CNI firewall plugin's
 * `ingressPolicy: same-bridge`). Not internal: published ports on 127.0.0.1 keep working.
 */
import { createHash } from 'node:crypto';
import type { NetworkAttachment, NetworkInfo, NetworkRemoval } from '@berth/engine-api';
import { EngineError } from '@berth/shared';
import type { LibpodClient } from './libpod-client';

/** The libpod network JSON (podman 4.x `types.Network`), the fields Berth reads. */
interface LibpodNetwork {
  name: string;
  labels?: Record<string, string> | null;
  created: string;
}

const networkPath = (name: string) => `/networks/${encodeURIComponent(name)}`;

function toInfo(n: LibpodNetwork): NetworkInfo {
  return { name: n.name, labels: n.labels ?? {}, createdAt: n.created };
}

/**
 * The network's Linux bridge, named after the network (`bn` + 12 hex, within IFNAMSIZ): podman's
 * own choice, the lowest free `cni-podmanN`, is per network config dir, so two Podman services on
 * one host (test fleets) gave two networks one bridge ("already has an IP address different from").
 */
export function bridgeName(network: string): string {
  return `bn${createHash('sha256').update(network).digest('hex').slice(0, 12)}`;
}

/** The libpod body of `POST /networks/create` for an environment's network. */
export function networkCreateBody(net: NetworkAttachment): Record<string, unknown> {
  return {
    name: net.name,
    driver: 'bridge',
    network_interface: bridgeName(net.name),
    dns_enabled: true,
    internal: false,
    labels: net.labels ?? {},
    options: { isolate: 'true' },
  };
}

/**
 * Creates the network unless it exists. Two creations racing (two replicas of a new env at once)
 * are both fine: podman answers the second with 409.
 */
export async function ensureNetwork(client: LibpodClient, net: NetworkAttachment): Promise<void> {
  try {
    await client.request('POST', '/networks/create', { body: networkCreateBody(net), accept: [409] });
  } catch (err) {
    const what = `Podman could not create network ${net.name}`;
    if (err instanceof EngineError) throw new EngineError(`${what}: ${err.message}`, err.details);
    throw err;
  }
}

export async function listNetworks(
  client: LibpodClient,
  labels: Record<string, string>,
): Promise<NetworkInfo[]> {
  const label = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  const list = await client.json<LibpodNetwork[]>('GET', '/networks/json', {
    query: { filters: JSON.stringify(label.length ? { label } : {}) },
  });
  // every label must match, whatever podman does with several label filters
  return (list ?? [])
    .filter((n) => Object.entries(labels).every(([k, v]) => n.labels?.[k] === v))
    .map(toInfo);
}

/**
 * Never forced: podman 4.3 refuses a network a container (even a stopped one) is on with 500 and
 * cause "network is being used"; that is `in-use`, not an error.
 */
export async function removeNetwork(client: LibpodClient, name: string): Promise<NetworkRemoval> {
  const res = await client.request('DELETE', networkPath(name), { accept: [404, 409, 500] });
  if (res.status === 404) return 'missing';
  if (res.status === 409 || res.status === 500) {
    const err = client.statusError(res.status, res.body, 'DELETE', networkPath(name));
    const cause = typeof err.details?.cause === 'string' ? err.details.cause : '';
    if (res.status === 409 || /being used|associated containers/.test(`${err.message} ${cause}`))
      return 'in-use';
    throw err;
  }
  return 'removed';
}

/** Podman's answer when a container's network is gone (removed between its ensure and the create). */
export function isNetworkMissing(err: unknown): boolean {
  return err instanceof Error && /network not found|unable to find network/i.test(err.message);
}
