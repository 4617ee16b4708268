/**
 * Backups and restores of app instances (docs/apps.md "Backups"). A backup is a file in the
 * instance's own backups volume (`{name}-backups`, an ordinary volume of the environment: it
 * counts in the quota, keeps the files when the member's container goes, and exports like any
 * volume). Every step — a backup, a restore, reading the volume — is a one-off container of the
 * app's own image (it has the client tools) on the environment's network, running the template's
 * constant script with its inputs as environment variables (templates/backup.ts). Scheduled
 * backups are an ordinary cron job of the environment (`{name}-backup`) running the same script.
 *
 * The volume is the record of finished backups: the list reads it (file, size, time); a backup
 * on demand that is running or failed, and the latest restore, are kept in memory (a restart of
 * Berth forgets them, not the files); a scheduled run that is running or failed comes from the
 * cron job's run records.
 */
import { randomBytes } from 'node:crypto';
import type { ContainerEngine, VolumeMount } from '@berth/engine-api';
import {
  BerthError,
  ConflictError,
  NotFoundError,
  type AppBackup,
  type AppBackupList,
  type AppBackupSchedule,
  type AppBackupScheduleRequest,
  type AppInstanceDetail,
  type AppParamValue,
  type AppRestore,
  type CronJobSpecInput,
  type CronRunView,
} from '@berth/shared';
import type { AppContext, Actor } from '../../http/context';
import type { Engines } from '../../runtime/engines';
import type { SecretBox } from '../../crypto/secret-box';
import { nowIso, parseJson } from '../../util';
import { listDirectory, fileContent, archiveOf } from '../containers/container-files';
import { cronCluster } from '../cronjobs/cron-scheduler';
import type { CronJobsService } from '../cronjobs/cronjobs.service';
import { quotaDefaults } from '../quotas/quotas';
import { imageRefOnCluster } from '../registry/image-ref';
import { restrictedLimits, type ContainerRunner } from '../services/controller/container-runner';
import { envNetwork } from '../services/controller/env-networks';
import type { ServicesModuleDeps } from '../services/services-deps';
import type { VolumesService } from '../volumes/volumes.service';
import type { AppsRepository, AppInstanceRow } from './apps.repository';
import type { AppsService } from './apps.service';
import { findTemplate, findVersion } from './templates';
import { backupScript, restoreScript, shippedBackups, type BackupHook } from './templates/backup';
import type { TemplateVersion } from './templates/template';

export interface AppBackupsDeps {
  ctx: AppContext;
  apps: AppsService;
  repo: AppsRepository;
  engines: Engines;
  services: ServicesModuleDeps;
  volumes: VolumesService;
  cronjobs: CronJobsService;
  runner: ContainerRunner;
  secrets: SecretBox;
}

/** Labels of the step containers (not `berth.instance` nor `berth.cron-instance`: those sweeps remove unknown containers). */
const stepLabel = 'berth.app-backup-step';
/** Where a restore step mounts the backups volume (read-only). */
const restoreDir = '/berth-backups';
/** A step's output kept for its message: the last lines. */
const messageLines = 12;

interface Step {
  what: 'backup' | 'restore' | 'browse';
  script: string;
  env: Record<string, string>;
  mounts: { volume: string; path: string; readOnly?: boolean }[];
  memoryMiB?: number;
}

export class AppBackups {
  /** Backups on demand that are running or failed, by instance id then file. */
  private readonly manual = new Map<string, Map<string, AppBackup>>();
  /** The latest restore of each instance (by id). */
  private readonly restores = new Map<string, AppRestore>();
  private sweeper: NodeJS.Timeout | null = null;

  constructor(private readonly deps: AppBackupsDeps) {}

  // ---- what an instance's backups are ------------------------------------------------------

  private async instance(
    project: string,
    env: string,
    name: string,
    actor: Actor,
  ): Promise<{ row: AppInstanceRow; detail: AppInstanceDetail; v: TemplateVersion; hook: BackupHook }> {
    const detail = await this.deps.apps.get(project, env, name, actor, false);
    const row = (await this.deps.repo.find(project, env, name))!;
    const t = findTemplate(row.app);
    const v = t && findVersion(t, row.version);
    const shipped = shippedBackups[row.app];
    const hook = v
      ? (v.backup ?? (typeof shipped === 'function' ? shipped(this.params(row)) : shipped))
      : undefined;
    if (!v || !hook)
      throw new BerthError(
        'UNPROCESSABLE',
        `${t?.title ?? row.app} ${row.version} instances have no backups in Berth yet; export the data volume instead (GET …/volumes/${name}-data/export).`,
      );
    return { row, detail, v, hook };
  }

  private params(row: AppInstanceRow): Record<string, AppParamValue> {
    return parseJson<Record<string, AppParamValue>>(row.params, {});
  }

  private secrets(row: AppInstanceRow): Record<string, string> {
    return JSON.parse(this.deps.secrets.open(row.secrets_sealed)) as Record<string, string>;
  }

  /** The variables of every step: where the member is, which instance, and the hook's own. */
  private stepEnv(row: AppInstanceRow, v: TemplateVersion, hook: BackupHook) {
    const vars = [
      { name: 'BERTH_HOST', value: v.connection.service.replace(/\{name\}/g, row.name) },
      { name: 'BERTH_INSTANCE', value: row.name },
      { name: 'BERTH_BACKUP_EXT', value: hook.extension },
      ...hook.env({ params: this.params(row), secrets: this.secrets(row) }),
    ];
    return vars;
  }

  /** The member's memory limit: a restore may load the whole data set (Redis). */
  private memoryOf(row: AppInstanceRow, v: TemplateVersion): number {
    const objects = v.objects({ name: row.name, params: this.params(row), secrets: this.secrets(row) });
    return Math.max(128, objects.services[0]?.spec.resources?.memoryMiB ?? 256);
  }

  private volumeName(row: AppInstanceRow): string {
    return `${row.name}-backups`;
  }

  private jobName(row: AppInstanceRow): string {
    return `${row.name}-backup`;
  }

  /** The backups volume, made on first use with the data volume's class and size. */
  private async ensureVolume(row: AppInstanceRow, actor: Actor): Promise<string> {
    const name = this.volumeName(row);
    if (await this.deps.volumes.row(row.project, row.env, name)) return name;
    const params = this.params(row);
    await this.deps.volumes.create(
      row.project,
      row.env,
      { name, class: String(params.volumeClass ?? 'local'), sizeMiB: Number(params.storageMiB ?? 1024) },
      actor.name,
    );
    // one of the instance's volumes from now on: deleted or kept with it (keepVolumes)
    const fresh = await this.deps.repo.findById(row.id);
    const volumes = parseJson<string[]>(fresh?.volumes ?? row.volumes, []);
    if (!volumes.includes(name))
      await this.deps.ctx.db
        .updateTable('app_instances')
        .set({ volumes: JSON.stringify([...volumes, name]), updated_at: nowIso() })
        .where('id', '=', row.id)
        .execute();
    return name;
  }

  // ---- the list ----------------------------------------------------------------------------

  async list(project: string, env: string, name: string, actor: Actor): Promise<AppBackupList> {
    const { row, v, hook } = await this.instance(project, env, name, actor);
    const volume = (await this.deps.volumes.row(project, env, this.volumeName(row)))
      ? this.volumeName(row)
      : null;
    const items: AppBackup[] = [];
    const files = volume ? await this.files(row, v, hook) : [];
    for (const f of files) items.push(f);
    for (const b of this.manual.get(row.id)?.values() ?? [])
      if (!files.some((f) => f.file === b.file)) items.push(b);
    const schedule = await this.schedule(row);
    if (schedule)
      for (const r of await this.deps.cronjobs.runs({ project, env, name: schedule.cronJob }))
        if (r.state !== 'succeeded') items.push(runBackup(r));
    items.sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''));
    return {
      items,
      volume,
      kind: hook.kind,
      schedule,
      restore: this.restores.get(row.id) ?? null,
      nextCursor: null,
    };
  }

  /** The finished backup files in the volume (read through a short-lived container). */
  private async files(row: AppInstanceRow, v: TemplateVersion, hook: BackupHook): Promise<AppBackup[]> {
    return this.browse(row, v, hook, async (engine, id) => {
      const { items } = await listDirectory(archiveOf(engine), id, hook.backupsPath);
      return items
        .filter((f) => f.type === 'file' && !f.name.startsWith('.') && f.name.endsWith(hook.extension))
        .map((f) => fileBackup(row.name, f.name, f.size, f.mtime, hook.extension));
    });
  }

  async download(
    project: string,
    env: string,
    name: string,
    id: string,
    actor: Actor,
  ): Promise<{ stream: AsyncIterable<Buffer>; file: string; sizeBytes: number | null }> {
    const { row, v, hook } = await this.instance(project, env, name, actor);
    const backup = await this.findFile(row, v, hook, id);
    const { engine, id: container } = await this.startBrowser(row, v, hook);
    const remove = () => void engine.removeContainer(container).catch(() => undefined);
    const source = fileContent(archiveOf(engine), container, `${hook.backupsPath}/${backup.file}`);
    async function* stream() {
      try {
        yield* source;
      } finally {
        remove();
      }
    }
    return { stream: stream(), file: backup.file!, sizeBytes: backup.sizeBytes };
  }

  /** A finished backup by id, or 404 naming the list. */
  private async findFile(row: AppInstanceRow, v: TemplateVersion, hook: BackupHook, id: string) {
    const hasVolume = await this.deps.volumes.row(row.project, row.env, this.volumeName(row));
    const found = hasVolume ? (await this.files(row, v, hook)).find((b) => b.id === id) : undefined;
    if (!found)
      throw new NotFoundError(
        'NOT_FOUND',
        `App instance '${row.name}' has no finished backup '${id}'; GET …/app-instances/${row.name}/backups lists them.`,
      );
    return found;
  }

  // ---- backup on demand ----------------------------------------------------------------------

  /** 202: the step runs in the background; the list shows it running, then its file. */
  async backup(project: string, env: string, name: string, actor: Actor): Promise<AppBackup> {
    const { row, detail, v, hook } = await this.instance(project, env, name, actor);
    if (detail.state !== 'running') throw notRunning(row.name, detail.state, 'backed up');
    if (this.restores.get(row.id)?.state === 'running') throw restoring(row.name);
    const volume = await this.ensureVolume(row, actor);
    const file = `${row.name}-${stamp(new Date())}${hook.extension}`;
    const mine = this.manual.get(row.id) ?? new Map<string, AppBackup>();
    this.manual.set(row.id, mine);
    if (mine.get(file)?.state === 'running')
      throw new ConflictError(`A backup of '${row.name}' started this second; try again in a second.`);
    const record: AppBackup = {
      id: file,
      file,
      sizeBytes: null,
      state: 'running',
      startedAt: nowIso(),
      finishedAt: null,
      message: null,
      trigger: 'manual',
    };
    mine.set(file, record);
    const env_ = {
      ...plain(this.stepEnv(row, v, hook)),
      BERTH_BACKUP_DIR: hook.backupsPath,
      BERTH_BACKUP_FILE: file,
    };
    void this.runStep(row, v, {
      what: 'backup',
      script: backupScript(hook),
      env: env_,
      mounts: [{ volume, path: hook.backupsPath }, ...dumpMounts(row, hook)],
    })
      .then(({ ok, output }) => {
        if (ok) mine.delete(file);
        else Object.assign(record, { state: 'failed', message: output, finishedAt: nowIso() });
      })
      .catch((err: unknown) =>
        Object.assign(record, { state: 'failed', message: errorText(err), finishedAt: nowIso() }),
      );
    return { ...record };
  }

  async remove(project: string, env: string, name: string, id: string, actor: Actor): Promise<void> {
    const { row, v, hook } = await this.instance(project, env, name, actor);
    const failed = this.manual.get(row.id)?.get(id);
    if (failed && failed.state === 'failed') {
      this.manual.get(row.id)!.delete(id);
      return;
    }
    const backup = await this.findFile(row, v, hook, id);
    const { ok, output } = await this.runStep(row, v, {
      what: 'browse',
      script: 'rm -f -- "$BERTH_BACKUP_DIR/$BERTH_BACKUP_FILE"',
      env: { BERTH_BACKUP_DIR: hook.backupsPath, BERTH_BACKUP_FILE: backup.file! },
      mounts: [{ volume: this.volumeName(row), path: hook.backupsPath }],
    });
    if (!ok) throw new BerthError('INTERNAL', `Removing backup '${id}' failed: ${output}`);
  }

  // ---- restore -------------------------------------------------------------------------------

  /**
   * 202: the restore runs in the background (the list's `restore` says how it went). 409 while
   * the instance is not running, or a restore or an upgrade of it runs.
   */
  async restore(project: string, env: string, name: string, id: string, actor: Actor): Promise<AppRestore> {
    const { row, detail, v, hook } = await this.instance(project, env, name, actor);
    if (this.restores.get(row.id)?.state === 'running') throw restoring(row.name);
    if ((row as { upgrade?: string | null }).upgrade?.includes('"state":"running"'))
      throw new ConflictError(`App instance '${row.name}' is being upgraded; restore it after the upgrade.`);
    if (detail.state !== 'running') throw notRunning(row.name, detail.state, 'restored');
    const backup = await this.findFile(row, v, hook, id);
    // checked again after the awaits: two restores asked at once, one runs
    if (this.restores.get(row.id)?.state === 'running') throw restoring(row.name);
    const restore: AppRestore = {
      backupId: backup.id,
      state: 'running',
      startedAt: nowIso(),
      finishedAt: null,
      message: null,
      startedBy: actor.name,
    };
    this.restores.set(row.id, restore);
    void this.runRestore(row, v, hook, backup.file!, actor)
      .then((message) => Object.assign(restore, { state: 'succeeded', message }))
      .catch((err: unknown) => Object.assign(restore, { state: 'failed', message: errorText(err) }))
      .finally(() => (restore.finishedAt = nowIso()));
    return { ...restore };
  }

  private async runRestore(
    row: AppInstanceRow,
    v: TemplateVersion,
    hook: BackupHook,
    file: string,
    actor: Actor,
  ): Promise<string> {
    const fill = (s: string) => s.replace(/\{name\}/g, row.name);
    const step: Step = {
      what: 'restore',
      script: restoreScript(hook),
      env: { ...plain(this.stepEnv(row, v, hook)), BERTH_BACKUP_DIR: restoreDir, BERTH_BACKUP_FILE: file },
      mounts: [
        { volume: this.volumeName(row), path: restoreDir, readOnly: true },
        ...(hook.restore.mounts ?? []).map((m) => ({ volume: fill(m.volume), path: m.path })),
      ],
      memoryMiB: this.memoryOf(row, v),
    };
    if (hook.restore.mode === 'online') {
      const { ok, output } = await this.runStep(row, v, step);
      if (!ok) throw new Error(output);
      return output;
    }
    const members = hook.restore.stop?.map(fill) ?? parseJson<string[]>(row.services, []);
    const stopped: string[] = [];
    try {
      for (const service of members) {
        const s = await this.deps.services.repo.findByPath(row.project, row.env, service);
        if (!s || s.stopped) continue;
        await this.deps.services.service.stop({ project: row.project, env: row.env, service }, actor);
        stopped.push(service);
      }
      for (const service of stopped) await this.waitStopped(row, service);
      const { ok, output } = await this.runStep(row, v, step);
      if (!ok) throw new Error(output);
      return output;
    } finally {
      for (const service of stopped)
        await this.deps.services.service
          .start({ project: row.project, env: row.env, service }, actor)
          .catch((err: unknown) =>
            this.deps.ctx.log.warn({ err, service }, 'apps: starting a member after a restore failed'),
          );
    }
  }

  /** Until the member's containers are gone (a stopped service's), at most five minutes. */
  private async waitStopped(row: AppInstanceRow, service: string): Promise<void> {
    for (let i = 0; i < 600; i += 1) {
      const s = await this.deps.services.repo.findByPath(row.project, row.env, service);
      if (!s || (await this.deps.services.repo.activeContainers(s.id)).length === 0) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`member '${service}' did not stop within five minutes; nothing was restored`);
  }

  // ---- the schedule: an ordinary cron job ----------------------------------------------------

  private async schedule(row: AppInstanceRow): Promise<AppBackupSchedule | null> {
    const path = { project: row.project, env: row.env, name: this.jobName(row) };
    const job = await this.deps.cronjobs.get(path).catch((err: unknown) => {
      if (err instanceof NotFoundError) return null;
      throw err;
    });
    if (!job) return null;
    const keep = job.spec.env.find((e) => e.name === 'BERTH_BACKUP_KEEP')?.value;
    return {
      cronJob: job.name,
      schedule: job.spec.schedule,
      timeZone: job.spec.timeZone,
      keep: Number(keep ?? 0),
      nextRunAt: job.nextRunAt,
    };
  }

  async putSchedule(
    project: string,
    env: string,
    name: string,
    req: AppBackupScheduleRequest,
    actor: Actor,
  ): Promise<AppBackupSchedule> {
    const { row, v, hook } = await this.instance(project, env, name, actor);
    const volume = await this.ensureVolume(row, actor);
    const spec = this.jobSpec(row, v, hook, volume, req);
    const path = { project, env, name: this.jobName(row) };
    const displayName = `Backups of app instance ${row.name}`;
    const exists = await this.deps.cronjobs.get(path).catch(() => null);
    if (exists) await this.deps.cronjobs.update(path, { spec: spec as never, displayName }, actor);
    else
      await this.deps.cronjobs.create(
        project,
        env,
        { name: path.name, displayName, spec: spec as never },
        actor,
      );
    return (await this.schedule(row))!;
  }

  async deleteSchedule(project: string, env: string, name: string, actor: Actor): Promise<void> {
    const { row } = await this.instance(project, env, name, actor);
    await this.removeJob(row, actor);
  }

  private async removeJob(row: AppInstanceRow, actor: Actor): Promise<void> {
    await this.deps.cronjobs
      .remove({ project: row.project, env: row.env, name: this.jobName(row) }, actor)
      .catch((err: unknown) => {
        if (!(err instanceof NotFoundError)) throw err;
      });
  }

  /** The cron job's spec: the backup script of the template, the file name made by the run. */
  private jobSpec(
    row: AppInstanceRow,
    v: TemplateVersion,
    hook: BackupHook,
    volume: string,
    req: AppBackupScheduleRequest,
  ): CronJobSpecInput {
    return {
      schedule: req.schedule,
      timeZone: req.timeZone,
      image: v.image,
      command: ['bash', '-c', backupScript(hook)],
      env: [
        ...this.stepEnv(row, v, hook).map((e) => ({ ...e, secret: 'secret' in e && e.secret === true })),
        { name: 'BERTH_BACKUP_DIR', value: hook.backupsPath, secret: false },
        { name: 'BERTH_BACKUP_KEEP', value: String(req.keep), secret: false },
      ],
      mounts: [{ volume, path: hook.backupsPath }, ...dumpMounts(row, hook)],
      resources: { memoryMiB: 256 },
      concurrencyPolicy: 'forbid',
      successfulRunsHistoryLimit: 3,
      failedRunsHistoryLimit: 3,
    };
  }

  // ---- the sweep: schedules of deleted instances, and new passwords --------------------------

  /** Under the leader lease (apps.module.ts): every 10 s. */
  start(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => void this.sweep(), 10_000);
    this.sweeper.unref();
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }

  /**
   * A deleted instance's backup cron job goes (its volume can go after it); a schedule made
   * before a password rotation gets the new password.
   */
  async sweep(): Promise<void> {
    const system: Actor = { name: 'system:app-backups', via: 'system', csrfToken: null };
    try {
      for (const row of await this.deps.repo.deleting()) await this.removeJob(row, system);
    } catch (err) {
      this.deps.ctx.log.warn({ err }, 'apps: removing the backup schedules of deleted instances failed');
    }
    const live = await this.deps.ctx.db
      .selectFrom('app_instances')
      .selectAll()
      .where('deleting', '=', 0)
      .execute()
      .catch(() => []);
    for (const row of live)
      await this.refreshPassword(row, system).catch((err: unknown) =>
        this.deps.ctx.log.warn(
          { err, instance: row.name },
          'apps: updating a backup schedule after a rotation failed',
        ),
      );
  }

  /** The cron job carries the passwords as secret variables: a rotation after it was written renews them. */
  private async refreshPassword(row: AppInstanceRow, actor: Actor): Promise<void> {
    const path = { project: row.project, env: row.env, name: this.jobName(row) };
    const job = await this.deps.cronjobs.get(path).catch(() => null);
    if (!job || job.updatedAt >= row.password_set_at) return;
    const t = findTemplate(row.app);
    const v = t && findVersion(t, row.version);
    const shipped = shippedBackups[row.app];
    const hook = v
      ? (v.backup ?? (typeof shipped === 'function' ? shipped(this.params(row)) : shipped))
      : undefined;
    if (!v || !hook) return;
    const keep = Number(job.spec.env.find((e) => e.name === 'BERTH_BACKUP_KEEP')?.value ?? 7);
    const spec = this.jobSpec(row, v, hook, this.volumeName(row), {
      schedule: job.spec.schedule,
      timeZone: job.spec.timeZone,
      keep,
    });
    await this.deps.cronjobs.update(path, { spec: spec as never, displayName: job.displayName }, actor);
  }

  // ---- one-off step containers -------------------------------------------------------------

  private async clusterOf(env: string): Promise<string> {
    const e = await this.deps.ctx.db
      .selectFrom('environments')
      .select('clusters')
      .where('name', '=', env)
      .executeTakeFirst();
    return cronCluster(e?.clusters ?? null, this.deps.engines.local.cluster);
  }

  /** Starts a step's container; the caller waits for it or reads its files, then removes it. */
  private async startContainer(
    row: AppInstanceRow,
    v: TemplateVersion,
    step: Step,
  ): Promise<{ engine: ContainerEngine; id: string }> {
    const { ctx, engines, runner, volumes } = this.deps;
    const cluster = await this.clusterOf(row.env);
    const engine = await engines.get(cluster);
    const where = await engines.addresses(cluster);
    const imageRef = imageRefOnCluster(v.image, ctx.config.registryListen, where.registry);
    const image = await runner.image(v.image, engine, imageRef);
    const user = await runner.runAs({ runAsRoot: false }, image, engine);
    const mounts: VolumeMount[] = [];
    for (const m of step.mounts) {
      const vrow = await volumes.resolve(row.project, row.env, m.volume);
      const name = await volumes.engineVolume(vrow, cluster, engine);
      mounts.push({ name, destination: m.path, ...(m.readOnly ? { readOnly: true } : {}) });
    }
    const id = await engine.runContainer({
      name: `app-${step.what}-${row.project}-${row.env}-${row.name}-${randomBytes(4).toString('hex')}`,
      image: imageRef,
      command: ['bash', '-c', step.script],
      env: step.env,
      labels: { [stepLabel]: ctx.config.instanceId, 'berth.project': row.project, 'berth.env': row.env },
      ports: [],
      ...restrictedLimits(
        { resources: { memoryMiB: step.memoryMiB ?? 256 } },
        await quotaDefaults(ctx.db, row.project),
        ctx.config.containers.pidsLimit,
      ),
      user,
      volumes: mounts,
      // the env's network: the step reaches the member by its service name (docs/networks.md)
      network: envNetwork(ctx.config.instanceId, cluster, row.project, row.env),
    });
    return { engine, id };
  }

  /** Runs a step to its end: ok when it exits 0; `output` is its last lines. */
  private async runStep(
    row: AppInstanceRow,
    v: TemplateVersion,
    step: Step,
  ): Promise<{ ok: boolean; output: string }> {
    const { engine, id } = await this.startContainer(row, v, step);
    try {
      const code = await engine.waitContainer!(id);
      const lines: string[] = [];
      for await (const l of engine.logs(id, { tail: messageLines })) lines.push(l.text.trimEnd());
      const output = lines.join('\n').slice(-2000);
      return { ok: code === 0, output: code === 0 ? output : `exit ${code}: ${output}` };
    } finally {
      await engine.removeContainer(id).catch(() => undefined);
    }
  }

  private startBrowser(row: AppInstanceRow, v: TemplateVersion, hook: BackupHook) {
    return this.startContainer(row, v, {
      what: 'browse',
      // long enough for a download; removed as soon as the read ends
      script: 'sleep 3600',
      env: {},
      mounts: [{ volume: this.volumeName(row), path: hook.backupsPath, readOnly: true }],
      memoryMiB: 64,
    });
  }

  /** Reads the backups volume through a container that only sleeps, removed afterwards. */
  private async browse<T>(
    row: AppInstanceRow,
    v: TemplateVersion,
    hook: BackupHook,
    read: (engine: ContainerEngine, id: string) => Promise<T>,
  ): Promise<T> {
    const { engine, id } = await this.startBrowser(row, v, hook);
    try {
      return await read(engine, id);
    } finally {
      await engine.removeContainer(id).catch(() => undefined);
    }
  }
}

/** `20261207T084005Z`: a file name's UTC time, sortable as text. */
function stamp(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

function fromStamp(s: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z` : null;
}

/** A finished backup from its file: `<instance>-<UTC time>[-scheduled]<ext>`. */
function fileBackup(instance: string, file: string, size: number, mtime: string, ext: string): AppBackup {
  const stem = file.slice(0, -ext.length);
  const scheduled = stem.endsWith('-scheduled');
  const time = (scheduled ? stem.slice(0, -'-scheduled'.length) : stem).slice(instance.length + 1);
  return {
    id: file,
    file,
    sizeBytes: size,
    state: 'succeeded',
    startedAt: fromStamp(time) ?? mtime,
    finishedAt: mtime,
    message: null,
    trigger: scheduled ? 'schedule' : 'manual',
  };
}

/** A scheduled run that has no file (yet): running, or failed with its reason. */
function runBackup(r: CronRunView): AppBackup {
  const running = ['pending', 'running', 'backoff'].includes(r.state);
  return {
    id: `run-${r.id}`,
    file: null,
    sizeBytes: null,
    state: running ? 'running' : 'failed',
    startedAt: r.startedAt ?? r.createdAt,
    finishedAt: r.finishedAt,
    message: r.message ?? (running ? null : r.state),
    trigger: 'schedule',
  };
}

/** The hook's read-only mounts of the dump step, named for this instance. */
function dumpMounts(row: AppInstanceRow, hook: BackupHook) {
  return (hook.dumpMounts ?? []).map((m) => ({
    volume: m.volume.replace(/\{name\}/g, row.name),
    path: m.path,
    readOnly: true,
  }));
}

function plain(vars: { name: string; value: string }[]): Record<string, string> {
  return Object.fromEntries(vars.map((e) => [e.name, e.value]));
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function notRunning(name: string, state: string, what: string): ConflictError {
  return new ConflictError(
    `App instance '${name}' is ${state}; it can be ${what} only while it is running (GET …/app-instances/${name} shows its state).`,
    undefined,
    'CONFLICT',
  );
}

function restoring(name: string): ConflictError {
  return new ConflictError(
    `A restore of app instance '${name}' is running; wait for it (GET …/app-instances/${name}/backups shows it).`,
    undefined,
    'CONFLICT',
  );
}
