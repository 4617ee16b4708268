import type { Db } from '../../db/database';
import type { AllowedNetworksTable, DomainZonesTable } from '../../db/schema';

export type ZoneRow = DomainZonesTable;
export type NetworkRow = AllowedNetworksTable;

/** An owner filter: the teams and projects whose rows a caller may see; null: all. */
export interface OwnerFilter {
  teams: string[];
  projects: string[];
}

/** Store access of domain zones and allowed networks. */
export class TenancyRepository {
  constructor(private readonly db: Db) {}

  async listZones(filter: OwnerFilter | null): Promise<ZoneRow[]> {
    const rows = await this.db.selectFrom('domain_zones').selectAll().orderBy('zone').execute();
    return filter ? rows.filter((r) => owns(filter, r)) : rows;
  }

  async findZone(zone: string): Promise<ZoneRow | null> {
    return (
      (await this.db.selectFrom('domain_zones').selectAll().where('zone', '=', zone).executeTakeFirst()) ??
      null
    );
  }

  async insertZone(row: ZoneRow): Promise<void> {
    await this.db.insertInto('domain_zones').values(row).execute();
  }

  async deleteZone(zone: string): Promise<boolean> {
    const r = await this.db.deleteFrom('domain_zones').where('zone', '=', zone).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async listNetworks(filter: OwnerFilter | null): Promise<NetworkRow[]> {
    const rows = await this.db
      .selectFrom('allowed_networks')
      .selectAll()
      .orderBy('cidr')
      .orderBy('owner_kind')
      .orderBy('owner_name')
      .execute();
    return filter ? rows.filter((r) => owns(filter, r)) : rows;
  }

  async findNetworks(cidr: string): Promise<NetworkRow[]> {
    return this.db.selectFrom('allowed_networks').selectAll().where('cidr', '=', cidr).execute();
  }

  async insertNetwork(row: NetworkRow): Promise<void> {
    await this.db.insertInto('allowed_networks').values(row).execute();
  }

  async deleteNetwork(id: string): Promise<void> {
    await this.db.deleteFrom('allowed_networks').where('id', '=', id).execute();
  }

  async teamOf(project: string): Promise<string | null> {
    const row = await this.db
      .selectFrom('projects')
      .select('team')
      .where('name', '=', project)
      .executeTakeFirst();
    return row?.team ?? null;
  }

  async exists(kind: 'team' | 'project', name: string): Promise<boolean> {
    const row =
      kind === 'team'
        ? await this.db.selectFrom('teams').select('name').where('name', '=', name).executeTakeFirst()
        : await this.db.selectFrom('projects').select('name').where('name', '=', name).executeTakeFirst();
    return row !== undefined;
  }

  /** Project → team of every project (violations of many routes at once). */
  async projectTeams(): Promise<Map<string, string>> {
    const rows = await this.db.selectFrom('projects').select(['name', 'team']).execute();
    return new Map(rows.map((r) => [r.name, r.team]));
  }

  async gateways(): Promise<
    Array<{ name: string; env: string; listen: string; tls_listen: string | null; domain_suffix: string }>
  > {
    return this.db
      .selectFrom('gateways')
      .select(['name', 'env', 'listen', 'tls_listen', 'domain_suffix'])
      .execute();
  }

  async environments(): Promise<string[]> {
    return (await this.db.selectFrom('environments').select('name').execute()).map((r) => r.name);
  }
}

function owns(f: OwnerFilter, r: { owner_kind: string; owner_name: string }): boolean {
  return r.owner_kind === 'team' ? f.teams.includes(r.owner_name) : f.projects.includes(r.owner_name);
}
