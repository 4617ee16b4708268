import type { Kysely } from 'kysely';
import type { GatewayRolloutMode, GatewaySnippets } from '@berth/shared';
import type { Db } from '../../db/database';

/** A row of `gateway_settings` (migration 0005): what the admin API adds to a gateway. */
export interface GatewaySettingsRow {
  gateway_id: string;
  description: string;
  /** JSON of GatewaySnippets. */
  snippets: string;
  rollout_mode: string;
  released_version: number | null;
}

/** A row of `gateway_nodes` (migration 0005). */
export interface GatewayNodeRow {
  id: string;
  gateway_id: string;
  name: string;
  /** sha256 (hex) of the node token; the token itself is shown once. */
  token_hash: string;
  /** The version a one-node-first rollout holds this node at, or null. */
  pinned_version: number | null;
  applied_version: number | null;
  applied_revision: number | null;
  /** The version of the agent's last attempt (applied or failed). */
  attempted_version: number | null;
  /** The node counts as offline after this time (each poll extends it). */
  lease_until: string | null;
  /** What the agent last reported: unknown | applied | failed. */
  status: string;
  last_error: string | null;
  last_seen_at: string | null;
  agent_version: string | null;
  address: string | null;
  /** The node's metrics listener as it last reported it (migration 0037), null: none. */
  metrics_address: string | null;
  created_at: string;
  created_by: string;
}

type Tables = {
  gateway_settings: GatewaySettingsRow;
  gateway_nodes: GatewayNodeRow;
};

export interface GatewaySettings {
  description: string;
  snippets: GatewaySnippets;
  rolloutMode: GatewayRolloutMode;
  releasedVersion: number | null;
}

const defaults: GatewaySettings = {
  description: '',
  snippets: { http: [], server: [] },
  rolloutMode: 'auto',
  releasedVersion: null,
};

/** Store access for gateway settings and nodes; the tables are typed here, outside the core schema. */
export class GatewayNodesRepository {
  private readonly db: Kysely<Tables>;
  constructor(db: Db) {
    this.db = db.withTables<Tables>() as unknown as Kysely<Tables>;
  }

  async settings(gatewayId: string): Promise<GatewaySettings> {
    const r = await this.db
      .selectFrom('gateway_settings')
      .selectAll()
      .where('gateway_id', '=', gatewayId)
      .executeTakeFirst();
    if (!r) return { ...defaults, snippets: { http: [], server: [] } };
    return {
      description: r.description,
      snippets: JSON.parse(r.snippets) as GatewaySnippets,
      rolloutMode: r.rollout_mode as GatewayRolloutMode,
      releasedVersion: r.released_version,
    };
  }

  async saveSettings(gatewayId: string, s: GatewaySettings): Promise<void> {
    const row: GatewaySettingsRow = {
      gateway_id: gatewayId,
      description: s.description,
      snippets: JSON.stringify(s.snippets),
      rollout_mode: s.rolloutMode,
      released_version: s.releasedVersion,
    };
    const { gateway_id: _id, ...set } = row;
    await this.db
      .insertInto('gateway_settings')
      .values(row)
      .onConflict((oc) => oc.column('gateway_id').doUpdateSet(set))
      .execute();
  }

  nodes(gatewayId: string): Promise<GatewayNodeRow[]> {
    return this.db
      .selectFrom('gateway_nodes')
      .selectAll()
      .where('gateway_id', '=', gatewayId)
      .orderBy('name')
      .execute();
  }

  node(gatewayId: string, name: string): Promise<GatewayNodeRow | undefined> {
    return this.db
      .selectFrom('gateway_nodes')
      .selectAll()
      .where('gateway_id', '=', gatewayId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  byTokenHash(hash: string): Promise<GatewayNodeRow | undefined> {
    return this.db.selectFrom('gateway_nodes').selectAll().where('token_hash', '=', hash).executeTakeFirst();
  }

  async insertNode(row: GatewayNodeRow): Promise<void> {
    await this.db.insertInto('gateway_nodes').values(row).execute();
  }

  /** Every node's reported metrics listener, of every gateway (the backend fence reads them). */
  metricsListeners(): Promise<Array<{ gateway: string; node: string; address: string }>> {
    return this.db
      .withTables<{ gateways: { id: string; name: string } }>()
      .selectFrom('gateway_nodes')
      .innerJoin('gateways', 'gateways.id', 'gateway_nodes.gateway_id')
      .select([
        'gateways.name as gateway',
        'gateway_nodes.name as node',
        'gateway_nodes.metrics_address as address',
      ])
      .where('gateway_nodes.metrics_address', 'is not', null)
      .orderBy('gateways.name')
      .orderBy('gateway_nodes.name')
      .execute() as Promise<Array<{ gateway: string; node: string; address: string }>>;
  }

  async deleteNode(id: string): Promise<void> {
    await this.db.deleteFrom('gateway_nodes').where('id', '=', id).execute();
  }

  async pin(gatewayId: string, names: string[] | null, version: number | null): Promise<void> {
    let q = this.db
      .updateTable('gateway_nodes')
      .set({ pinned_version: version })
      .where('gateway_id', '=', gatewayId);
    if (names) q = q.where('name', 'in', names);
    await q.execute();
  }

  async report(
    id: string,
    r: Pick<
      GatewayNodeRow,
      | 'applied_version'
      | 'applied_revision'
      | 'attempted_version'
      | 'status'
      | 'last_error'
      | 'last_seen_at'
      | 'lease_until'
      | 'agent_version'
      | 'address'
      | 'metrics_address'
    >,
  ): Promise<void> {
    await this.db.updateTable('gateway_nodes').set(r).where('id', '=', id).execute();
  }

  async seen(id: string, at: string, leaseUntil: string): Promise<void> {
    await this.db
      .updateTable('gateway_nodes')
      .set({ last_seen_at: at, lease_until: leaseUntil })
      .where('id', '=', id)
      .execute();
  }
}
