/**
 * Alert rules (docs/alert-rules.md): the rules of a project environment, rendered into one
 * Prometheus rule file per environment. A change renders a candidate file, has promtool check it
 * (a refusal is 422 with promtool's message and changes nothing: the store's transaction rolls
 * back and the installed file stays), stores a new version (who, when, why, the file and its
 * diff), swaps the file in atomically and reloads Prometheus.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { lineDiff } from '@berth/gateway-nginx';
import {
  BerthError,
  ConflictError,
  ForbiddenError,
  InvalidError,
  NotFoundError,
  UnavailableError,
  type AlertRule,
  type AlertRuleVersion,
  type AlertScope,
  type AlertSeverity,
  type AlertTemplate,
  type alertRuleCreateSchema,
  type alertRuleUpdateSchema,
} from '@berth/shared';
import type { z } from 'zod';
import type { Db } from '../../db/database';
import type { AlertRulesTable } from '../../db/schema';
import type { Actor, AppContext } from '../../http/context';
import { newId, nowIso } from '../../util';
import { activeStates } from '../services/services.repository';
import { requireEnvironment } from '../services/services.service';
import {
  checkScope,
  renderExpr,
  renderRuleFile,
  ruleFileHeader,
  ruleFileName,
  type RuleInput,
} from './alert-templates';

type RuleRow = AlertRulesTable;
type RuleFields = z.output<typeof alertRuleUpdateSchema>;
type RuleCreate = z.output<typeof alertRuleCreateSchema>;

/** What the alert rules need of the monitoring stack (MonitoringModule satisfies it). */
export interface AlertRulesMonitoring {
  prometheus: {
    query(
      expr: string,
    ): Promise<
      | { ok: true; samples: Array<{ metric: Record<string, string>; value: number }> }
      | { ok: false; kind: string; error: string }
    >;
  };
  rulesDir: string;
  checkRules(file: string): Promise<{ ok: true } | { ok: false; message: string }>;
  reloadPrometheus(): Promise<void>;
}

/** How the new file reached Prometheus: reloaded, or why not (the rules are stored either way). */
export interface ReloadOutcome {
  reloaded: boolean;
  error?: string;
}

const monitoringOff =
  'Monitoring is off: Berth has no Prometheus to ask. Turn it on (docs/monitoring.md: the embedded stack, or BERTH_PROMETHEUS_URL for an external one) and try again.';

export function rowToInput(r: RuleRow): RuleInput {
  return {
    id: r.id,
    project: r.project,
    env: r.env,
    name: r.name,
    template: r.template as AlertTemplate,
    scope: JSON.parse(r.scope) as AlertScope,
    threshold: r.threshold,
    for: r.for_duration,
    window: r.window_duration,
    quantile: r.quantile,
    severity: r.severity as AlertSeverity,
    labels: JSON.parse(r.labels) as Record<string, string>,
    channels: JSON.parse(r.channels) as string[],
    summary: r.summary,
    description: r.description,
    promql: r.promql,
  };
}

function view(r: RuleRow): AlertRule {
  const input = rowToInput(r);
  let expr: string;
  try {
    expr = renderExpr(input);
  } catch {
    expr = '';
  }
  return {
    id: r.id,
    project: r.project,
    env: r.env,
    name: r.name,
    template: input.template,
    scope: input.scope,
    threshold: r.threshold,
    for: r.for_duration,
    window: r.window_duration,
    quantile: r.quantile,
    severity: input.severity,
    labels: input.labels,
    channels: input.channels,
    enabled: r.enabled === 1,
    summary: r.summary,
    description: r.description,
    promql: r.promql,
    endedReason: r.ended_reason,
    expr,
    createdAt: r.created_at,
    createdBy: r.created_by,
    updatedAt: r.updated_at,
    updatedBy: r.updated_by,
  };
}

/** The stored columns of a rule's fields. */
function columns(
  f: RuleFields,
): Omit<
  RuleRow,
  | 'id'
  | 'project'
  | 'env'
  | 'name'
  | 'created_at'
  | 'created_by'
  | 'updated_at'
  | 'updated_by'
  | 'ended_reason'
> {
  return {
    template: f.template,
    scope: JSON.stringify(f.scope),
    threshold: f.threshold ?? null,
    for_duration: f.for,
    window_duration: f.window ?? null,
    quantile: f.quantile ?? null,
    severity: f.severity,
    labels: JSON.stringify(f.labels),
    channels: JSON.stringify([...new Set(f.channels)]),
    enabled: f.enabled ? 1 : 0,
    summary: f.summary ?? null,
    description: f.description ?? null,
    promql: f.template === 'custom' ? (f.promql ?? null) : null,
  };
}

/** Thrown to roll back the dry run of a change (its rendered file kept). */
/**
 * The channels of a project, from the alerts module (its AlertsService satisfies it): a rule may
 * name only channels of its own project (docs/alert-rules.md).
 */
export interface AlertChannelDirectory {
  list(project: string): Promise<Array<{ name: string }>>;
}

class DryRun extends Error {
  text = '';
}

export class AlertRulesService {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly ctx: AppContext,
    private readonly monitoring: AlertRulesMonitoring | null,
    private readonly channelDirectory: AlertChannelDirectory | null = null,
  ) {}

  /**
   * Each channel a rule names must be a channel of its project: one that does not exist (or is
   * another project's) would take the rule's alerts nowhere, silently. 422 at channels.N.
   */
  private async checkChannels(project: string, channels: readonly string[]): Promise<void> {
    const why = await this.missingChannels(project, channels);
    if (why)
      throw new InvalidError(
        why.message,
        why.missing.map((c) => ({
          path: `channels.${c.index}`,
          message: `no channel '${c.name}' in project '${project}'`,
        })),
        'UNPROCESSABLE',
      );
  }

  /** The names that are not channels of the project, with a message saying how to fix it; null when none. */
  private async missingChannels(
    project: string,
    channels: readonly string[],
  ): Promise<{ missing: Array<{ name: string; index: number }>; message: string } | null> {
    if (!this.channelDirectory || channels.length === 0) return null;
    const have = new Set((await this.channelDirectory.list(project)).map((c) => c.name));
    const missing = channels.map((name, index) => ({ name, index })).filter((c) => !have.has(c.name));
    if (missing.length === 0) return null;
    const known = have.size ? `its channels: ${[...have].sort().join(', ')}` : 'it has no channels yet';
    return {
      missing,
      message: `Channel ${missing.map((c) => `'${c.name}'`).join(', ')} does not exist in project '${project}' (${known}). Create it first (POST /api/v1/projects/${project}/channels, \`berth alerts channels add\`) or name one of the project's channels.`,
    };
  }

  private get db(): Db {
    return this.ctx.db;
  }

  /** One change at a time per environment (in this process; the version's key guards the rest). */
  private locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.locks.set(key, tail);
    void tail.then(() => {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    });
    return next;
  }

  private find(db: Db, project: string, env: string, name: string): Promise<RuleRow | undefined> {
    return db
      .selectFrom('alert_rules')
      .selectAll()
      .where('project', '=', project)
      .where('env', '=', env)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  private async resolve(db: Db, project: string, env: string, name: string): Promise<RuleRow> {
    const row = await this.find(db, project, env, name);
    if (!row)
      throw new NotFoundError(
        'NOT_FOUND',
        `Alert rule '${name}' does not exist in ${project}/${env}; list them with GET /api/v1/projects/${project}/envs/${env}/alert-rules.`,
      );
    return row;
  }

  async list(project: string, env: string): Promise<AlertRule[]> {
    await requireEnvironment(this.db, env);
    const rows = await this.db
      .selectFrom('alert_rules')
      .selectAll()
      .where('project', '=', project)
      .where('env', '=', env)
      .orderBy('name')
      .execute();
    return rows.map(view);
  }

  async get(project: string, env: string, name: string): Promise<AlertRule> {
    return view(await this.resolve(this.db, project, env, name));
  }

  private async isAdmin(actor: Actor): Promise<boolean> {
    return this.ctx.auth.authorize(actor, 'platform:admin', { kind: 'platform' });
  }

  private async requireAdminFor(actor: Actor, what: string): Promise<void> {
    if (!(await this.isAdmin(actor)))
      throw new ForbiddenError(
        `${what} needs a platform admin: custom PromQL is not pinned to one project and could read every project's series. Use a template (cpu, memory, restarts, oom, unavailable, http5xx, latency, probe, certificate), or ask a platform admin.`,
        { permission: 'platform:admin', scope: { kind: 'platform' } },
      );
  }

  /** Checks a rule against its template and the environment: its scope must be the env's own. */
  async check(project: string, env: string, f: RuleFields, actor: Actor): Promise<void> {
    if (f.template === 'custom') {
      await this.requireAdminFor(actor, 'A custom rule');
      if (!f.promql)
        throw new InvalidError('A custom rule needs its PromQL expression in "promql".', [
          { path: 'promql', message: 'required for template custom' },
        ]);
    } else if (f.promql !== undefined)
      throw new InvalidError(
        `"promql" is for template custom only; template '${f.template}' renders its own.`,
        [{ path: 'promql', message: 'only with template custom' }],
      );
    checkScope(f.template, f.scope);
    await this.checkChannels(project, f.channels);
    const s = f.scope;
    const where = `${project}/${env}`;
    if (s.service) {
      const svc = await this.db
        .selectFrom('services')
        .select(['id'])
        .where('project', '=', project)
        .where('env', '=', env)
        .where('name', '=', s.service)
        .where('deleting', '=', 0)
        .executeTakeFirst();
      if (!svc)
        throw new InvalidError(`Service '${s.service}' does not exist in ${where}.`, [
          { path: 'scope.service', message: `no service '${s.service}' in ${where}` },
        ]);
      if (s.container) {
        const c = await this.db
          .selectFrom('containers')
          .select(['state'])
          .where('service_id', '=', svc.id)
          .where('name', '=', s.container)
          .executeTakeFirst();
        if (!c || !(activeStates as readonly string[]).includes(c.state))
          throw new InvalidError(
            `Container '${s.container}' is not a current container of service '${s.service}' in ${where}; list them with GET /api/v1/projects/${project}/envs/${env}/services/${s.service}/containers.`,
            [{ path: 'scope.container', message: 'not a current container of the service' }],
          );
      }
    } else if (s.container && f.template !== 'custom')
      throw new InvalidError('scope.container needs scope.service (the service the container belongs to).', [
        { path: 'scope.service', message: 'required with scope.container' },
      ]);
    if (s.route) {
      const r = await this.db
        .selectFrom('gateway_routes')
        .select('id')
        .where('project', '=', project)
        .where('env', '=', env)
        .where('name', '=', s.route)
        .executeTakeFirst();
      if (!r)
        throw new InvalidError(`Route '${s.route}' does not exist in ${where}.`, [
          { path: 'scope.route', message: `no route '${s.route}' in ${where}` },
        ]);
    }
    if (s.certificate) {
      const c = await this.db
        .selectFrom('certificates')
        .select('id')
        .where('project', '=', project)
        .where('name', '=', s.certificate)
        .executeTakeFirst();
      if (!c)
        throw new InvalidError(`Certificate '${s.certificate}' does not exist in project '${project}'.`, [
          { path: 'scope.certificate', message: `no certificate '${s.certificate}' in project '${project}'` },
        ]);
    }
  }

  async create(
    project: string,
    env: string,
    input: RuleCreate,
    actor: Actor,
  ): Promise<AlertRule & { version: number; reload: ReloadOutcome }> {
    await requireEnvironment(this.db, env);
    await this.check(project, env, input, actor);
    // made once: the change's mutation runs twice (a dry run, then for real) and must render the same file
    const id = newId();
    const now = nowIso();
    const out = await this.change(project, env, actor.name, `create rule ${input.name}`, async (trx) => {
      if (await this.find(trx, project, env, input.name))
        throw new ConflictError(
          `Alert rule '${input.name}' already exists in ${project}/${env}; change it with PUT …/alert-rules/${input.name}.`,
          undefined,
          'ALREADY_EXISTS',
        );
      const row: RuleRow = {
        id,
        project,
        env,
        name: input.name,
        ...columns(input),
        ended_reason: null,
        created_at: now,
        created_by: actor.name,
        updated_at: now,
        updated_by: actor.name,
      };
      await trx.insertInto('alert_rules').values(row).execute();
      return row;
    });
    return { ...view(out.result), version: out.version, reload: out.reload };
  }

  async update(
    project: string,
    env: string,
    name: string,
    input: RuleFields,
    actor: Actor,
  ): Promise<AlertRule & { version: number; reload: ReloadOutcome }> {
    const old = await this.resolve(this.db, project, env, name);
    if (old.template === 'custom') await this.requireAdminFor(actor, `Changing the custom rule '${name}'`);
    await this.check(project, env, input, actor);
    const out = await this.change(project, env, actor.name, `update rule ${name}`, async (trx) => {
      const cur = await this.resolve(trx, project, env, name);
      await trx
        .updateTable('alert_rules')
        .set({ ...columns(input), ended_reason: null, updated_at: nowIso(), updated_by: actor.name })
        .where('id', '=', cur.id)
        .execute();
      return (await this.find(trx, project, env, name))!;
    });
    return { ...view(out.result), version: out.version, reload: out.reload };
  }

  async remove(project: string, env: string, name: string, actor: Actor): Promise<void> {
    const old = await this.resolve(this.db, project, env, name);
    if (old.template === 'custom') await this.requireAdminFor(actor, `Deleting the custom rule '${name}'`);
    await this.change(project, env, actor.name, `delete rule ${name}`, async (trx) => {
      await trx.deleteFrom('alert_rules').where('id', '=', old.id).execute();
    });
  }

  async versions(project: string, env: string): Promise<AlertRuleVersion[]> {
    await requireEnvironment(this.db, env);
    const rows = await this.db
      .selectFrom('alert_rule_versions')
      .selectAll()
      .where('project', '=', project)
      .where('env', '=', env)
      .orderBy('number', 'desc')
      .execute();
    return rows.map((r) => ({
      number: r.number,
      author: r.author,
      reason: r.reason,
      createdAt: r.created_at,
      rolledBackFrom: r.rolled_back_from,
      rules: (JSON.parse(r.rules_snapshot) as unknown[]).length,
      diff: r.diff,
    }));
  }

  async version(project: string, env: string, number: number): Promise<AlertRuleVersion & { file: string }> {
    const r = await this.db
      .selectFrom('alert_rule_versions')
      .selectAll()
      .where('project', '=', project)
      .where('env', '=', env)
      .where('number', '=', number)
      .executeTakeFirst();
    if (!r)
      throw new NotFoundError(
        'NOT_FOUND',
        `Version ${number} of the alert rules of ${project}/${env} does not exist; list them with GET …/alert-rules/versions.`,
      );
    return {
      number: r.number,
      author: r.author,
      reason: r.reason,
      createdAt: r.created_at,
      rolledBackFrom: r.rolled_back_from,
      rules: (JSON.parse(r.rules_snapshot) as unknown[]).length,
      diff: r.diff,
      file: r.file_text,
    };
  }

  /** A new version with the rules of an earlier one (their ids kept, so alerts keep their berth_rule). */
  async rollback(
    project: string,
    env: string,
    target: number,
    reason: string | undefined,
    actor: Actor,
  ): Promise<{ version: number; rules: AlertRule[]; reload: ReloadOutcome }> {
    const v = await this.db
      .selectFrom('alert_rule_versions')
      .select(['rules_snapshot'])
      .where('project', '=', project)
      .where('env', '=', env)
      .where('number', '=', target)
      .executeTakeFirst();
    if (!v)
      throw new NotFoundError(
        'NOT_FOUND',
        `Version ${target} of the alert rules of ${project}/${env} does not exist.`,
      );
    const snapshot = JSON.parse(v.rules_snapshot) as RuleRow[];
    const current = await this.db
      .selectFrom('alert_rules')
      .selectAll()
      .where('project', '=', project)
      .where('env', '=', env)
      .execute();
    const customs = (rows: RuleRow[]) =>
      JSON.stringify(
        rows
          .filter((r) => r.template === 'custom')
          .map((r) => [r.id, r.promql, r.enabled])
          .sort(),
      );
    if (customs(snapshot) !== customs(current))
      await this.requireAdminFor(actor, `Rolling back to version ${target} (it changes custom rules)`);
    // a channel deleted since that version: its rules would send nowhere
    const named = [...new Set(snapshot.flatMap((r) => JSON.parse(r.channels) as string[]))];
    const gone = await this.missingChannels(project, named);
    if (gone)
      throw new InvalidError(
        `Version ${target} of the alert rules of ${project}/${env} names a channel deleted since. ${gone.message}`,
        gone.missing.map((c) => ({ path: 'version', message: `names channel '${c.name}', which is gone` })),
        'UNPROCESSABLE',
      );
    const out = await this.change(
      project,
      env,
      actor.name,
      reason ?? `rollback to version ${target}`,
      async (trx) => {
        await trx.deleteFrom('alert_rules').where('project', '=', project).where('env', '=', env).execute();
        for (const r of snapshot) await trx.insertInto('alert_rules').values(r).execute();
      },
      target,
    );
    return { version: out.version, rules: await this.list(project, env), reload: out.reload };
  }

  /** The PromQL of a draft and its current value(s) from Prometheus. */
  async preview(
    project: string,
    env: string,
    draft: RuleFields & { name: string },
    actor: Actor,
  ): Promise<{ expr: string; samples: Array<{ metric: Record<string, string>; value: number | null }> }> {
    await requireEnvironment(this.db, env);
    await this.check(project, env, draft, actor);
    const expr = renderExpr({
      id: 'preview',
      project,
      env,
      name: draft.name,
      template: draft.template,
      scope: draft.scope,
      threshold: draft.threshold ?? null,
      for: draft.for,
      window: draft.window ?? null,
      quantile: draft.quantile ?? null,
      severity: draft.severity,
      labels: draft.labels,
      channels: draft.channels,
      summary: null,
      description: null,
      promql: draft.promql ?? null,
    });
    if (!this.monitoring) throw new UnavailableError(monitoringOff);
    // the value itself: the expression without its comparison, so the preview shows it below the threshold too
    const valueExpr = draft.template === 'custom' ? expr : expr.replace(/ (>|<) [0-9.e+-]+$/, '');
    const res = await this.monitoring.prometheus.query(valueExpr);
    if (!res.ok) {
      if (res.kind === 'bad_query')
        throw new BerthError('UNPROCESSABLE', `Prometheus refused the expression: ${res.error}`, {
          expr: valueExpr,
        });
      throw new UnavailableError(`Prometheus did not answer (${res.kind}): ${res.error}`);
    }
    return {
      expr,
      samples: res.samples.map((s) => ({
        metric: s.metric,
        value: Number.isFinite(s.value) ? s.value : null,
      })),
    };
  }

  /** The environment's rules as the transaction sees them, and the file they render. */
  private async rendered(trx: Db, project: string, env: string): Promise<{ rows: RuleRow[]; text: string }> {
    const rows = await trx
      .selectFrom('alert_rules')
      .selectAll()
      .where('project', '=', project)
      .where('env', '=', env)
      .orderBy('name')
      .execute();
    return { rows, text: renderRuleFile(project, env, rows.filter((r) => r.enabled === 1).map(rowToInput)) };
  }

  /**
   * Applies one change. A first transaction runs the mutation, renders the file and rolls back;
   * promtool checks that file outside any transaction (SQLite has one connection: promtool's
   * time must not hold every other query); a refusal is 422 and nothing was changed. The second
   * transaction runs the mutation again and writes the version (the file is checked again there
   * only if another process changed the environment in between). Then the checked file is
   * swapped in and Prometheus reloaded.
   */
  async change<T>(
    project: string,
    env: string,
    author: string,
    reason: string,
    mutate: (trx: Db) => Promise<T>,
    rolledBackFrom: number | null = null,
  ): Promise<{ result: T; version: number; reload: ReloadOutcome }> {
    return this.locked(`${project}/${env}`, async () => {
      const pending: { candidate: string | null } = { candidate: null };
      try {
        let checked: string | null = null;
        if (this.monitoring) {
          const dry = new DryRun();
          await this.db
            .transaction()
            .execute(async (trx) => {
              await mutate(trx);
              dry.text = (await this.rendered(trx, project, env)).text;
              throw dry;
            })
            .catch((err: unknown) => {
              if (err !== dry) throw err;
            });
          checked = dry.text;
          pending.candidate = await this.validate(project, env, checked);
        }
        const done = await this.db.transaction().execute(async (trx) => {
          const result = await mutate(trx);
          const { rows, text } = await this.rendered(trx, project, env);
          if (this.monitoring && text !== checked) {
            if (pending.candidate) await rm(pending.candidate, { force: true });
            pending.candidate = null;
            pending.candidate = await this.validate(project, env, text);
          }
          const prev = await trx
            .selectFrom('alert_rule_versions')
            .select(['number', 'file_text'])
            .where('project', '=', project)
            .where('env', '=', env)
            .orderBy('number', 'desc')
            .limit(1)
            .executeTakeFirst();
          const number = (prev?.number ?? 0) + 1;
          await trx
            .insertInto('alert_rule_versions')
            .values({
              project,
              env,
              number,
              author,
              reason,
              created_at: nowIso(),
              rolled_back_from: rolledBackFrom,
              rules_snapshot: JSON.stringify(rows),
              file_text: text,
              diff: lineDiff(prev?.file_text ?? '', text),
            })
            .execute();
          return { result, number };
        });
        const file = pending.candidate;
        pending.candidate = null;
        const reload = file ? await this.install(project, env, file) : { reloaded: false };
        return { result: done.result, version: done.number, reload };
      } finally {
        if (pending.candidate) await rm(pending.candidate, { force: true });
      }
    });
  }

  /** Writes the candidate file beside the installed one and has promtool check it; 422 on refusal. */
  private async validate(project: string, env: string, text: string): Promise<string> {
    const m = this.monitoring!;
    // not *.yml: Prometheus never loads a candidate
    const file = path.join(
      m.rulesDir,
      `.${ruleFileName(project, env)}.${randomBytes(4).toString('hex')}.candidate`,
    );
    await writeFile(file, text, { mode: 0o644 });
    const res = await m.checkRules(file);
    if (!res.ok) {
      await rm(file, { force: true });
      throw new BerthError(
        'UNPROCESSABLE',
        `Prometheus' promtool refused the alert rules of ${project}/${env}; nothing was changed. promtool: ${res.message}`,
        { promtool: res.message },
      );
    }
    return file;
  }

  /** Swaps the checked file in (rename: atomic) and reloads Prometheus. */
  private async install(project: string, env: string, candidate: string): Promise<ReloadOutcome> {
    const m = this.monitoring!;
    await rename(candidate, path.join(m.rulesDir, ruleFileName(project, env)));
    try {
      await m.reloadPrometheus();
      return { reloaded: true };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.ctx.log.warn({ err, project, env }, 'Prometheus did not reload the alert rules');
      return { reloaded: false, error };
    }
  }

  /**
   * Makes the rules dir hold each environment's newest version (at start: the store is the
   * truth) and nothing else; reloads Prometheus when something changed.
   */
  async syncFiles(): Promise<void> {
    const m = this.monitoring;
    if (!m) return;
    const envs = await this.db
      .selectFrom('alert_rule_versions')
      .select(['project', 'env'])
      .distinct()
      .execute();
    let changed = false;
    const wanted = new Set<string>();
    for (const { project, env } of envs) {
      const name = ruleFileName(project, env);
      wanted.add(name);
      // under the env's lock: a change that runs meanwhile installs a newer file
      changed =
        (await this.locked(`${project}/${env}`, async () => {
          const v = await this.db
            .selectFrom('alert_rule_versions')
            .select(['file_text'])
            .where('project', '=', project)
            .where('env', '=', env)
            .orderBy('number', 'desc')
            .limit(1)
            .executeTakeFirstOrThrow();
          const file = path.join(m.rulesDir, name);
          if ((await readFile(file, 'utf8').catch(() => null)) === v.file_text) return false;
          const tmp = `${path.join(m.rulesDir, `.${name}`)}.${randomBytes(4).toString('hex')}.tmp`;
          await writeFile(tmp, v.file_text, { mode: 0o644 });
          await rename(tmp, file);
          return true;
        })) || changed;
    }
    // files of environments without rules any more (a deleted project); only Berth's own files,
    // known by their first line (an external Prometheus may share the directory)
    for (const name of await readdir(m.rulesDir).catch(() => [] as string[])) {
      if (!name.endsWith('.yml') || wanted.has(name)) continue;
      const file = path.join(m.rulesDir, name);
      const text = await readFile(file, 'utf8').catch(() => '');
      if (!text.startsWith(ruleFileHeader)) continue;
      await rm(file, { force: true });
      changed = true;
    }
    if (changed) await m.reloadPrometheus();
  }

  /**
   * Rules scoped to one container end with it: once the ledger no longer lists the container as
   * current (exited, written off, or gone), the rule is disabled with the reason, as a new
   * version, and an audit event says why.
   */
  async endGoneContainers(): Promise<number> {
    const rows = await this.db
      .selectFrom('alert_rules')
      .selectAll()
      .where('enabled', '=', 1)
      .where('scope', 'like', '%"container"%')
      .execute();
    let ended = 0;
    for (const r of rows) {
      const scope = JSON.parse(r.scope) as AlertScope;
      if (!scope.container) continue;
      const c = await this.db
        .selectFrom('containers')
        .innerJoin('services', 'services.id', 'containers.service_id')
        .select(['containers.state', 'containers.exit_reason'])
        .where('containers.name', '=', scope.container)
        .where('services.project', '=', r.project)
        .where('services.env', '=', r.env)
        .executeTakeFirst();
      if (c && (activeStates as readonly string[]).includes(c.state)) continue;
      const why = `container ${scope.container} is gone${c?.exit_reason ? ` (${c.exit_reason})` : ''}: the rule ended with it`;
      await this.change(r.project, r.env, 'system', `rule ${r.name} ended: ${why}`, async (trx) => {
        await trx
          .updateTable('alert_rules')
          .set({ enabled: 0, ended_reason: why, updated_at: nowIso(), updated_by: 'system' })
          .where('id', '=', r.id)
          .where('enabled', '=', 1)
          .execute();
      });
      await this.ctx.audit.record({
        actor: 'system',
        action: 'alert-rules.ended',
        targetKind: 'alert-rule',
        target: `${r.project}/${r.env}/${r.name}`,
        project: r.project,
        request: null,
        result: 'success',
        statusCode: 200,
        sourceIp: '',
        message: `Alert rule '${r.name}' disabled: ${why}.`,
      });
      ended += 1;
    }
    return ended;
  }
}
