/**
 * Site monitoring (docs/probes.md): HTTP(S) and TCP probes of what a project owns. Each enabled
 * probe is a blackbox module of its own and a file_sd target of the `berth-probes` job; a change
 * checks the candidate blackbox.yml with the exporter's `--config.check` (a refusal is 422 with
 * its message and changes nothing), stores the probe, writes the files and reloads the blackbox
 * exporter and Prometheus, confirmed. Uptime and latency come from Prometheus.
 */
import { readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  ConflictError,
  InvalidError,
  NotFoundError,
  UnavailableError,
  alertRuleCreateSchema,
  type SiteProbe,
  type SiteProbeStatus,
  type SiteProbeUptime,
  type ProbeUptimeRange,
  type probeCreateSchema,
  type probeUpdateSchema,
} from '@berth/shared';
import type { z } from 'zod';
import type { Db } from '../../db/database';
import type { ProbesTable } from '../../db/schema';
import type { Actor, AppContext } from '../../http/context';
import { newId, nowIso } from '../../util';
import type { AlertRulesService } from '../alert-rules/alert-rules.service';
import { promString } from '../alert-rules/alert-templates';
import type { MonitoringModule } from '../monitoring/monitoring.module';
import { writeFileAtomic } from '../monitoring/stack';
import { requireEnvironment } from '../services/services.service';
import type { Listener } from '../tenancy/fence';
import {
  checkBlackboxConfig,
  probeModuleName,
  probeTargetFile,
  probeTargetFilePattern,
  reloadBlackbox,
  renderBlackboxWithProbes,
  renderProbeTarget,
} from './probe-config';
import { ownershipFacts, ownershipRefusal } from './probe-ownership';

type ProbeCreate = z.output<typeof probeCreateSchema>;
type ProbeFields = z.output<typeof probeUpdateSchema>;

/** How the change reached the blackbox exporter and Prometheus (the probe is stored either way). */
export interface ProbeReload {
  reloaded: boolean;
  error?: string;
}

const monitoringOff =
  'Monitoring is off: Berth has no Prometheus to ask. Turn it on (docs/monitoring.md: the embedded stack, or BERTH_PROMETHEUS_URL for an external one) and try again.';

const rangeSeconds: Record<ProbeUptimeRange, number> = {
  '1h': 3600,
  '6h': 6 * 3600,
  '24h': 24 * 3600,
  '7d': 7 * 24 * 3600,
  '30d': 30 * 24 * 3600,
};

function view(r: ProbesTable): SiteProbe {
  return {
    name: r.name,
    project: r.project,
    env: r.env,
    kind: r.kind as SiteProbe['kind'],
    url: r.kind === 'http' ? r.target : null,
    address: r.kind === 'tcp' ? r.target : null,
    expectStatus: r.kind === 'http' ? (r.expect_status ?? '2xx') : null,
    bodyMustMatch: r.body_must_match,
    bodyMustNotMatch: r.body_must_not_match,
    latencyThresholdMs: r.latency_threshold_ms,
    intervalSeconds: r.interval_seconds,
    enabled: r.enabled === 1,
    alertRule: r.alert_rule,
    createdAt: r.created_at,
    createdBy: r.created_by,
    updatedAt: r.updated_at,
    updatedBy: r.updated_by,
  };
}

function columns(f: ProbeFields) {
  return {
    kind: f.kind,
    target: (f.kind === 'http' ? f.url : f.address) ?? '',
    expect_status: f.kind === 'http' ? (f.expectStatus ?? '2xx') : null,
    body_must_match: f.bodyMustMatch ?? null,
    body_must_not_match: f.bodyMustNotMatch ?? null,
    latency_threshold_ms: f.latencyThresholdMs ?? null,
    interval_seconds: f.intervalSeconds,
    enabled: f.enabled ? 1 : 0,
  };
}

export interface ProbesDeps {
  monitoring: MonitoringModule | null;
  alertRules: AlertRulesService;
  /** Berth's own listeners now (the fence), and whether loopback targets are allowed. */
  listeners(): Promise<Listener[]>;
  allowLoopback: boolean;
}

export class ProbesService {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: AppContext,
    private readonly deps: ProbesDeps,
  ) {}

  private get db(): Db {
    return this.ctx.db;
  }

  /** One change of the stack's files at a time (in this process). */
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private find(db: Db, project: string, env: string, name: string): Promise<ProbesTable | undefined> {
    return db
      .selectFrom('probes')
      .selectAll()
      .where('project', '=', project)
      .where('env', '=', env)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  private async resolve(project: string, env: string, name: string): Promise<ProbesTable> {
    const row = await this.find(this.db, project, env, name);
    if (!row)
      throw new NotFoundError(
        'NOT_FOUND',
        `Probe '${name}' does not exist in ${project}/${env}; list them with GET /api/v1/projects/${project}/envs/${env}/probes.`,
      );
    return row;
  }

  private selector(project: string, env: string, name?: string): string {
    const parts = [`berth_project=${promString(project)}`, `berth_env=${promString(env)}`];
    if (name) parts.push(`berth_probe=${promString(name)}`);
    return `{job="berth-probes",${parts.join(',')}}`;
  }

  async list(project: string, env: string): Promise<SiteProbeStatus[]> {
    await requireEnvironment(this.db, env);
    const rows = await this.db
      .selectFrom('probes')
      .selectAll()
      .where('project', '=', project)
      .where('env', '=', env)
      .orderBy('name')
      .execute();
    const up = new Map<string, number>();
    const uptime = new Map<string, number>();
    const duration = new Map<string, number>();
    const prom = this.deps.monitoring?.prometheus;
    if (prom && rows.length) {
      const sel = this.selector(project, env);
      const [a, b, c] = await Promise.all([
        prom.query(`probe_success${sel}`),
        prom.query(`avg_over_time(probe_success${sel}[24h])`),
        prom.query(`probe_duration_seconds${sel}`),
      ]);
      for (const [res, map] of [
        [a, up],
        [b, uptime],
        [c, duration],
      ] as const)
        if (res.ok)
          for (const s of res.samples) if (s.metric.berth_probe) map.set(s.metric.berth_probe, s.value);
    }
    return rows.map((r) => {
      const live = r.enabled === 1;
      const u = live ? up.get(r.name) : undefined;
      return {
        ...view(r),
        up: u === undefined || Number.isNaN(u) ? null : u >= 1,
        uptime24h: uptime.get(r.name) ?? null,
        lastDurationSeconds: live ? (duration.get(r.name) ?? null) : null,
      };
    });
  }

  async get(project: string, env: string, name: string): Promise<SiteProbe> {
    return view(await this.resolve(project, env, name));
  }

  /** The probe's target must be the project's own (probe-ownership.ts); 422 naming the field. */
  private async checkOwned(project: string, env: string, f: ProbeFields): Promise<void> {
    const target = (f.kind === 'http' ? f.url : f.address) ?? '';
    const facts = await ownershipFacts(this.db, project, env);
    const why = ownershipRefusal(
      f.kind,
      target,
      facts,
      { project, env },
      { allowLoopback: this.deps.allowLoopback, listeners: await this.deps.listeners() },
    );
    if (why)
      throw new InvalidError(
        `The probe's target is not yours to probe: ${why.path} ${why.message}.`,
        [why],
        'UNPROCESSABLE',
      );
  }

  /** The blackbox exporter's own check of the candidate file (a regex Go refuses, …). */
  private async checkCandidate(rows: ProbesTable[], changed: ProbesTable): Promise<void> {
    const text = renderBlackboxWithProbes(rows);
    const res = await checkBlackboxConfig(text);
    if (res && !res.ok) {
      const field =
        changed.body_must_not_match && res.message.includes(changed.body_must_not_match)
          ? 'bodyMustNotMatch'
          : changed.body_must_match && res.message.includes(changed.body_must_match)
            ? 'bodyMustMatch'
            : 'kind';
      throw new InvalidError(
        `The blackbox exporter refuses the probe: ${res.message}. Nothing was changed.`,
        [{ path: field, message: res.message }],
        'UNPROCESSABLE',
      );
    }
  }

  private async allRows(): Promise<ProbesTable[]> {
    return this.db.selectFrom('probes').selectAll().orderBy('id').execute();
  }

  async create(
    project: string,
    env: string,
    input: ProbeCreate,
    actor: Actor,
  ): Promise<SiteProbe & { reload: ProbeReload }> {
    await requireEnvironment(this.db, env);
    await this.checkOwned(project, env, input);
    return this.locked(async () => {
      if (await this.find(this.db, project, env, input.name))
        throw new ConflictError(
          `Probe '${input.name}' already exists in ${project}/${env}; change it with PUT …/probes/${input.name}.`,
          undefined,
          'ALREADY_EXISTS',
        );
      const now = nowIso();
      const row: ProbesTable = {
        id: newId(),
        project,
        env,
        name: input.name,
        ...columns(input),
        alert_rule: null,
        created_at: now,
        created_by: actor.name,
        updated_at: now,
        updated_by: actor.name,
      };
      await this.checkCandidate([...(await this.allRows()), row], row);
      if (input.alert) {
        // the alert rule first (its own checks and promtool): a refusal leaves nothing behind
        const ruleName = `probe-${input.name}`;
        await this.deps.alertRules.create(
          project,
          env,
          alertRuleCreateSchema.parse({
            name: ruleName,
            template: 'probe',
            scope: { probe: input.name },
            for: input.alert.for,
            severity: input.alert.severity,
            channels: input.alert.channels,
            summary: `Probe ${input.name} fails`,
            description: `The ${input.kind} probe ${input.name} of ${project}/${env} (${row.target}) fails.`,
          }),
          actor,
        );
        row.alert_rule = ruleName;
      }
      try {
        await this.db.insertInto('probes').values(row).execute();
      } catch (err) {
        if (row.alert_rule)
          await this.deps.alertRules.remove(project, env, row.alert_rule, actor).catch(() => undefined);
        throw err;
      }
      const reload = await this.install({ present: [row], absent: [] });
      return { ...view(row), reload };
    });
  }

  async update(
    project: string,
    env: string,
    name: string,
    input: ProbeFields,
    actor: Actor,
  ): Promise<SiteProbe & { reload: ProbeReload }> {
    await this.checkOwned(project, env, input);
    return this.locked(async () => {
      const old = await this.resolve(project, env, name);
      if (input.expectedUpdatedAt !== undefined && input.expectedUpdatedAt !== old.updated_at)
        throw this.conflict(old);
      const row: ProbesTable = { ...old, ...columns(input), updated_at: nowIso(), updated_by: actor.name };
      await this.checkCandidate(
        (await this.allRows()).map((r) => (r.id === row.id ? row : r)),
        row,
      );
      // the store's updated_at is the version: another server's change meanwhile is a conflict too
      const done = await this.db
        .updateTable('probes')
        .set({ ...columns(input), updated_at: row.updated_at, updated_by: row.updated_by })
        .where('id', '=', old.id)
        .where('updated_at', '=', old.updated_at)
        .executeTakeFirst();
      if (Number(done.numUpdatedRows) !== 1) throw this.conflict(await this.resolve(project, env, name));
      const reload = await this.install(
        row.enabled ? { present: [row], absent: [] } : { present: [], absent: [row] },
      );
      return { ...view(row), reload };
    });
  }

  private conflict(now: ProbesTable): ConflictError {
    return new ConflictError(
      `Probe '${now.name}' of ${now.project}/${now.env} was changed by ${now.updated_by} at ${now.updated_at} after you read it; read it again and apply your change to it.`,
      { currentUpdatedAt: now.updated_at, updatedBy: now.updated_by },
      'VERSION_CONFLICT',
    );
  }

  async remove(project: string, env: string, name: string, actor: Actor): Promise<{ reload: ProbeReload }> {
    return this.locked(async () => {
      const old = await this.resolve(project, env, name);
      await this.db.deleteFrom('probes').where('id', '=', old.id).execute();
      if (old.alert_rule)
        await this.deps.alertRules.remove(project, env, old.alert_rule, actor).catch((err: unknown) => {
          // the rule may have been deleted on its own already
          if (!(err instanceof NotFoundError)) throw err;
        });
      return { reload: await this.install({ present: [], absent: [old] }) };
    });
  }

  async uptime(
    project: string,
    env: string,
    name: string,
    range: ProbeUptimeRange,
  ): Promise<SiteProbeUptime> {
    const row = await this.resolve(project, env, name);
    const prom = this.deps.monitoring?.prometheus;
    if (!prom) throw new UnavailableError(monitoringOff);
    const span = rangeSeconds[range];
    const step = Math.max(row.interval_seconds, Math.ceil(span / 240));
    const sel = this.selector(project, env, name);
    const end = new Date();
    const start = new Date(end.getTime() - span * 1000);
    const [total, success, latency] = await Promise.all([
      prom.query(`avg_over_time(probe_success${sel}[${span}s])`),
      prom.queryRange(`avg_over_time(probe_success${sel}[${step}s])`, start, end, step),
      prom.queryRange(`avg_over_time(probe_duration_seconds${sel}[${step}s])`, start, end, step),
    ]);
    for (const r of [total, success, latency])
      if (!r.ok)
        throw new UnavailableError(`Prometheus did not answer the uptime query (${r.kind}): ${r.error}`);
    const points = (r: typeof success) => (r.ok && r.series[0] ? r.series[0].points : []);
    const t = total.ok ? total.samples[0]?.value : undefined;
    return {
      range,
      uptime: t === undefined || Number.isNaN(t) ? null : t,
      stepSeconds: step,
      success: points(success),
      latency: points(latency),
    };
  }

  /**
   * Writes blackbox.yml and the target files from the store, then reloads the blackbox exporter
   * and Prometheus, confirmed. A failure is answered (the probe is stored; the next change or
   * start writes the files again).
   */
  private async install(
    expect: { present: ProbesTable[]; absent: ProbesTable[] },
    onlyWhenChanged = false,
  ): Promise<ProbeReload> {
    const m = this.deps.monitoring;
    if (!m) return { reloaded: false, error: monitoringOff };
    try {
      const changed = await this.writeFiles();
      if (m.blackbox && (!onlyWhenChanged || changed.blackbox))
        await reloadBlackbox(m.blackbox.url, {
          present: expect.present.map(probeModuleName),
          absent: expect.absent.map(probeModuleName),
        });
      // a reload makes Prometheus drop alerts for a few seconds: not at start when nothing changed
      if (!onlyWhenChanged || changed.targets) await m.reloadPrometheus();
      return { reloaded: true };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.ctx.log.warn({ err }, 'probes: reloading the blackbox exporter or Prometheus failed');
      return { reloaded: false, error };
    }
  }

  /** Writes what differs from the store; answers which of the two changed. */
  private async writeFiles(): Promise<{ blackbox: boolean; targets: boolean }> {
    const changed = { blackbox: false, targets: false };
    const m = this.deps.monitoring;
    if (!m) return changed;
    const rows = await this.allRows();
    const write = (file: string, text: string) => {
      let old: string | null = null;
      try {
        old = readFileSync(file, 'utf8');
      } catch {
        // not written yet
      }
      if (old === text) return false;
      writeFileAtomic(file, text);
      return true;
    };
    if (m.blackbox) changed.blackbox = write(m.blackbox.configFile, renderBlackboxWithProbes(rows));
    const want = new Set<string>();
    for (const r of rows) {
      if (!r.enabled) continue;
      const file = probeTargetFile(r);
      want.add(file);
      if (write(path.join(m.probeTargetsDir, file), renderProbeTarget(r))) changed.targets = true;
    }
    for (const f of await readdir(m.probeTargetsDir).catch(() => [] as string[]))
      if (probeTargetFilePattern.test(f) && !want.has(f)) {
        await rm(path.join(m.probeTargetsDir, f), { force: true });
        changed.targets = true;
      }
    return changed;
  }

  /** At start: the stack's files from the store (npm start rewrote blackbox.yml with its base). */
  async sync(): Promise<void> {
    await this.locked(async () => {
      const rows = (await this.allRows()).filter((r) => r.enabled === 1);
      await this.install({ present: rows, absent: [] }, true);
    });
  }
}
