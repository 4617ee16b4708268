import type { Db } from '../../db/database';
import type { GatewayVipsTable, GatewayVrrpStatesTable } from '../../db/schema';

/** Store access for a gateway's virtual IP and its nodes' reported VRRP states (migration 0020). */
export class GatewayVipRepository {
  constructor(private readonly db: Db) {}

  find(gatewayId: string): Promise<GatewayVipsTable | undefined> {
    return this.db
      .selectFrom('gateway_vips')
      .selectAll()
      .where('gateway_id', '=', gatewayId)
      .executeTakeFirst();
  }

  /** Inserts (expected 0) or updates the row at version `expected`; false when it moved meanwhile. */
  async save(row: GatewayVipsTable, expected: number): Promise<boolean> {
    if (expected === 0) {
      const r = await this.db
        .insertInto('gateway_vips')
        .values(row)
        .onConflict((oc) => oc.column('gateway_id').doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
    }
    const { gateway_id: id, ...set } = row;
    const r = await this.db
      .updateTable('gateway_vips')
      .set(set)
      .where('gateway_id', '=', id)
      .where('version', '=', expected)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async remove(gatewayId: string, expected: number | undefined): Promise<boolean> {
    let q = this.db.deleteFrom('gateway_vips').where('gateway_id', '=', gatewayId);
    if (expected !== undefined) q = q.where('version', '=', expected);
    const r = await q.executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  /** Records the settings a configuration version was applied with (null: no VIP; migration 0027). */
  async saveSnapshot(gatewayId: string, number: number, settings: string | null): Promise<void> {
    await this.db
      .insertInto('gateway_vip_snapshots')
      .values({ gateway_id: gatewayId, number, settings })
      .onConflict((oc) => oc.columns(['gateway_id', 'number']).doUpdateSet({ settings }))
      .execute();
  }

  /** The settings of a version; undefined when it recorded none (older than snapshots). */
  async snapshot(gatewayId: string, number: number): Promise<{ settings: string | null } | undefined> {
    return this.db
      .selectFrom('gateway_vip_snapshots')
      .select('settings')
      .where('gateway_id', '=', gatewayId)
      .where('number', '=', number)
      .executeTakeFirst();
  }

  states(gatewayId: string): Promise<GatewayVrrpStatesTable[]> {
    return this.db
      .selectFrom('gateway_vrrp_states')
      .selectAll()
      .where('gateway_id', '=', gatewayId)
      .execute();
  }

  async report(row: GatewayVrrpStatesTable): Promise<void> {
    const { node_id: _id, ...set } = row;
    await this.db
      .insertInto('gateway_vrrp_states')
      .values(row)
      .onConflict((oc) => oc.column('node_id').doUpdateSet(set))
      .execute();
  }
}
