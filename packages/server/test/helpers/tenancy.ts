import type { TestApi } from './platform';

/**
 * Route fixtures need what a real platform admin would assign first: a DNS zone for the hosts
 * (domains have owners) and, for VM backends, an allowed network (backends are fenced).
 */
export async function grantZone(api: TestApi, zone: string, project: string): Promise<void> {
  const r = await api.post('/api/v1/domains', { zone, owner: { kind: 'project', name: project } });
  if (r.status !== 201) throw new Error(`zone ${zone}: ${r.status} ${JSON.stringify(r.body)}`);
}

/**
 * Allows a network for a project's VM backends. A loopback network needs a platform started
 * with BERTH_GATEWAY_ALLOW_LOOPBACK_BACKENDS=1 (tests with local backends); Berth's own
 * listeners stay fenced even then.
 */
export async function grantNetwork(api: TestApi, cidr: string, project: string): Promise<void> {
  const r = await api.post('/api/v1/networks', { cidr, owner: { kind: 'project', name: project } });
  if (r.status !== 201) throw new Error(`network ${cidr}: ${r.status} ${JSON.stringify(r.body)}`);
}

/** The env switch for platforms whose tests send traffic to VM backends on 127.0.0.1. */
export const loopbackBackends = { BERTH_GATEWAY_ALLOW_LOOPBACK_BACKENDS: '1' } as const;
