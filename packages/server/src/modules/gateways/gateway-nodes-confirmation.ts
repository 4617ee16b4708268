import type { GatewayConfirmation, GatewayView } from '../services/controller/rollout-drain';
import type { GatewaysRepository } from './gateways.repository';
import type { GatewayNodesRepository } from './gateway-nodes.repository';
import { readCurrentSet, type GatewayApplier } from './gateway-applier';
import { addressesOf, unionOf } from './endpoint-addresses';

/**
 * What the drain confirmation needs from the gateways: per gateway of an env, the version of its
 * current endpoint set and the endpoints it lists (weight 0 is drained, not listed), and what each
 * node runs — the local Nginx (the set it last acknowledged) and every agent node (the revision it
 * last reported as applied; offline once its lease ran out).
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
      // the set in memory when this process published it (no 300 KiB file read per check)
      const set = this.applier.currentSet(gw.id) ?? (await readCurrentSet(this.gatewayDir, gw.name));
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
        installedRevision: set?.version ?? null,
        // the set's own index (derived from the previous set's by the applier): a view of this
        // version even after a newer one is published
        installedAddresses: unionOf(set ? addressesOf(set) : new Set(), this.applier.streamAddresses(gw.id)),
        nodes,
      });
    }
    return out;
  }
}
