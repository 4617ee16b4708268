import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { upstreamsFileName } from '@berth/gateway-nginx';
import {
  stampedRevision,
  upstreamAddresses,
  type GatewayConfirmation,
  type GatewayView,
} from '../services/controller/rollout-drain';
import type { GatewaysRepository } from './gateways.repository';
import type { GatewayNodesRepository } from './gateway-nodes.repository';
import type { GatewayApplier } from './gateway-applier';

/**
 * What the drain confirmation needs from the gateways: per gateway of an env, the revision of
 * the installed endpoints file (its stamp) and the servers it lists, and what each node runs —
 * the local Nginx (the revision the applier last signalled it with) and every agent node (the
 * revision it last reported as applied; offline once its lease ran out).
 */
export class GatewayNodesConfirmation implements GatewayConfirmation {
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly repo: GatewaysRepository,
    private readonly store: GatewayNodesRepository,
    private readonly applier: GatewayApplier,
    private readonly gatewayDir: string,
    /** The gateway whose local Nginx Berth runs, or null. */
    private readonly localGateway: string | null,
  ) {}

  changed(): void {
    for (const fn of this.listeners) fn();
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async views(env: string): Promise<GatewayView[]> {
    const out: GatewayView[] = [];
    const now = Date.now();
    for (const gw of await this.repo.listGateways()) {
      if (gw.env !== env) continue;
      const file = path.join(this.gatewayDir, gw.name, 'conf', upstreamsFileName);
      const text = await readFile(file, 'utf8').catch(() => null);
      const nodes: GatewayView['nodes'] = [];
      if (this.localGateway === gw.name)
        nodes.push({ name: 'local', appliedRevision: this.applier.localRevision(gw.id), online: true });
      for (const n of await this.store.nodes(gw.id))
        nodes.push({
          name: n.name,
          appliedRevision: n.applied_revision,
          online: n.lease_until !== null && Date.parse(n.lease_until) >= now,
        });
      out.push({
        id: gw.id,
        name: gw.name,
        installedRevision: stampedRevision(text),
        installedAddresses: upstreamAddresses(text ?? ''),
        nodes,
      });
    }
    return out;
  }
}
