/*
 * What a project may probe (docs/probes.md, "What a project may probe"):
 * - a host name: the host of one of the project's routes in the environment, at the ports its
 *   gateway answers on (80, 443, or the env gateway's listen ports); a TCP probe of a route host
 *   uses a TCP entry port assigned to the project in the environment;
 * - an IPv4 address: IP:PORT must be a server backend of one of the project's routes in the
 *   environment (which the tenancy fence already allowed), and it passes the fence again:
 *   never Berth's own listeners, link-local or metadata addresses, loopback only when
 *   BERTH_GATEWAY_ALLOW_LOOPBACK_BACKENDS is on.
 */
import { isIP } from 'node:net';
import { normalizeHost, type FieldError } from '@berth/shared';
import type { Db } from '../../db/database';
import { fencedReason, type Listener } from '../tenancy/fence';

export interface OwnershipFacts {
  hosts: Set<string>;
  backends: Set<string>;
  gatewayPorts: Set<number>;
  tcpEntryPorts: Set<number>;
}

function portOf(listen: string | null): number | null {
  if (!listen) return null;
  const p = Number(listen.slice(listen.lastIndexOf(':') + 1));
  return Number.isInteger(p) && p > 0 ? p : null;
}

export async function ownershipFacts(db: Db, project: string, env: string): Promise<OwnershipFacts> {
  const routes = await db
    .selectFrom('gateway_routes')
    .select(['host', 'spec'])
    .where('project', '=', project)
    .where('env', '=', env)
    .execute();
  const hosts = new Set<string>();
  const backends = new Set<string>();
  for (const r of routes) {
    hosts.add(normalizeHost(r.host));
    const spec = JSON.parse(r.spec) as { backends?: { servers?: Array<{ address: string }> } };
    for (const s of spec.backends?.servers ?? []) backends.add(s.address);
  }
  const gateways = await db
    .selectFrom('gateways')
    .select(['listen', 'tls_listen'])
    .where('env', '=', env)
    .execute();
  const gatewayPorts = new Set<number>([80, 443]);
  for (const g of gateways)
    for (const p of [portOf(g.listen), portOf(g.tls_listen)]) if (p) gatewayPorts.add(p);
  const entry = await db
    .selectFrom('entry_ports')
    .select('port')
    .where('project', '=', project)
    .where('env', '=', env)
    .where('protocol', '=', 'tcp')
    .execute();
  return { hosts, backends, gatewayPorts, tcpEntryPorts: new Set(entry.map((e) => e.port)) };
}

/** Why the project may not probe this target, as a field error, or null. */
export function ownershipRefusal(
  kind: 'http' | 'tcp',
  target: string,
  facts: OwnershipFacts,
  where: { project: string; env: string },
  fence: { allowLoopback: boolean; listeners: Listener[] },
): FieldError | null {
  const field = kind === 'http' ? 'url' : 'address';
  const at = `${where.project}/${where.env}`;
  let host: string;
  let port: number;
  if (kind === 'http') {
    const u = new URL(target);
    host = u.hostname.replace(/^\[|\]$/g, '');
    port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  } else {
    const i = target.lastIndexOf(':');
    host = target.slice(0, i);
    port = Number(target.slice(i + 1));
  }
  const refuse = (message: string): FieldError => ({ path: field, message });
  if (isIP(host) === 6) return refuse('takes an IPv4 address or a host name (IPv6 probes are not supported)');
  if (isIP(host) === 4) {
    const address = `${host}:${port}`;
    const fenced = fencedReason(address, fence);
    if (fenced) return refuse(`${address} is ${fenced}; it can never be probed`);
    if (!facts.backends.has(address))
      return refuse(
        `${address} is not a server backend of a route of ${at}; a project probes only what it owns: its routes' hosts, or its routes' server backends (docs/probes.md)`,
      );
    return null;
  }
  const name = normalizeHost(host);
  if (!facts.hosts.has(name))
    return refuse(
      `host '${name}' is not the host of a route of ${at}; a project probes only what it owns: its routes' hosts (add a route first), or its routes' server backends (docs/probes.md)`,
    );
  if (kind === 'http' && !facts.gatewayPorts.has(port))
    return refuse(
      `port ${port} is not a port the gateway of '${where.env}' answers on (${[...facts.gatewayPorts].sort((a, b) => a - b).join(', ')}); a route host is probed through its gateway`,
    );
  if (kind === 'tcp' && !facts.tcpEntryPorts.has(port))
    return refuse(
      `port ${port} is not a TCP entry port assigned to project '${where.project}' in '${where.env}'${facts.tcpEntryPorts.size ? ` (yours: ${[...facts.tcpEntryPorts].sort((a, b) => a - b).join(', ')})` : ' (none are)'}`,
    );
  return null;
}
