import { z } from 'zod';
import {
  NotFoundError,
  gatewayAgentVrrpRequestSchema,
  gatewayVipRequestSchema,
  nameSchema,
} from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import type { GatewayApplier } from './gateway-applier';
import type { GatewayNodes } from './gateway-nodes';
import { GatewayVips } from './gateway-vip';
import { GatewayVipRepository } from './gateway-vip.repository';
import type { GatewayRow, GatewaysRepository } from './gateways.repository';
import type { GatewaysService } from './gateways.service';
import type { Db } from '../../db/database';

const base = '/api/v1/gateways';
const gatewayParams = z.object({ gateway: nameSchema }).strict();
const platform = { permission: 'platform:admin' as const, scope: () => ({ kind: 'platform' as const }) };
const deleteQuery = z.object({ version: z.coerce.number().int().min(1).optional() }).strict();

export interface GatewayVipDeps {
  db: Db;
  repo: GatewaysRepository;
  svc: GatewaysService;
  applier: GatewayApplier;
  nodes: GatewayNodes;
}

/**
 * The virtual IP of a gateway (docs/gateway.md, "Virtual IP"): settings (platform:admin), the
 * per-node VRRP state, and the agents' state reports (node token). A change is applied as a
 * configuration version by its author, so every node's agent fetches its new keepalived.conf.
 */
export function registerGatewayVipRoutes(registry: RouteRegistry, d: GatewayVipDeps): GatewayVips {
  const vips = new GatewayVips(new GatewayVipRepository(d.db), d.nodes);
  d.nodes.vip = vips;
  d.svc.vipSnapshots = vips;
  const gateway = async (name: string) => {
    const g = await d.repo.findGateway(name);
    if (!g) throw new NotFoundError('NOT_FOUND', `Gateway '${name}' does not exist.`);
    return g;
  };
  /** Applies the gateway now (a configuration version by the author): agents fetch their files. */
  const applyNow = (g: GatewayRow, author: string, reason: string) =>
    d.applier.enqueue(g.id, async () => {
      const fresh = (await d.repo.findGateway(g.name)) ?? g;
      const routes = await d.repo.routesOfEnv(fresh.env);
      return d.svc.applyWith(fresh, routes, {
        author,
        reason,
        change: null,
        routesAfter: routes,
        force: true,
      });
    });

  registry.add({
    id: 'gateways.vip.get',
    method: 'GET',
    url: `${base}/:gateway/vip`,
    summary: "A gateway's virtual IP: settings, each node's VRRP state and the VIP's holder",
    tags: ['gateways'],
    access: platform,
    params: gatewayParams,
    async handler({ params }) {
      return vips.get(await gateway(params.gateway));
    },
  });

  registry.add({
    id: 'gateways.vip.set',
    method: 'PUT',
    url: `${base}/:gateway/vip`,
    summary:
      "Set a gateway's virtual IP (keepalived); checked with keepalived -t and delivered by the agents",
    tags: ['gateways'],
    access: platform,
    params: gatewayParams,
    body: gatewayVipRequestSchema,
    target: { kind: 'gateway' },
    async handler({ params, body, actor }) {
      const g = await gateway(params.gateway);
      await vips.set(g, body, actor.name);
      await applyNow(g, actor.name, `set virtual IP of ${g.name} to ${body.address}`);
      d.nodes.notify(g.id);
      return vips.get(g);
    },
  });

  registry.add({
    id: 'gateways.vip.delete',
    method: 'DELETE',
    url: `${base}/:gateway/vip`,
    summary: "Remove a gateway's virtual IP; the agents install a keepalived.conf without it",
    tags: ['gateways'],
    access: platform,
    params: gatewayParams,
    query: deleteQuery,
    target: { kind: 'gateway' },
    async handler({ params, query, actor }) {
      const g = await gateway(params.gateway);
      await vips.remove(g, query.version);
      await applyNow(g, actor.name, `remove virtual IP of ${g.name}`);
      d.nodes.notify(g.id);
      return { status: 204 };
    },
  });

  registry.add({
    id: 'gatewayAgent.vrrp',
    method: 'POST',
    url: '/api/v1/gateway-agent/vrrp',
    summary: "An agent reports its node's VRRP state (as keepalived's notify script wrote it)",
    tags: ['gateway-agent'],
    // The node token is checked by the handler: agents have no user and no permissions.
    access: 'public',
    body: gatewayAgentVrrpRequestSchema,
    target: { kind: 'gateway-node', name: () => 'agent' },
    async handler({ body, req }) {
      return vips.report(req.headers.authorization, body);
    },
  });

  return vips;
}
