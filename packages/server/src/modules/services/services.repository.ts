import type { Selectable, Updateable } from 'kysely';
import type { Db } from '../../db/database';
import type { ContainersTable, EventsTable, ReleasesTable, ServicesTable } from '../../db/schema';
import { newId, nowIso } from '../../util';

export type ServiceRow = Selectable<ServicesTable>;
export type ReleaseRow = Selectable<ReleasesTable>;
export type ContainerRow = Selectable<ContainersTable>;
/** A service row of the list, with its current release's spec (null if the release is missing). */
export type ServiceListRow = ServiceRow & { release_spec: string | null };

/**
 * Marks canary containers in the ledger (their `restart_nonce`): their restart generation is never
 * a service's own. The gateways' routes say which release canaries to run (canary-releases.ts).
 */
export const canaryNonce = -1;

/** Ledger states of containers that still exist (or may exist) in the engine. */
export const activeStates = [
  'creating',
  'starting',
  'running',
  'ready',
  'unhealthy',
  'draining',
  'stopping',
] as const;

/** Store access for services, releases, the container ledger and events. */
export class ServicesRepository {
  constructor(private readonly db: Db) {}

  findByPath(project: string, env: string, name: string): Promise<ServiceRow | undefined> {
    return this.db
      .selectFrom('services')
      .selectAll()
      .where('project', '=', project)
      .where('env', '=', env)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  findById(id: string): Promise<ServiceRow | undefined> {
    return this.db.selectFrom('services').selectAll().where('id', '=', id).executeTakeFirst();
  }

  allIds(): Promise<string[]> {
    return this.db
      .selectFrom('services')
      .select('id')
      .execute()
      .then((rows) => rows.map((r) => r.id));
  }

  /**
   * One page of an environment's services in name order, each with the spec of its current
   * release, in one query: the (project, env, name) key orders and bounds the scan, and each
   * row joins its one release by primary key. Services being deleted are left out here, so a
   * page is full when more exist. `q` matches anywhere in the name (LIKE, wildcards dropped).
   */
  async list(
    project: string,
    env: string,
    opts: { q?: string; status?: string; after?: string; limit: number },
  ): Promise<ServiceListRow[]> {
    let query = this.db
      .selectFrom('services as s')
      .leftJoin('releases as r', (join) =>
        join.onRef('r.service_id', '=', 's.id').onRef('r.number', '=', 's.release'),
      )
      .selectAll('s')
      .select('r.spec as release_spec')
      .where('s.project', '=', project)
      .where('s.env', '=', env)
      .where('s.deleting', '=', 0)
      .orderBy('s.name')
      .limit(opts.limit + 1);
    const q = opts.q?.replace(/[%_\\]/g, '');
    if (q) query = query.where('s.name', 'like', `%${q}%`);
    if (opts.status) query = query.where('s.status', '=', opts.status);
    if (opts.after) query = query.where('s.name', '>', opts.after);
    return query.execute();
  }

  async insertService(row: ServiceRow, release: ReleaseRow): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('services').values(row).execute();
      await trx.insertInto('releases').values(release).execute();
    });
  }

  /**
   * Applies a change to a service, bumping version and generation. With expectedVersion the
   * update happens only if nobody changed the service since; returns false otherwise.
   */
  async updateService(
    id: string,
    patch: Updateable<ServicesTable>,
    opts: { expectedVersion?: number; bumpGeneration?: boolean; release?: ReleaseRow } = {},
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const current = await trx
        .selectFrom('services')
        .select(['version', 'generation'])
        .where('id', '=', id)
        .executeTakeFirst();
      if (!current) return false;
      if (opts.expectedVersion !== undefined && current.version !== opts.expectedVersion) return false;
      if (opts.release) await trx.insertInto('releases').values(opts.release).execute();
      const res = await trx
        .updateTable('services')
        .set({
          ...patch,
          version: current.version + 1,
          generation: opts.bumpGeneration === false ? current.generation : current.generation + 1,
          updated_at: nowIso(),
        })
        .where('id', '=', id)
        .where('version', '=', current.version)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) === 1;
    });
  }

  /** Status fields written by the controller; they do not bump the user-visible version. */
  async setStatus(
    id: string,
    patch: Pick<
      Updateable<ServicesTable>,
      | 'status'
      | 'ready_replicas'
      | 'message'
      | 'stable_release'
      | 'rollout_task'
      | 'rollout_started_at'
      | 'release'
    >,
  ): Promise<void> {
    await this.db.updateTable('services').set(patch).where('id', '=', id).execute();
  }

  async deleteService(id: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('releases').where('service_id', '=', id).execute();
      await trx.deleteFrom('stats_samples').where('service_id', '=', id).execute();
      await trx.deleteFrom('services').where('id', '=', id).execute();
    });
  }

  getRelease(serviceId: string, number: number): Promise<ReleaseRow | undefined> {
    return this.db
      .selectFrom('releases')
      .selectAll()
      .where('service_id', '=', serviceId)
      .where('number', '=', number)
      .executeTakeFirst();
  }

  listReleases(serviceId: string): Promise<ReleaseRow[]> {
    return this.db
      .selectFrom('releases')
      .selectAll()
      .where('service_id', '=', serviceId)
      .orderBy('number', 'desc')
      .execute();
  }

  async maxRelease(serviceId: string): Promise<number> {
    const row = await this.db
      .selectFrom('releases')
      .select((eb) => eb.fn.max('number').as('n'))
      .where('service_id', '=', serviceId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async setReleaseState(serviceId: string, number: number, state: string): Promise<void> {
    await this.db
      .updateTable('releases')
      .set({ state })
      .where('service_id', '=', serviceId)
      .where('number', '=', number)
      .execute();
  }

  /**
   * The spec of the current and the stable release of every live service, with its env: what
   * each service may run next (a rollback or a scale-up), for the image clean-up.
   */
  releaseSpecsInUse(): Promise<{ env: string; spec: string }[]> {
    return this.db
      .selectFrom('services as s')
      .innerJoin('releases as r', 'r.service_id', 's.id')
      .select(['s.env', 'r.spec'])
      .where('s.deleting', '=', 0)
      .where((eb) =>
        eb.or([eb('r.number', '=', eb.ref('s.release')), eb('r.number', '=', eb.ref('s.stable_release'))]),
      )
      .execute();
  }

  // ---- container ledger ----------------------------------------------------------------------

  /**
   * The images of ledger containers that may still exist on their cluster (the active states; an
   * `exited` row is history: the runner removed the container before it wrote that state).
   */
  imagesOfActiveContainers(): Promise<{ cluster: string; image: string; image_digest: string | null }[]> {
    return this.db
      .selectFrom('containers')
      .select(['cluster', 'image', 'image_digest'])
      .where('state', 'in', [...activeStates])
      .groupBy(['cluster', 'image', 'image_digest'])
      .execute();
  }

  /**
   * The live services of an env and the endpoints of their serving containers (ready, in
   * rotation, not draining; the rule of `isServing`), in two queries: what the gateways route to.
   * Endpoints are per service id (container port → published address); canary containers'
   * separately per `<service id>:<release>`. Every cluster's containers are listed, so a
   * cluster's share of the traffic is its share of the serving replicas.
   */
  async servingEndpoints(env: string): Promise<{
    services: { id: string; project: string; name: string }[];
    endpoints: Map<string, Record<string, string>[]>;
    canaryEndpoints: Map<string, Record<string, string>[]>;
  }> {
    const services = await this.db
      .selectFrom('services')
      .select(['id', 'project', 'name'])
      .where('env', '=', env)
      .where('deleting', '=', 0)
      .orderBy('id')
      .execute();
    const rows = await this.db
      .selectFrom('containers')
      .innerJoin('services', 'services.id', 'containers.service_id')
      .select([
        'containers.service_id',
        'containers.endpoints',
        'containers.release',
        'containers.restart_nonce',
      ])
      .where('services.env', '=', env)
      .where('containers.state', '=', 'ready')
      .where('containers.ready', '=', 1)
      .where('containers.in_rotation', '=', 1)
      .orderBy('containers.name')
      .execute();
    const endpoints = new Map<string, Record<string, string>[]>();
    const canaryEndpoints = new Map<string, Record<string, string>[]>();
    for (const r of rows) {
      const canary = r.restart_nonce === canaryNonce;
      const [map, key] = canary
        ? [canaryEndpoints, `${r.service_id}:${r.release}`]
        : [endpoints, r.service_id];
      const list = map.get(key) ?? [];
      list.push(JSON.parse(r.endpoints) as Record<string, string>);
      map.set(key, list);
    }
    return { services, endpoints, canaryEndpoints };
  }

  activeContainers(serviceId?: string): Promise<ContainerRow[]> {
    let q = this.db
      .selectFrom('containers')
      .selectAll()
      .where('state', 'in', [...activeStates]);
    if (serviceId) q = q.where('service_id', '=', serviceId);
    return q.orderBy('created_at').execute();
  }

  findContainer(serviceId: string, name: string): Promise<ContainerRow | undefined> {
    return this.db
      .selectFrom('containers')
      .selectAll()
      .where('service_id', '=', serviceId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  /** The ledger: every container the service ever had, newest first. */
  ledger(
    serviceId: string,
    opts: { ip?: string; since?: string; until?: string; before?: string; limit: number },
  ): Promise<ContainerRow[]> {
    let q = this.db.selectFrom('containers').selectAll().where('service_id', '=', serviceId);
    if (opts.ip) q = q.where('ip', '=', opts.ip);
    if (opts.since)
      q = q.where((eb) => eb.or([eb('stopped_at', 'is', null), eb('stopped_at', '>=', opts.since!)]));
    if (opts.until) q = q.where('created_at', '<=', opts.until);
    if (opts.before) q = q.where('created_at', '<', opts.before);
    return q
      .orderBy('created_at', 'desc')
      .limit(opts.limit + 1)
      .execute();
  }

  async insertContainer(row: ContainerRow): Promise<void> {
    await this.db.insertInto('containers').values(row).execute();
  }

  /**
   * Updates a container only while it is in one of `states`, so a late writer (a probe result, an
   * engine call returning) cannot undo a newer decision such as a destroy. Returns whether it did.
   */
  async updateContainerIf(
    name: string,
    states: string[],
    patch: Updateable<ContainersTable>,
  ): Promise<boolean> {
    const res = await this.db
      .updateTable('containers')
      .set(patch)
      .where('name', '=', name)
      .where('state', 'in', states)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async updateContainer(name: string, patch: Updateable<ContainersTable>): Promise<void> {
    await this.db.updateTable('containers').set(patch).where('name', '=', name).execute();
  }

  // ---- events --------------------------------------------------------------------------------

  async addEvent(
    serviceId: string,
    type: string,
    message: string,
    opts: { container?: string | null; severity?: 'normal' | 'warning' } = {},
  ): Promise<void> {
    const row: EventsTable = {
      id: newId(),
      at: nowIso(),
      service_id: serviceId,
      container: opts.container ?? null,
      type,
      severity: opts.severity ?? 'normal',
      message,
    };
    await this.db.insertInto('events').values(row).execute();
  }

  /**
   * Writes an event of the cluster (a Kubernetes core Event) about the service's objects, once
   * per `key` and count: a key already written with this count or more is skipped; a higher count
   * (the event happened again) replaces the older row. Returns whether a row was written.
   */
  async addClusterEvent(
    serviceId: string,
    e: {
      at: string;
      type: string;
      severity: 'normal' | 'warning';
      message: string;
      container: string | null;
      object: string;
      count: number;
      key: string | null;
    },
  ): Promise<boolean> {
    if (e.key !== null) {
      const seen = await this.db
        .selectFrom('events')
        .select(['id', 'count'])
        .where('service_id', '=', serviceId)
        .where('source_key', '=', e.key)
        .execute();
      if (seen.some((r) => (r.count ?? 1) >= e.count)) return false;
      if (seen.length)
        await this.db
          .deleteFrom('events')
          .where(
            'id',
            'in',
            seen.map((r) => r.id),
          )
          .execute();
    }
    await this.db
      .insertInto('events')
      .values({
        id: newId(),
        at: e.at,
        service_id: serviceId,
        container: e.container,
        type: e.type,
        severity: e.severity,
        message: e.message,
        source: 'kubernetes',
        object: e.object,
        count: e.count,
        source_key: e.key,
      })
      .execute();
    return true;
  }

  events(
    serviceId: string,
    opts: { container?: string; type?: string; before?: string; after?: string; limit: number },
  ): Promise<Selectable<EventsTable>[]> {
    let q = this.db.selectFrom('events').selectAll().where('service_id', '=', serviceId);
    if (opts.container) q = q.where('container', '=', opts.container);
    if (opts.type) q = q.where('type', '=', opts.type);
    if (opts.before) q = q.where('id', '<', opts.before);
    if (opts.after) return q.where('id', '>', opts.after).orderBy('id').limit(opts.limit).execute();
    return q
      .orderBy('id', 'desc')
      .limit(opts.limit + 1)
      .execute();
  }
}
