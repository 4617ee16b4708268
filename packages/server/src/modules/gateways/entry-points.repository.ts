import {
  BerthError,
  type EntryPointProtocol,
  type EntryPointView,
  type PortAssignmentView,
} from '@berth/shared';
import type { Db } from '../../db/database';
import type { EntryPointsTable, EntryPortsTable } from '../../db/schema';
import { nowIso } from '../../util';
import type { EntryPointsPort, PlannedEntryPoint } from './entry-points';

export type EntryPortRow = EntryPortsTable;
export type EntryPointRow = EntryPointsTable;

/** Port assignments and entry points (migration 0019). */
export class EntryPointsRepository {
  constructor(private readonly db: Db) {}

  portsOfEnv(env: string, project?: string): Promise<EntryPortRow[]> {
    let q = this.db.selectFrom('entry_ports').selectAll().where('env', '=', env);
    if (project) q = q.where('project', '=', project);
    return q.orderBy('protocol').orderBy('port').execute();
  }

  async port(env: string, protocol: string, port: number): Promise<EntryPortRow | null> {
    const row = await this.db
      .selectFrom('entry_ports')
      .selectAll()
      .where('env', '=', env)
      .where('protocol', '=', protocol)
      .where('port', '=', port)
      .executeTakeFirst();
    return row ?? null;
  }

  /** Assigns the ports in one transaction; returns the rows already assigned (nothing written then). */
  async assign(rows: EntryPortRow[]): Promise<EntryPortRow[]> {
    return this.db.transaction().execute(async (trx) => {
      const first = rows[0];
      if (!first) return [];
      const taken = await trx
        .selectFrom('entry_ports')
        .selectAll()
        .where('env', '=', first.env)
        .where('protocol', '=', first.protocol)
        .where(
          'port',
          'in',
          rows.map((r) => r.port),
        )
        .orderBy('port')
        .execute();
      if (taken.length > 0) return taken;
      for (let i = 0; i < rows.length; i += 200)
        await trx
          .insertInto('entry_ports')
          .values(rows.slice(i, i + 200))
          .execute();
      return [];
    });
  }

  async release(env: string, protocol: string, port: number): Promise<void> {
    await this.db
      .deleteFrom('entry_ports')
      .where('env', '=', env)
      .where('protocol', '=', protocol)
      .where('port', '=', port)
      .execute();
  }

  entryPointsOfEnv(env: string, project?: string): Promise<EntryPointRow[]> {
    let q = this.db.selectFrom('entry_points').selectAll().where('env', '=', env);
    if (project) q = q.where('project', '=', project);
    return q.orderBy('protocol').orderBy('port').execute();
  }

  async entryPoint(env: string, protocol: string, port: number): Promise<EntryPointRow | null> {
    const row = await this.db
      .selectFrom('entry_points')
      .selectAll()
      .where('env', '=', env)
      .where('protocol', '=', protocol)
      .where('port', '=', port)
      .executeTakeFirst();
    return row ?? null;
  }

  async insert(row: EntryPointRow): Promise<void> {
    await this.db.insertInto('entry_points').values(row).execute();
  }

  /** Writes `row` if the stored version is still `expected`; false when it changed. */
  async update(row: EntryPointRow, expected: number): Promise<boolean> {
    const { env, protocol, port, ...rest } = row;
    const r = await this.db
      .updateTable('entry_points')
      .set(rest)
      .where('env', '=', env)
      .where('protocol', '=', protocol)
      .where('port', '=', port)
      .where('version', '=', expected)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async remove(env: string, protocol: string, port: number, version?: number): Promise<boolean> {
    let q = this.db
      .deleteFrom('entry_points')
      .where('env', '=', env)
      .where('protocol', '=', protocol)
      .where('port', '=', port);
    if (version !== undefined) q = q.where('version', '=', version);
    const r = await q.executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  /** Records the entry points a gateway configuration version was planned with (migration 0021). */
  async saveSnapshot(gatewayId: string, number: number, list: PlannedEntryPoint[]): Promise<void> {
    await this.db
      .insertInto('gateway_entry_point_snapshots')
      .values({ gateway_id: gatewayId, number, entry_points: JSON.stringify(list) })
      .execute();
  }

  async snapshot(gatewayId: string, number: number): Promise<PlannedEntryPoint[] | null> {
    const row = await this.db
      .selectFrom('gateway_entry_point_snapshots')
      .select('entry_points')
      .where('gateway_id', '=', gatewayId)
      .where('number', '=', number)
      .executeTakeFirst();
    return row ? (JSON.parse(row.entry_points) as PlannedEntryPoint[]) : null;
  }

  /** Replaces every entry point of an env in one transaction. */
  async replaceOfEnv(env: string, rows: EntryPointRow[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('entry_points').where('env', '=', env).execute();
      for (let i = 0; i < rows.length; i += 200)
        await trx
          .insertInto('entry_points')
          .values(rows.slice(i, i + 200))
          .execute();
    });
  }
}

/** The gateways service's port onto this repository (gateways.module.ts). */
export function entryPointsPort(repo: EntryPointsRepository): EntryPointsPort {
  return {
    ofEnv: async (env) => (await repo.entryPointsOfEnv(env)).map(toPlanned),
    saveSnapshot: (gatewayId, number, list) => repo.saveSnapshot(gatewayId, number, list),
    snapshot: (gatewayId, number) => repo.snapshot(gatewayId, number),
    async restore(env, list, author, version) {
      const current = await repo.entryPointsOfEnv(env);
      const ports = new Map((await repo.portsOfEnv(env)).map((p) => [`${p.protocol}/${p.port}`, p.project]));
      const refused = list
        .filter((e) => ports.get(`${e.protocol}/${e.port}`) !== e.project)
        .map((e) => `${e.protocol}/${e.port} of project '${e.project}'`);
      if (refused.length > 0)
        throw new BerthError(
          'UNPROCESSABLE',
          `Version ${version} cannot be rolled back to: its entry points ${refused.join(', ')} are on ports no longer assigned to their project. Assign the ports again (berth entry-ports) or roll back to another version.`,
          { refused },
        );
      const now = nowIso();
      const byKey = new Map(current.map((r) => [`${r.protocol}/${r.port}`, r]));
      const rows: EntryPointRow[] = list.map((e) => {
        const cur = byKey.get(`${e.protocol}/${e.port}`);
        return {
          env,
          protocol: e.protocol,
          port: e.port,
          project: e.project,
          service_name: e.serviceName,
          service_port: e.servicePort,
          max_fails: e.maxFails,
          fail_timeout_seconds: e.failTimeoutSeconds,
          connect_timeout_seconds: e.connectTimeoutSeconds,
          timeout_seconds: e.timeoutSeconds,
          udp_responses: e.udpResponses,
          // a client holding the current version sees that it changed
          version: (cur?.version ?? 0) + 1,
          created_by: cur?.created_by ?? author,
          created_at: cur?.created_at ?? now,
          updated_at: now,
        };
      });
      await repo.replaceOfEnv(env, rows);
      return () => repo.replaceOfEnv(env, current);
    },
  };
}

export function toPortView(r: EntryPortRow, inUse: boolean): PortAssignmentView {
  return {
    env: r.env,
    protocol: r.protocol as EntryPointProtocol,
    port: r.port,
    project: r.project,
    createdBy: r.created_by,
    createdAt: r.created_at,
    inUse,
  };
}

export function toEntryPointView(r: EntryPointRow): EntryPointView {
  return {
    env: r.env,
    project: r.project,
    protocol: r.protocol as EntryPointProtocol,
    port: r.port,
    serviceName: r.service_name,
    servicePort: r.service_port,
    maxFails: r.max_fails,
    failTimeoutSeconds: r.fail_timeout_seconds,
    connectTimeoutSeconds: r.connect_timeout_seconds,
    timeoutSeconds: r.timeout_seconds,
    udpResponses: r.udp_responses,
    version: r.version,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** A row as planEntryPoints takes it. */
export function toPlanned(r: EntryPointRow): PlannedEntryPoint {
  return {
    project: r.project,
    protocol: r.protocol as EntryPointProtocol,
    port: r.port,
    serviceName: r.service_name,
    servicePort: r.service_port,
    maxFails: r.max_fails,
    failTimeoutSeconds: r.fail_timeout_seconds,
    connectTimeoutSeconds: r.connect_timeout_seconds,
    timeoutSeconds: r.timeout_seconds,
    udpResponses: r.udp_responses,
  };
}
