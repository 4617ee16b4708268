/**
 * Project quotas: limits on what a project's services may ask for (CPU, memory, replicas,
 * volumes), per-container defaults for specs that set no limit, usage, and admission.
 *
 * Usage is the desired state, not what happens to run right now: Σ over the project's services
 * (every env; not deleting, not stopped) of replicas × per-container CPU/memory, plus the
 * replicas of their canaries; a `duplicated` placement runs its replicas on every cluster it names
 * (or every cluster of its environment, for "all"), so it counts that many times. A container's CPU/memory is its spec's limit, else the project's
 * default, else the platform's (config `containers.quotaCpu` / `quotaMemoryMiB`).
 */
import {
  BerthError,
  NotFoundError,
  type FieldError,
  type ProjectQuota,
  type QuotaRequest,
  type ReleaseSpec,
} from '@berth/shared';
import type { AppContext } from '../../http/context';
import type { Db } from '../../db/database';
import type { ProjectQuotasTable } from '../../db/schema';
import { nowIso, parseJson } from '../../util';
import { envClusters } from '../clusters/clusters.repository';

/** What one service (or one canary) asks for. */
export interface Demand {
  replicas: number;
  cpuEach: number;
  memoryMiBEach: number;
}

export interface Usage {
  cpu: number;
  memoryMiB: number;
  replicas: number;
}

const none: Usage = { cpu: 0, memoryMiB: 0, replicas: 0 };

/** Where a refusal points: the request fields of replicas, CPU and memory. */
export interface QuotaFields {
  replicas: string;
  cpu: string;
  memoryMiB: string;
}

export const serviceFields: QuotaFields = {
  replicas: 'spec.replicas',
  cpu: 'spec.resources.cpu',
  memoryMiB: 'spec.resources.memoryMiB',
};

/** A canary's replicas are `canary.to.replicas`; its CPU and memory are its release's. */
export const canaryFields: QuotaFields = {
  replicas: 'canary.to.replicas',
  cpu: 'canary.to.replicas',
  memoryMiB: 'canary.to.replicas',
};

const chains = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` alone among the admissions of `project` in this process, so two concurrent scale-ups
 * cannot both be checked against the same usage. (One Berth API process serves a store.)
 */
export function withProjectLock<T>(project: string, fn: () => Promise<T>): Promise<T> {
  const previous = chains.get(project) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const tail = run.catch(() => undefined);
  chains.set(project, tail);
  void tail.then(() => {
    if (chains.get(project) === tail) chains.delete(project);
  });
  return run;
}

const millis = (cores: number | null | undefined): number | null =>
  cores === null || cores === undefined ? null : Math.round(cores * 1000);
const cores = (m: number | null): number | null => (m === null ? null : m / 1000);

/** 1.5, 2, 0.25: at most two decimals, no trailing zeros. */
export function num(n: number): string {
  return String(Math.round(n * 100) / 100);
}

const plural = (n: number, one: string, many: string) => `${num(n)} ${n === 1 ? one : many}`;

function quotaRow(db: Db, project: string): Promise<ProjectQuotasTable | undefined> {
  return db.selectFrom('project_quotas').selectAll().where('project', '=', project).executeTakeFirst();
}

/**
 * The project's per-container defaults (null = none): what ContainerRunner applies and the
 * placement preview assumes for a spec without limits.
 */
export async function quotaDefaults(
  db: Db,
  project: string,
): Promise<{ cpu: number | null; memoryMiB: number | null }> {
  const r = await quotaRow(db, project);
  return { cpu: cores(r?.default_cpu_millis ?? null), memoryMiB: r?.default_memory_mib ?? null };
}

/**
 * The project's limits and per-container defaults (null = unlimited / none): what a Kubernetes
 * namespace's ResourceQuota and LimitRange are made from (docs/kubernetes.md).
 */
export async function quotaLimits(
  db: Db,
  project: string,
): Promise<{
  limits: {
    cpu: number | null;
    memoryMiB: number | null;
    replicas: number | null;
    volumesGiB: number | null;
  };
  defaults: { cpu: number | null; memoryMiB: number | null };
}> {
  const r = await quotaRow(db, project);
  return {
    limits: {
      cpu: cores(r?.cpu_millis ?? null),
      memoryMiB: r?.memory_mib ?? null,
      replicas: r?.replicas ?? null,
      volumesGiB: r?.volumes_gib ?? null,
    },
    defaults: { cpu: cores(r?.default_cpu_millis ?? null), memoryMiB: r?.default_memory_mib ?? null },
  };
}

/**
 * The release canaries the routes ask for, `project/env/service` → release → containers: a port
 * of the gateways module (their routes hold the canaries), bound by the composition root.
 */
export type CanaryDemand = () => Promise<Map<string, Map<number, number>>>;

export class Quotas {
  constructor(
    private readonly ctx: AppContext,
    private readonly canaries: CanaryDemand,
  ) {}

  private row(project: string): Promise<ProjectQuotasTable | undefined> {
    return quotaRow(this.ctx.db, project);
  }

  /** The project's per-container defaults (null = none). */
  defaults(project: string): Promise<{ cpu: number | null; memoryMiB: number | null }> {
    return quotaDefaults(this.ctx.db, project);
  }

  /** Per-container amounts usage counts for a spec: its limit, the project's default, the platform's. */
  demandOf(
    spec: Pick<ReleaseSpec, 'resources'>,
    replicas: number,
    defaults: { cpu: number | null; memoryMiB: number | null },
  ): Demand {
    const platform = this.ctx.config.containers;
    return {
      replicas,
      cpuEach: spec.resources?.cpu ?? defaults.cpu ?? platform.quotaCpu,
      memoryMiBEach: spec.resources?.memoryMiB ?? defaults.memoryMiB ?? platform.quotaMemoryMiB,
    };
  }

  /** How many times a spec's replicas run: the clusters of a duplicated placement, else once. */
  async copies(spec: Pick<ReleaseSpec, 'placement'>, env: string | undefined): Promise<number> {
    const p = spec.placement;
    if (!p || p.division !== 'duplicated') return 1;
    if (p.clusters !== 'all') return Math.max(1, p.clusters.length);
    if (env === undefined) return 1;
    const row = await this.ctx.db
      .selectFrom('environments')
      .select('clusters')
      .where('name', '=', env)
      .executeTakeFirst();
    return row ? Math.max(1, envClusters(row).length) : 1;
  }

  /**
   * Usage of the project; the main replicas of `exceptService` are left out (its canaries stay),
   * so admission can add what the service will ask for instead.
   */
  async usage(
    project: string,
    defaults: { cpu: number | null; memoryMiB: number | null },
    exceptService: string | null = null,
  ): Promise<{ total: Usage; excepted: Usage }> {
    const services = await this.ctx.db
      .selectFrom('services')
      .innerJoin('releases', (j) =>
        j.onRef('releases.service_id', '=', 'services.id').onRef('releases.number', '=', 'services.release'),
      )
      .select(['services.id', 'services.env', 'services.name', 'services.replicas', 'releases.spec'])
      .where('services.project', '=', project)
      .where('services.deleting', '=', 0)
      .where('services.stopped', '=', 0)
      .execute();
    const total = { ...none };
    const excepted = { ...none };
    const add = (u: Usage, d: Demand) => {
      u.replicas += d.replicas;
      u.cpu += d.replicas * d.cpuEach;
      u.memoryMiB += d.replicas * d.memoryMiBEach;
    };
    const canaries = await this.canaries();
    for (const s of services) {
      const spec = parseJson<ReleaseSpec>(s.spec, {} as ReleaseSpec);
      const main = this.demandOf(spec, s.replicas * (await this.copies(spec, s.env)), defaults);
      if (s.id === exceptService) add(excepted, main);
      else add(total, main);
      const wanted = canaries.get(`${project}/${s.env}/${s.name}`);
      if (!wanted) continue;
      for (const [release, replicas] of wanted) {
        const r = await this.ctx.db
          .selectFrom('releases')
          .select('spec')
          .where('service_id', '=', s.id)
          .where('number', '=', release)
          .executeTakeFirst();
        if (r)
          add(total, this.demandOf(parseJson<ReleaseSpec>(r.spec, {} as ReleaseSpec), replicas, defaults));
      }
    }
    return { total, excepted };
  }

  async get(project: string): Promise<ProjectQuota> {
    const proj = await this.ctx.db
      .selectFrom('projects')
      .select('name')
      .where('name', '=', project)
      .executeTakeFirst();
    if (!proj) throw new NotFoundError('PROJECT_NOT_FOUND', `Project '${project}' does not exist.`);
    const r = await this.row(project);
    const defaults = { cpu: cores(r?.default_cpu_millis ?? null), memoryMiB: r?.default_memory_mib ?? null };
    const { total } = await this.usage(project, defaults);
    const limits = {
      cpu: cores(r?.cpu_millis ?? null),
      memoryMiB: r?.memory_mib ?? null,
      replicas: r?.replicas ?? null,
      volumesGiB: r?.volumes_gib ?? null,
    };
    // volumes: the sizes they were created with (docs/volumes.md), in GiB
    const volumes = await this.ctx.db
      .selectFrom('volumes')
      .select((eb) => eb.fn.sum<number>('size_mib').as('mib'))
      .where('project', '=', project)
      .executeTakeFirst();
    const usage = {
      cpu: Math.round(total.cpu * 1000) / 1000,
      memoryMiB: total.memoryMiB,
      replicas: total.replicas,
      volumesGiB: Math.round((Number(volumes?.mib ?? 0) / 1024) * 1000) / 1000,
    };
    const left = (limit: number | null, used: number) =>
      limit === null ? null : Math.max(0, Math.round((limit - used) * 1000) / 1000);
    return {
      project,
      limits,
      defaults,
      platformDefaults: {
        cpu: this.ctx.config.containers.quotaCpu,
        memoryMiB: this.ctx.config.containers.quotaMemoryMiB,
      },
      usage,
      remaining: {
        cpu: left(limits.cpu, usage.cpu),
        memoryMiB: left(limits.memoryMiB, usage.memoryMiB),
        replicas: left(limits.replicas, usage.replicas),
        volumesGiB: left(limits.volumesGiB, usage.volumesGiB),
      },
      updatedAt: r?.updated_at ?? null,
      updatedBy: r?.updated_by ?? null,
    };
  }

  /** Replaces the quota (absent = unlimited). Lowering below usage is allowed: nothing is stopped. */
  async set(project: string, req: QuotaRequest, actor: string): Promise<ProjectQuota> {
    await this.get(project);
    const values = {
      cpu_millis: millis(req.cpu),
      memory_mib: req.memoryMiB ?? null,
      replicas: req.replicas ?? null,
      volumes_gib: req.volumesGiB ?? null,
      default_cpu_millis: millis(req.defaults?.cpu),
      default_memory_mib: req.defaults?.memoryMiB ?? null,
      updated_at: nowIso(),
      updated_by: actor,
    };
    const fields: FieldError[] = [];
    if (
      values.cpu_millis !== null &&
      values.default_cpu_millis !== null &&
      values.default_cpu_millis > values.cpu_millis
    )
      fields.push({ path: 'defaults.cpu', message: 'must not be more than the CPU limit' });
    if (
      values.memory_mib !== null &&
      values.default_memory_mib !== null &&
      values.default_memory_mib > values.memory_mib
    )
      fields.push({ path: 'defaults.memoryMiB', message: 'must not be more than the memory limit' });
    if (fields.length)
      throw new BerthError('INVALID_REQUEST', 'A per-container default is larger than the project limit.', {
        fields,
      });
    await withProjectLock(project, async () => {
      const updated = await this.ctx.db
        .updateTable('project_quotas')
        .set((eb) => ({ ...values, version: eb('version', '+', 1) }))
        .where('project', '=', project)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0)
        await this.ctx.db
          .insertInto('project_quotas')
          .values({ project, ...values, version: 1 })
          .execute();
    });
    return this.get(project);
  }

  /**
   * Refuses (422 QUOTA_EXCEEDED) a change that makes one service (or canary) ask for `demand`
   * when that would push the project over a limit. `serviceId` names the service whose current
   * replicas the demand replaces (null: a new service or an extra canary). A change that asks
   * for no more than before passes even when the project is over a (lowered) limit.
   * Call it inside withProjectLock, together with the write.
   */
  async admit(
    project: string,
    serviceId: string | null,
    spec: Pick<ReleaseSpec, 'resources' | 'placement'>,
    replicas: number,
    fields: QuotaFields = serviceFields,
    env?: string,
  ): Promise<void> {
    const r = await this.row(project);
    if (!r || (r.cpu_millis === null && r.memory_mib === null && r.replicas === null)) return;
    const defaults = { cpu: cores(r.default_cpu_millis), memoryMiB: r.default_memory_mib };
    const demand = this.demandOf(spec, replicas * (await this.copies(spec, env)), defaults);
    const { total: others, excepted: before } = await this.usage(project, defaults, serviceId);
    this.check(project, r, demand, others, before, fields);
  }

  /**
   * Refuses a canary of `release` of a service that would push the project over a limit; a
   * canary of that release already wanted counts as what it asks for now (only growth is checked).
   */
  async admitCanary(
    project: string,
    svc: { id: string; env: string; name: string },
    release: number,
    replicas: number,
  ): Promise<void> {
    const r = await this.row(project);
    if (!r || (r.cpu_millis === null && r.memory_mib === null && r.replicas === null)) return;
    const row = await this.ctx.db
      .selectFrom('releases')
      .select('spec')
      .where('service_id', '=', svc.id)
      .where('number', '=', release)
      .executeTakeFirst();
    if (!row) return;
    const defaults = { cpu: cores(r.default_cpu_millis), memoryMiB: r.default_memory_mib };
    const spec = parseJson<ReleaseSpec>(row.spec, {} as ReleaseSpec);
    const current = (await this.canaries()).get(`${project}/${svc.env}/${svc.name}`)?.get(release) ?? 0;
    const was = this.demandOf(spec, current, defaults);
    const before = { replicas: current, cpu: current * was.cpuEach, memoryMiB: current * was.memoryMiBEach };
    const { total } = await this.usage(project, defaults);
    const others = {
      replicas: total.replicas - before.replicas,
      cpu: total.cpu - before.cpu,
      memoryMiB: total.memoryMiB - before.memoryMiB,
    };
    this.check(project, r, this.demandOf(spec, replicas, defaults), others, before, canaryFields);
  }

  private check(
    project: string,
    r: ProjectQuotasTable,
    demand: Demand,
    others: Usage,
    before: Usage,
    fields: QuotaFields,
  ): void {
    const need = {
      replicas: demand.replicas,
      cpu: demand.replicas * demand.cpuEach,
      memoryMiB: demand.replicas * demand.memoryMiBEach,
    };
    const messages: string[] = [];
    const fieldErrors: FieldError[] = [];
    const refuse = (message: string, paths: string[]) => {
      messages.push(message);
      for (const path of paths) fieldErrors.push({ path, message });
    };
    const quota: Record<string, { limit: number; left: number; needed: number }> = {};
    const over = (limit: number | null, used: number, needed: number, previously: number) =>
      limit !== null && used + needed > limit + 1e-9 && needed > previously + 1e-9;
    const cpuLimit = cores(r.cpu_millis);
    const times = `${plural(demand.replicas, 'replica', 'replicas')} ×`;
    if (over(r.replicas, others.replicas, need.replicas, before.replicas)) {
      const left = Math.max(0, r.replicas! - others.replicas);
      quota.replicas = { limit: r.replicas!, left, needed: need.replicas };
      refuse(
        `Project '${project}' has ${num(left)} of ${num(r.replicas!)} replicas left; this change needs ${num(need.replicas)}. Lower the replicas, or ask a platform admin to raise the quota.`,
        [fields.replicas],
      );
    }
    if (over(cpuLimit, others.cpu, need.cpu, before.cpu)) {
      const left = Math.max(0, cpuLimit! - others.cpu);
      quota.cpu = { limit: cpuLimit!, left, needed: need.cpu };
      refuse(
        `Project '${project}' has ${num(left)} of ${num(cpuLimit!)} CPU cores left; this change needs ${num(need.cpu)} (${times} ${plural(demand.cpuEach, 'core', 'cores')}). Lower the replicas or CPU, or ask a platform admin to raise the quota.`,
        [fields.replicas, fields.cpu],
      );
    }
    if (over(r.memory_mib, others.memoryMiB, need.memoryMiB, before.memoryMiB)) {
      const left = Math.max(0, r.memory_mib! - others.memoryMiB);
      quota.memoryMiB = { limit: r.memory_mib!, left, needed: need.memoryMiB };
      refuse(
        `Project '${project}' has ${num(left)} of ${num(r.memory_mib!)} MiB of memory left; this change needs ${num(need.memoryMiB)} MiB (${times} ${num(demand.memoryMiBEach)} MiB). Lower the replicas or memory, or ask a platform admin to raise the quota.`,
        [fields.replicas, fields.memoryMiB],
      );
    }
    if (!messages.length) return;
    throw new BerthError('QUOTA_EXCEEDED', messages.join(' '), { fields: fieldErrors, quota });
  }
}
