/**
 * Config files (docs/configs.md): a project's named sets of text files, every change a numbered
 * version with author, reason and a per-file diff; rollback makes a new version with an old
 * content; what mounts a config is read from the releases' specs (and the versions they run from
 * `config_pins`), and a config something mounts cannot be deleted.
 */
import { lineDiff } from '@berth/gateway-nginx';
import {
  BerthError,
  ConflictError,
  NotFoundError,
  utf8Bytes,
  type Config,
  type ConfigCreate,
  type ConfigFileChange,
  type ConfigRollback,
  type ConfigSummary,
  type ConfigUpdate,
  type ConfigUse,
  type ConfigUsage,
  type ConfigVersion,
  type Mount,
} from '@berth/shared';
import type { AppContext } from '../../http/context';
import { newId, nowIso } from '../../util';
import type { ConfigsTable, ConfigVersionsTable } from '../../db/schema';

export type ConfigRow = ConfigsTable;
type VersionRow = ConfigVersionsTable;
export type Files = Record<string, string>;

/** What a new version did to one consumer (docs/configs.md "Refresh"). */
export interface RefreshOutcome {
  env: string;
  service: string;
  refresh: 'rolling-restart' | 'signal' | 'none';
  /** rolling-restart: the new release; signal/none: the release that now runs the version. */
  release: number | null;
  /** rolling-restart: the rollout's task (GET /api/v1/tasks/{id}). */
  task?: string | null;
  /** signal: containers signalled. */
  signalled?: number;
  error?: string;
}

/** Reacts to a new version (config-refresh.ts); returns what it did per consumer. */
export type RefreshHook = (config: ConfigRow, version: number, actor: string) => Promise<RefreshOutcome[]>;

export function parseFiles(row: Pick<VersionRow, 'files'>): Files {
  return JSON.parse(row.files) as Files;
}

/** Sorted keys: two sets of files compare equal as JSON. */
function canonical(files: Files): string {
  return JSON.stringify(
    Object.fromEntries(
      Object.keys(files)
        .sort()
        .map((k) => [k, files[k]]),
    ),
  );
}

function bytesOf(files: Files): number {
  return Object.values(files).reduce((n, c) => n + utf8Bytes(c), 0);
}

/** The per-file changes from `before` to `after`; `withDiff` false leaves each diff empty. */
export function fileChanges(before: Files, after: Files, withDiff = true): ConfigFileChange[] {
  const paths = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const out: ConfigFileChange[] = [];
  for (const path of paths) {
    const a = before[path];
    const b = after[path];
    if (a === b) continue;
    const change = a === undefined ? 'added' : b === undefined ? 'removed' : 'modified';
    out.push({ path, change, diff: withDiff ? lineDiff(a ?? '', b ?? '') : '' });
  }
  return out;
}

/** The config mounts of a spec that name `config`, with their index. */
export function configMountsOf(
  mounts: Mount[] | undefined,
  config: string,
): { mount: Mount; index: number }[] {
  return (mounts ?? []).flatMap((mount, index) => (mount.config === config ? [{ mount, index }] : []));
}

export class ConfigsService {
  /** Set by the module: what a new version does to the consumers. */
  onNewVersion: RefreshHook = () => Promise.resolve([]);

  constructor(private readonly ctx: AppContext) {}

  private get db() {
    return this.ctx.db;
  }

  async find(project: string, name: string): Promise<ConfigRow | undefined> {
    return this.db
      .selectFrom('configs')
      .selectAll()
      .where('project', '=', project)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  async resolve(project: string, name: string): Promise<ConfigRow> {
    const row = await this.find(project, name);
    if (!row)
      throw new NotFoundError(
        'CONFIG_NOT_FOUND',
        `Config '${name}' does not exist in project '${project}'; list them with GET /api/v1/projects/${project}/configs.`,
      );
    return row;
  }

  async versionRow(configId: string, number: number): Promise<VersionRow | undefined> {
    return this.db
      .selectFrom('config_versions')
      .selectAll()
      .where('config_id', '=', configId)
      .where('number', '=', number)
      .executeTakeFirst();
  }

  async filesOf(configId: string, number: number): Promise<Files | null> {
    const row = await this.versionRow(configId, number);
    return row ? parseFiles(row) : null;
  }

  private async requireVersion(row: ConfigRow, number: number): Promise<VersionRow> {
    const v = await this.versionRow(row.id, number);
    if (!v)
      throw new NotFoundError(
        'NOT_FOUND',
        `Version ${number} of config '${row.name}' does not exist; it has versions 1 to ${row.version}.`,
      );
    return v;
  }

  private summary(row: ConfigRow, files: Files): ConfigSummary {
    return {
      name: row.name,
      description: row.description,
      version: row.version,
      files: Object.keys(files).length,
      bytes: bytesOf(files),
      createdAt: row.created_at,
      createdBy: row.created_by,
      updatedAt: row.updated_at,
      updatedBy: row.updated_by,
    };
  }

  async view(row: ConfigRow): Promise<Config> {
    const files = (await this.filesOf(row.id, row.version)) ?? {};
    return { ...this.summary(row, files), content: files };
  }

  async list(project: string): Promise<ConfigSummary[]> {
    const rows = await this.db
      .selectFrom('configs')
      .innerJoin('config_versions', (j) =>
        j
          .onRef('config_versions.config_id', '=', 'configs.id')
          .onRef('config_versions.number', '=', 'configs.version'),
      )
      .selectAll('configs')
      .select('config_versions.files')
      .where('configs.project', '=', project)
      .orderBy('configs.name')
      .execute();
    return rows.map((r) => this.summary(r, parseFiles(r)));
  }

  async create(project: string, input: ConfigCreate, actor: string): Promise<Config> {
    const proj = await this.db
      .selectFrom('projects')
      .select('name')
      .where('name', '=', project)
      .executeTakeFirst();
    if (!proj) throw new NotFoundError('PROJECT_NOT_FOUND', `Project '${project}' does not exist.`);
    const exists = () =>
      new ConflictError(
        `Config '${input.name}' already exists in project '${project}'; change it with PUT …/configs/${input.name}.`,
        undefined,
        'ALREADY_EXISTS',
      );
    if (await this.find(project, input.name)) throw exists();
    const now = nowIso();
    const row: ConfigRow = {
      id: newId(),
      project,
      name: input.name,
      description: input.description ?? '',
      version: 1,
      created_at: now,
      created_by: actor,
      updated_at: now,
      updated_by: actor,
    };
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('configs').values(row).execute();
        await trx
          .insertInto('config_versions')
          .values({
            config_id: row.id,
            number: 1,
            files: canonical(input.files),
            reason: input.reason ?? 'created',
            rolled_back_from: null,
            created_at: now,
            created_by: actor,
          })
          .execute();
      });
    } catch (err) {
      if (await this.find(project, input.name)) throw exists();
      throw err;
    }
    return { ...this.summary(row, input.files), content: input.files };
  }

  /**
   * Writes a new version (when the files changed) and lets the consumers react. `expected`: the
   * version the caller edited (409 when it is not the current one any more).
   */
  private async newVersion(
    row: ConfigRow,
    files: Files,
    opts: { reason: string; actor: string; expected?: number; rolledBackFrom?: number; description?: string },
  ): Promise<{ config: Config; changed: boolean; refreshed: RefreshOutcome[] }> {
    if (opts.expected !== undefined && opts.expected !== row.version)
      throw new ConflictError(
        `Config '${row.name}' is at version ${row.version}, not ${opts.expected}: someone changed it meanwhile; reload it and apply your change again.`,
        { currentVersion: row.version },
        'VERSION_CONFLICT',
      );
    const current = (await this.filesOf(row.id, row.version)) ?? {};
    const description = opts.description ?? row.description;
    if (canonical(current) === canonical(files)) {
      if (description !== row.description)
        await this.db
          .updateTable('configs')
          .set({ description, updated_at: nowIso(), updated_by: opts.actor })
          .where('id', '=', row.id)
          .execute();
      return { config: await this.view({ ...row, description }), changed: false, refreshed: [] };
    }
    const number = row.version + 1;
    const now = nowIso();
    const ok = await this.db.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable('configs')
        .set({ version: number, description, updated_at: now, updated_by: opts.actor })
        .where('id', '=', row.id)
        .where('version', '=', row.version)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) return false;
      await trx
        .insertInto('config_versions')
        .values({
          config_id: row.id,
          number,
          files: canonical(files),
          reason: opts.reason,
          rolled_back_from: opts.rolledBackFrom ?? null,
          created_at: now,
          created_by: opts.actor,
        })
        .execute();
      return true;
    });
    if (!ok)
      throw new ConflictError(
        `Config '${row.name}' was changed by someone else meanwhile; reload it and apply your change again.`,
        undefined,
        'VERSION_CONFLICT',
      );
    const next: ConfigRow = { ...row, version: number, description, updated_at: now, updated_by: opts.actor };
    const refreshed = await this.onNewVersion(next, number, opts.actor);
    return { config: { ...this.summary(next, files), content: files }, changed: true, refreshed };
  }

  async update(project: string, name: string, input: ConfigUpdate, actor: string) {
    const row = await this.resolve(project, name);
    return this.newVersion(row, input.files, {
      reason: input.reason ?? '',
      actor,
      expected: input.expectedVersion,
      description: input.description,
    });
  }

  async rollback(project: string, name: string, input: ConfigRollback, actor: string) {
    const row = await this.resolve(project, name);
    const target = await this.requireVersion(row, input.version);
    if (input.version === row.version)
      throw new ConflictError(`Config '${name}' is already at version ${input.version}.`);
    const result = await this.newVersion(row, parseFiles(target), {
      reason: input.reason ?? `rollback to version ${input.version}`,
      actor,
      rolledBackFrom: input.version,
    });
    if (!result.changed)
      throw new ConflictError(
        `Version ${input.version} of config '${name}' has the same files as the current version ${row.version}; nothing to roll back.`,
      );
    return result;
  }

  private versionView(v: VersionRow, files: Files, before: Files, withDiff: boolean): ConfigVersion {
    return {
      number: v.number,
      reason: v.reason,
      createdAt: v.created_at,
      createdBy: v.created_by,
      rolledBackFrom: v.rolled_back_from,
      files: Object.keys(files).length,
      bytes: bytesOf(files),
      changes: fileChanges(before, files, withDiff),
    };
  }

  /** Newest first; each with the kind of change per file (the diffs are in GET of one version). */
  async versions(project: string, name: string): Promise<ConfigVersion[]> {
    const row = await this.resolve(project, name);
    const rows = await this.db
      .selectFrom('config_versions')
      .selectAll()
      .where('config_id', '=', row.id)
      .orderBy('number', 'asc')
      .execute();
    let before: Files = {};
    const out: ConfigVersion[] = [];
    for (const v of rows) {
      const files = parseFiles(v);
      out.push(this.versionView(v, files, before, false));
      before = files;
    }
    return out.reverse();
  }

  async version(project: string, name: string, number: number): Promise<ConfigVersion> {
    const row = await this.resolve(project, name);
    const v = await this.requireVersion(row, number);
    const files = parseFiles(v);
    const before = number > 1 ? ((await this.filesOf(row.id, number - 1)) ?? {}) : {};
    return { ...this.versionView(v, files, before, true), content: files };
  }

  async diff(project: string, name: string, from: number, to: number) {
    const row = await this.resolve(project, name);
    const a = parseFiles(await this.requireVersion(row, from));
    const b = parseFiles(await this.requireVersion(row, to));
    return { config: name, from, to, changes: fileChanges(a, b) };
  }

  /**
   * Who mounts the config: every retained release of the project's services whose spec mounts it,
   * with the version it runs (its pin; a release made before its pin was written runs the mount's
   * version or the config's current one).
   */
  async usage(project: string, name: string): Promise<ConfigUsage> {
    const row = await this.resolve(project, name);
    const releases = await this.db
      .selectFrom('releases')
      .innerJoin('services', 'services.id', 'releases.service_id')
      .select([
        'services.id as serviceId',
        'services.env',
        'services.name as service',
        'services.release as currentRelease',
        'releases.number',
        'releases.spec',
      ])
      .where('services.project', '=', project)
      .where('releases.spec', 'like', `%"config":"${name}"%`)
      .orderBy('services.env')
      .orderBy('services.name')
      .orderBy('releases.number', 'desc')
      .execute();
    const pins = await this.db
      .selectFrom('config_pins')
      .selectAll()
      .where('config_id', '=', row.id)
      .execute();
    const pinOf = new Map(pins.map((p) => [`${p.service_id}\n${p.release}\n${p.path}`, p.version]));
    const uses: ConfigUse[] = [];
    for (const r of releases) {
      const spec = JSON.parse(r.spec) as { mounts?: Mount[] };
      for (const { mount } of configMountsOf(spec.mounts, name)) {
        uses.push({
          env: r.env,
          service: r.service,
          release: r.number,
          version: pinOf.get(`${r.serviceId}\n${r.number}\n${mount.path}`) ?? mount.version ?? row.version,
          path: mount.path,
          refresh: mount.refresh ?? 'rolling-restart',
          current: r.number === r.currentRelease,
          pinned: mount.version !== undefined,
        });
      }
    }
    const jobs = await this.db
      .selectFrom('cronjobs')
      .select(['env', 'name', 'spec'])
      .where('project', '=', project)
      .where('deleting', '=', 0)
      .where('spec', 'like', `%"config":"${name}"%`)
      .orderBy('env')
      .orderBy('name')
      .execute();
    const cronJobs = jobs.flatMap((j) =>
      configMountsOf((JSON.parse(j.spec) as { mounts?: Mount[] }).mounts, name).map(({ mount }) => ({
        env: j.env,
        name: j.name,
        path: mount.path,
      })),
    );
    return { config: name, version: row.version, uses, cronJobs };
  }

  /** Refused (409, naming every user) while any service release or cron job mounts it. */
  async remove(project: string, name: string): Promise<void> {
    const row = await this.resolve(project, name);
    const { uses, cronJobs } = await this.usage(project, name);
    if (uses.length || cronJobs.length) {
      const byService = new Map<string, number[]>();
      for (const u of uses) {
        const key = `${u.env}/${u.service}`;
        byService.set(key, [...(byService.get(key) ?? []), u.release]);
      }
      const who = [
        ...[...byService].map(([s, rel]) => `${s} (release ${[...new Set(rel)].join(', ')})`),
        ...[...new Set(cronJobs.map((j) => `cron job ${j.env}/${j.name}`))],
      ].join('; ');
      throw new BerthError(
        'CONFIG_IN_USE',
        `Config '${name}' is mounted by ${who}; remove the mount from those services and cron jobs (or delete them) first — a retained release counts, since a rollback would mount it again.`,
        { uses, cronJobs },
      );
    }
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('config_pins').where('config_id', '=', row.id).execute();
      await trx.deleteFrom('config_versions').where('config_id', '=', row.id).execute();
      await trx.deleteFrom('configs').where('id', '=', row.id).execute();
    });
  }
}
