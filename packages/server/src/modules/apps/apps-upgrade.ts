/**
 * Upgrading an app instance to a newer template version, member by member (docs/apps.md,
 * "Upgrade"). Each member service gets the new version's spec as its next release; the next
 * member starts only when the previous one is ready again and, for templates that tell a member's
 * role (ZooKeeper's srvr), serving again. Members with the role "leader" roll last. A member that
 * fails stops the upgrade there: the instance shows `failed` naming it, the others stay on the old
 * version. The record (`app_instances.upgrade`) is the state: the leader's runner resumes it after
 * a restart, and re-applying a step is harmless (the same spec makes no new release).
 */
import {
  ConflictError,
  InvalidError,
  resolveAppParams,
  type AppInstanceDetail,
  type AppInstanceUpgrade,
  type AppParamValue,
} from '@berth/shared';
import type { Actor, AppContext } from '../../http/context';
import { nowIso, parseJson } from '../../util';
import type { AppsRepository, AppInstanceRow } from './apps.repository';
import { instanceState, type AppsService, type AppsServiceDeps } from './apps.service';
import { LeaderRuns } from './leader-runs';
import { findTemplate, findVersion } from './templates';
import type { AppTemplate, TemplateVersion } from './templates/template';

/** How long a rolled member may take to be ready and serving again before the upgrade fails. */
const memberDeadlineSeconds = 420;

export class AppUpgrades {
  /** The runner: under the leader lease, resumed after a restart. */
  private readonly runner = new LeaderRuns(
    'an upgrade step',
    () => this.repo.upgrading(),
    (id) => this.run(id),
    (fields, message) => this.ctx.log.warn(fields, message),
  );

  constructor(
    private readonly ctx: AppContext,
    private readonly repo: AppsRepository,
    private readonly apps: AppsService,
    private readonly deps: AppsServiceDeps,
  ) {}

  /**
   * Starts an upgrade (202): 422 at `version` for an unknown version or one that is not newer,
   * 409 while the instance is not running or another upgrade runs.
   */
  async begin(
    project: string,
    env: string,
    name: string,
    version: string,
    actor: Actor,
  ): Promise<AppInstanceDetail> {
    // 404 for instances (and projects) the caller cannot see, as for every instance route
    const detail = await this.apps.get(project, env, name, actor, false);
    const row = (await this.repo.find(project, env, name))!;
    const t = findTemplate(row.app)!;
    const target = this.target(t, row, version);
    this.checkSameMembers(t, row, target);
    if (row.deleting) throw new ConflictError(`App instance '${name}' is being deleted.`);
    const previous = parseJson<AppInstanceUpgrade | null>(row.upgrade, null);
    if (previous?.state === 'running')
      throw new ConflictError(
        `App instance '${name}' is already being upgraded to ${previous.to} (${previous.done} of ${previous.members} members done); wait for it to finish.`,
      );
    // the members' own state, not a failed upgrade's: a failed upgrade may be retried once they run
    const state = instanceState({ deleting: 0 }, detail.members, []);
    if (state !== 'running')
      throw new ConflictError(
        `App instance '${name}' is ${state}; upgrade it when every member is running (a rollout or rotation may still be under way).`,
      );
    const members = parseJson<string[]>(row.services, []);
    const upgrade: AppInstanceUpgrade = {
      from: row.version,
      to: target.version,
      state: 'running',
      members: members.length,
      done: 0,
      steps: [],
      error: null,
      startedAt: nowIso(),
      startedBy: actor.name,
      finishedAt: null,
    };
    if (!(await this.repo.setUpgrade(row.id, JSON.stringify(upgrade), { expected: row.upgrade })))
      throw new ConflictError(`App instance '${name}' is already being upgraded; wait for it to finish.`);
    this.runLater(row.id);
    return this.apps.get(project, env, name, actor, false);
  }

  /** The version to go to: in the catalog and later than the instance's (versions are oldest first). */
  private target(t: AppTemplate, row: AppInstanceRow, version: string): TemplateVersion {
    const all = t.versions.map((v) => v.version);
    const at = all.indexOf(row.version);
    const newer = all.slice(at + 1);
    const v = findVersion(t, version);
    const hint = newer.length > 0 ? `newer versions: ${newer.join(', ')}` : 'it runs the newest version';
    if (!v)
      throw new InvalidError(
        `App '${t.name}' has no version '${version}'; ${hint}.`,
        [{ path: 'version', message: `must be one of ${newer.join(', ') || '(none newer)'}` }],
        'UNPROCESSABLE',
      );
    if (all.indexOf(version) <= at)
      throw new InvalidError(
        `Instance '${row.name}' runs ${t.name} ${row.version}; ${version} is not newer (${hint}). Downgrades are not offered.`,
        [{ path: 'version', message: `must be newer than ${row.version}` }],
        'UNPROCESSABLE',
      );
    return v;
  }

  /** The new version must take the instance's parameters and make the same members (never a new count). */
  private checkSameMembers(t: AppTemplate, row: AppInstanceRow, v: TemplateVersion): void {
    const { values, issues } = resolveAppParams(v.parameters, this.params(row));
    if (issues.length > 0)
      throw new InvalidError(
        `${t.title} ${v.version} does not take this instance's parameters: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}.`,
        issues.map((i) => ({ path: 'version', message: `${i.path} ${i.message}` })),
        'UNPROCESSABLE',
      );
    const names = v.objects({ name: row.name, params: values, secrets: {} }).services.map((s) => s.name);
    if (JSON.stringify(names) !== row.services)
      throw new InvalidError(
        `${t.title} ${v.version} would make the services ${names.join(', ')}, not this instance's ${parseJson<string[]>(row.services, []).join(', ')}; an upgrade never changes the members.`,
        [{ path: 'version', message: 'changes the members' }],
        'UNPROCESSABLE',
      );
  }

  // ---- the runner: under the leader lease, resumed after a restart ---------------------------

  start(): void {
    this.runner.start();
  }

  stop(): void {
    this.runner.stop();
  }

  private runLater(id: string): void {
    this.runner.kick(id);
  }

  private async run(id: string): Promise<void> {
    while (this.runner.leading) {
      const row = await this.repo.findById(id);
      const up = row && parseJson<AppInstanceUpgrade | null>(row.upgrade, null);
      if (!row || !up || up.state !== 'running') return;
      if (row.deleting) return this.fail(row, up, 'the instance is being deleted');
      await this.advance(row, up);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** One look: finish the member rolling now, or start the next one, or finish the upgrade. */
  private async advance(row: AppInstanceRow, up: AppInstanceUpgrade): Promise<void> {
    const t = findTemplate(row.app);
    const v = t && findVersion(t, up.to);
    if (!t || !v) return this.fail(row, up, `version ${up.to} is no longer in the catalog`);
    const current = up.steps.find((s) => s.doneAt === null);
    if (current) return this.checkMember(row, up, v, current);
    const rolled = new Set(up.steps.map((s) => s.service));
    const left = parseJson<string[]>(row.services, []).filter((m) => !rolled.has(m));
    if (left.length === 0) {
      const done = { ...up, state: 'done' as const, finishedAt: nowIso() };
      await this.repo.setUpgrade(row.id, JSON.stringify(done), { expected: row.upgrade, version: up.to });
      this.ctx.log.info({ instance: row.name, version: up.to }, 'apps: upgrade done');
      return;
    }
    const next = await this.nextMember(row, v, left);
    if (!next) return; // a member is not serving: rolling another could lose the quorum; wait
    await this.rollMember(row, up, v, next.service, next.role);
  }

  /**
   * The next member: one that is not the leader while there is one (the leader rolls last, so the
   * ensemble elects once). Null while some member is not serving.
   */
  private async nextMember(
    row: AppInstanceRow,
    v: TemplateVersion,
    left: string[],
  ): Promise<{ service: string; role: string | null } | null> {
    if (!v.memberRole) return { service: left[0]!, role: null };
    const roles = new Map<string, string | null>();
    for (const m of parseJson<string[]>(row.services, [])) roles.set(m, await this.role(row, v, m));
    if ([...roles.values()].some((r) => r === null)) return null;
    const service = left.find((m) => roles.get(m) !== 'leader') ?? left[0]!;
    return { service, role: roles.get(service) ?? null };
  }

  private async role(row: AppInstanceRow, v: TemplateVersion, service: string): Promise<string | null> {
    const address = await this.apps.publishedAddress(row, service, v.connection.containerPort);
    return address && v.memberRole ? v.memberRole(address) : null;
  }

  /** The member's service gets the new version's spec as its next release. */
  private async rollMember(
    row: AppInstanceRow,
    up: AppInstanceUpgrade,
    v: TemplateVersion,
    service: string,
    role: string | null,
  ): Promise<void> {
    const secrets = row.secrets_sealed
      ? (JSON.parse(this.deps.secrets.open(row.secrets_sealed)) as Record<string, string>)
      : {};
    const { values } = resolveAppParams(v.parameters, this.params(row));
    const objects = v.objects({ name: row.name, params: values, secrets });
    const at = objects.services.findIndex((s) => s.name === service);
    if (at < 0) return this.fail(row, up, `member ${service} is not made by version ${up.to}`);
    const n = up.steps.length + 1;
    const actor: Actor = { name: `app-upgrade (${up.startedBy})`, via: 'system', csrfToken: null };
    let release: number;
    try {
      const r = await this.deps.services.service.update(
        { project: row.project, env: row.env, service },
        {
          // as the install reads them (the catalog's image where the platform keeps it)
          spec: this.apps.parseSpecs(objects)[at]!,
          reason: `app instance ${row.name}: upgrade ${up.from} -> ${up.to} (member ${n} of ${up.members})`,
        },
        actor,
      );
      release = r.service.release;
    } catch (err) {
      return this.fail(row, up, `member ${service}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const step = { service, role, release, startedAt: nowIso(), doneAt: null };
    await this.repo.setUpgrade(row.id, JSON.stringify({ ...up, steps: [...up.steps, step] }), {
      expected: row.upgrade,
    });
    this.ctx.log.info({ instance: row.name, member: service, role, release }, 'apps: upgrading a member');
  }

  /** The member rolling now: done when its new release is ready (and it serves again), failed when not. */
  private async checkMember(
    row: AppInstanceRow,
    up: AppInstanceUpgrade,
    v: TemplateVersion,
    step: AppInstanceUpgrade['steps'][number],
  ): Promise<void> {
    const s = await this.deps.services.repo.findByPath(row.project, row.env, step.service);
    if (!s || s.deleting) return this.fail(row, up, `member ${step.service}: its service is gone`);
    if (s.release !== step.release)
      return this.fail(
        row,
        up,
        `member ${step.service}: its service was changed to release ${s.release} during the upgrade (release ${step.release} carried ${up.to})`,
      );
    if (s.status === 'failed')
      return this.fail(
        row,
        up,
        `member ${step.service}: release ${step.release} failed to become ready (see the service's rollout and logs)`,
      );
    const ready =
      s.status === 'healthy' && s.stable_release === step.release && s.ready_replicas >= s.replicas;
    const serving = ready && (!v.memberRole || (await this.role(row, v, step.service)) !== null);
    if (serving) {
      const steps = up.steps.map((x) => (x === step ? { ...x, doneAt: nowIso() } : x));
      await this.repo.setUpgrade(row.id, JSON.stringify({ ...up, steps, done: up.done + 1 }), {
        expected: row.upgrade,
      });
      return;
    }
    if (Date.now() - Date.parse(step.startedAt) > memberDeadlineSeconds * 1000)
      return this.fail(
        row,
        up,
        `member ${step.service}: release ${step.release} was not ${ready ? 'serving (back in the quorum)' : 'ready'} within ${memberDeadlineSeconds} s`,
      );
  }

  private async fail(row: AppInstanceRow, up: AppInstanceUpgrade, error: string): Promise<void> {
    const failed = { ...up, state: 'failed' as const, error, finishedAt: nowIso() };
    await this.repo.setUpgrade(row.id, JSON.stringify(failed), { expected: row.upgrade });
    this.ctx.log.warn({ instance: row.name, error }, 'apps: upgrade failed');
  }

  private params(row: AppInstanceRow): Record<string, AppParamValue> {
    return parseJson<Record<string, AppParamValue>>(row.params, {});
  }
}
