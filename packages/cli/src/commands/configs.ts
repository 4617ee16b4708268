import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  configCreateSchema,
  configUpdateSchema,
  type Config,
  type ConfigFileChange,
  type ConfigSummary,
  type ConfigUsage,
  type ConfigVersion,
} from '@berth/shared';
import { parseInteger, type OptionSpec } from '../args';
import type { CommandContext, CommandDef } from '../context';
import { CliError, validate } from '../errors';
import { followTask } from '../task-waiter';

const fileOptions: OptionSpec[] = [
  {
    name: 'from-file',
    kind: 'list',
    value: '[NAME=]PATH',
    description: 'a file of the config (named NAME, default its base name); repeat for more',
  },
  {
    name: 'from-dir',
    kind: 'string',
    value: 'DIR',
    description: 'every file under DIR, named by its path relative to DIR',
  },
  { name: 'description', kind: 'string', value: 'TEXT', description: 'what the config is for' },
  { name: 'reason', kind: 'string', value: 'TEXT', description: 'why (kept with the version)' },
];

/** What a new version did to each service that mounts the config. */
interface Refreshed {
  env: string;
  service: string;
  refresh: string;
  release: number | null;
  task?: string | null;
  signalled?: number;
  error?: string;
}

const base = (ctx: CommandContext) => `/api/v1/projects/${encodeURIComponent(ctx.project())}/configs`;
const one = (ctx: CommandContext, name: string) => `${base(ctx)}/${encodeURIComponent(name)}`;

async function walk(dir: string, prefix = ''): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full, rel)));
    else if (entry.isFile()) out.push([rel, full]);
  }
  return out;
}

/** The files named by --from-file and --from-dir (null when neither was given). */
async function readFiles(ctx: CommandContext): Promise<Record<string, string> | null> {
  const files: Record<string, string> = {};
  const dir = ctx.args.string('from-dir');
  const single = ctx.args.list('from-file');
  if (!dir && single.length === 0) return null;
  const pairs: [string, string][] = [];
  if (dir) {
    if (!(await stat(dir).catch(() => null))?.isDirectory())
      throw new CliError(`--from-dir ${dir}: not a directory`, { exitCode: 2 });
    pairs.push(...(await walk(dir)));
  }
  for (const spec of single) {
    const eq = spec.indexOf('=');
    pairs.push(eq > 0 ? [spec.slice(0, eq), spec.slice(eq + 1)] : [path.basename(spec), spec]);
  }
  for (const [name, file] of pairs) {
    const buf = await readFile(file).catch((err: NodeJS.ErrnoException) => {
      throw new CliError(`--from-file ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`, {
        exitCode: 2,
      });
    });
    if (buf.includes(0))
      throw new CliError(`${file}: not a text file (a config holds text only)`, { exitCode: 2 });
    files[name] = buf.toString('utf8');
  }
  return files;
}

function printChanges(ctx: CommandContext, changes: ConfigFileChange[], withDiff: boolean): void {
  if (changes.length === 0) ctx.out.line('no changes');
  for (const c of changes) {
    ctx.out.line(`${c.change === 'added' ? 'A' : c.change === 'removed' ? 'D' : 'M'} ${c.path}`);
    if (withDiff && c.diff) ctx.out.line(c.diff.replace(/^/gm, '    '));
  }
}

/** Prints what the consumers did; with --wait follows each rolling restart's task. */
async function reportRefresh(ctx: CommandContext, refreshed: Refreshed[]): Promise<number> {
  let code = 0;
  for (const r of refreshed) {
    const who = `${r.env}/${r.service}`;
    if (r.error) {
      ctx.out.note(`${who}: ${r.refresh} failed: ${r.error}`);
      code = 1;
    } else if (r.refresh === 'rolling-restart') ctx.out.note(`${who}: rolling to release ${r.release}`);
    else if (r.refresh === 'signal')
      ctx.out.note(`${who}: files updated in place, ${r.signalled ?? 0} containers signalled`);
    else ctx.out.note(`${who}: new containers of release ${r.release} get it (refresh none)`);
  }
  if (!ctx.wait) return code;
  const client = await ctx.client();
  for (const r of refreshed) {
    if (!r.task) continue;
    const task = await followTask(client, r.task, ctx.out);
    if (task.state !== 'succeeded') {
      ctx.out.note(`${r.env}/${r.service}: rollout ${task.state}${task.error ? `: ${task.error}` : ''}`);
      code = 1;
    }
  }
  return code;
}

/** berth configs …: a project's config files, their versions, rollback and usage (docs/configs.md). */
export const configCommands: CommandDef[] = [
  {
    name: 'configs list',
    usage: '-p PROJECT',
    summary: "list a project's configs",
    positionals: { min: 0, max: 0 },
    scoped: true,
    async run(ctx) {
      const res = await (await ctx.client()).get<{ items: ConfigSummary[] }>(base(ctx));
      if (ctx.out.json) ctx.out.printJson(res);
      else
        ctx.out.table(
          res.items,
          [
            { header: 'NAME', value: (c) => c.name },
            { header: 'VERSION', value: (c) => String(c.version) },
            { header: 'FILES', value: (c) => String(c.files) },
            { header: 'BYTES', value: (c) => String(c.bytes) },
            { header: 'UPDATED', value: (c) => `${c.updatedAt} by ${c.updatedBy}` },
          ],
          'no configs',
        );
      return 0;
    },
  },
  {
    name: 'configs get',
    usage: 'NAME -p PROJECT [--version N] [--file PATH]',
    summary: 'show a config: its files, or the content of one file (--file) of a version',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [
      { name: 'version', kind: 'string', value: 'N', description: 'a version (default the current one)' },
      { name: 'file', kind: 'string', value: 'PATH', description: "print only this file's content" },
    ],
    async run(ctx) {
      const client = await ctx.client();
      const v = ctx.args.string('version');
      const content = v
        ? (
            await client.get<ConfigVersion>(
              `${one(ctx, ctx.arg(0))}/versions/${parseInteger(v, '--version', 1, 1e9)}`,
            )
          ).content!
        : (await client.get<Config>(one(ctx, ctx.arg(0)))).content;
      const file = ctx.args.string('file');
      if (file !== undefined) {
        const text = content[file];
        if (text === undefined)
          throw new CliError(
            `config ${ctx.arg(0)} has no file "${file}"; it has: ${Object.keys(content).join(', ')}`,
          );
        ctx.out.raw(text);
        return 0;
      }
      if (ctx.out.json) {
        ctx.out.printJson(
          v ? { version: Number(v), content } : await client.get<Config>(one(ctx, ctx.arg(0))),
        );
        return 0;
      }
      for (const [p, text] of Object.entries(content)) {
        ctx.out.line(`--- ${p} (${Buffer.byteLength(text)} bytes)`);
        ctx.out.line(text);
      }
      return 0;
    },
  },
  {
    name: 'configs create',
    usage:
      'NAME -p PROJECT (--from-file [NAME=]PATH ... | --from-dir DIR) [--description TEXT] [--reason TEXT]',
    summary: 'create a config from files (version 1)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: fileOptions,
    async run(ctx) {
      const files = await readFiles(ctx);
      if (!files) throw ctx.usageError('give the files: --from-file PATH (repeatable) or --from-dir DIR');
      const body = validate(
        configCreateSchema,
        {
          name: ctx.arg(0),
          files,
          description: ctx.args.string('description'),
          reason: ctx.args.string('reason'),
        },
        'config',
      );
      const c = await (await ctx.client()).post<Config>(base(ctx), body);
      if (ctx.out.json) ctx.out.printJson(c);
      else ctx.out.line(`config ${c.name} created: version ${c.version}, ${c.files} files, ${c.bytes} bytes`);
      return 0;
    },
  },
  {
    name: 'configs edit',
    usage:
      'NAME -p PROJECT (--from-file [NAME=]PATH ... | --from-dir DIR | --remove PATH ...) [--merge] [--reason TEXT] [--no-wait]',
    summary:
      'write a new version from files (all files replaced unless --merge); the services that mount it refresh',
    positionals: { min: 1, max: 1 },
    scoped: true,
    startsTask: true,
    options: [
      ...fileOptions,
      { name: 'merge', kind: 'boolean', description: 'keep the current files not given (and not --remove)' },
      { name: 'remove', kind: 'list', value: 'PATH', description: 'drop this file (implies --merge)' },
    ],
    async run(ctx) {
      const client = await ctx.client();
      const current = await client.get<Config>(one(ctx, ctx.arg(0)));
      const given = await readFiles(ctx);
      const remove = ctx.args.list('remove');
      if (!given && remove.length === 0)
        throw ctx.usageError('give the files: --from-file PATH, --from-dir DIR or --remove PATH');
      const merge = ctx.args.bool('merge') || remove.length > 0;
      const files: Record<string, string> = merge ? { ...current.content, ...given } : { ...given };
      for (const p of remove) {
        if (!(p in files))
          throw new CliError(`--remove ${p}: config ${current.name} has no such file`, { exitCode: 2 });
        delete files[p];
      }
      const body = validate(
        configUpdateSchema,
        {
          files,
          reason: ctx.args.string('reason'),
          description: ctx.args.string('description'),
          expectedVersion: current.version,
        },
        'config',
      );
      const res = await client.put<{ config: Config; changed: boolean; refreshed: Refreshed[] }>(
        one(ctx, ctx.arg(0)),
        body,
      );
      if (ctx.out.json) ctx.out.printJson(res);
      else
        ctx.out.line(
          res.changed
            ? `config ${res.config.name}: version ${res.config.version}`
            : `config ${res.config.name}: unchanged (version ${res.config.version})`,
        );
      return reportRefresh(ctx, res.refreshed);
    },
  },
  {
    name: 'configs versions',
    usage: 'NAME -p PROJECT',
    summary: "list a config's versions: author, reason and the files each changed",
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      const res = await (
        await ctx.client()
      ).get<{ items: ConfigVersion[] }>(`${one(ctx, ctx.arg(0))}/versions`);
      if (ctx.out.json) ctx.out.printJson(res);
      else
        ctx.out.table(
          res.items,
          [
            { header: 'VERSION', value: (v) => String(v.number) },
            { header: 'CREATED', value: (v) => `${v.createdAt} by ${v.createdBy}` },
            {
              header: 'CHANGES',
              value: (v) => v.changes.map((c) => `${c.change[0]!.toUpperCase()} ${c.path}`).join(', '),
            },
            {
              header: 'REASON',
              value: (v) => (v.rolledBackFrom ? `${v.reason} (from version ${v.rolledBackFrom})` : v.reason),
            },
          ],
          'no versions',
        );
      return 0;
    },
  },
  {
    name: 'configs diff',
    usage: 'NAME VERSION [TO] -p PROJECT',
    summary: "the line diff of each file: VERSION's changes, or from VERSION to TO",
    positionals: { min: 2, max: 3 },
    scoped: true,
    async run(ctx) {
      const client = await ctx.client();
      const from = parseInteger(ctx.arg(1), 'VERSION', 1, 1e9);
      const to = ctx.optionalArg(2);
      const changes = to
        ? (
            await client.get<{ changes: ConfigFileChange[] }>(`${one(ctx, ctx.arg(0))}/diff`, {
              from: String(from),
              to: String(parseInteger(to, 'TO', 1, 1e9)),
            })
          ).changes
        : (await client.get<ConfigVersion>(`${one(ctx, ctx.arg(0))}/versions/${from}`)).changes;
      if (ctx.out.json) ctx.out.printJson({ changes });
      else printChanges(ctx, changes, true);
      return 0;
    },
  },
  {
    name: 'configs rollback',
    usage: 'NAME VERSION -p PROJECT [--reason TEXT] [--no-wait]',
    summary: 'a new version with the files of VERSION; the services that mount it refresh',
    positionals: { min: 2, max: 2 },
    scoped: true,
    startsTask: true,
    options: [{ name: 'reason', kind: 'string', value: 'TEXT', description: 'why (kept with the version)' }],
    async run(ctx) {
      const res = await (
        await ctx.client()
      ).post<{ config: Config; refreshed: Refreshed[] }>(`${one(ctx, ctx.arg(0))}/rollback`, {
        version: parseInteger(ctx.arg(1), 'VERSION', 1, 1e9),
        ...(ctx.args.string('reason') ? { reason: ctx.args.string('reason') } : {}),
      });
      if (ctx.out.json) ctx.out.printJson(res);
      else
        ctx.out.line(
          `config ${res.config.name}: version ${res.config.version} (the files of version ${ctx.arg(1)})`,
        );
      return reportRefresh(ctx, res.refreshed);
    },
  },
  {
    name: 'configs usage',
    usage: 'NAME -p PROJECT',
    summary: 'which services and which of their releases mount the config, at which version',
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      const res = await (await ctx.client()).get<ConfigUsage>(`${one(ctx, ctx.arg(0))}/usage`);
      if (ctx.out.json) ctx.out.printJson(res);
      else
        ctx.out.table(
          res.uses,
          [
            { header: 'SERVICE', value: (u) => `${u.env}/${u.service}` },
            { header: 'RELEASE', value: (u) => `${u.release}${u.current ? ' (current)' : ''}` },
            { header: 'VERSION', value: (u) => `${u.version}${u.pinned ? ' (pinned)' : ''}` },
            { header: 'PATH', value: (u) => u.path },
            { header: 'REFRESH', value: (u) => u.refresh },
          ],
          `config ${res.config} is not mounted by any service`,
        );
      return 0;
    },
  },
  {
    name: 'configs delete',
    usage: 'NAME -p PROJECT',
    summary: 'delete a config (refused while any service release mounts it)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      await (await ctx.client()).delete(one(ctx, ctx.arg(0)));
      if (ctx.out.json) ctx.out.printJson({ deleted: ctx.arg(0) });
      else ctx.out.line(`config ${ctx.arg(0)} deleted`);
      return 0;
    },
  },
];
