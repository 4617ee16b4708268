import {
  appInstanceCreateSchema,
  type App,
  type AppInstance,
  type AppInstanceCreated,
  type AppInstanceDeleted,
  type AppInstanceDetail,
  type AppParamValue,
  type AppSummary,
  type AppVersion,
} from '@berth/shared';
import type { CommandContext, CommandDef } from '../context';
import { CliError, validate } from '../errors';
import { renderFields } from '../output';

const instancesBase = (ctx: CommandContext) =>
  `/api/v1/projects/${encodeURIComponent(ctx.project())}/envs/${encodeURIComponent(ctx.env())}/app-instances`;
const appPath = (app: string) => `/api/v1/apps/${encodeURIComponent(app)}`;

const members = (i: AppInstance) => i.members.map((m) => `${m.service} ${m.ready}/${m.desired}`).join(', ');

/**
 * `--param k=v` values as the template's parameter types: "true"/"false" for booleans, digits for
 * integers; anything else is sent as a string and the server names what is wrong (params.k).
 */
export function paramsFromFlags(
  pairs: readonly string[],
  version: AppVersion | undefined,
): Record<string, AppParamValue> {
  const out: Record<string, AppParamValue> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`--param must be NAME=VALUE, got "${pair}"`, { exitCode: 2 });
    const name = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    const type = version?.parameters.find((p) => p.name === name)?.type;
    if (type === 'boolean' && (raw === 'true' || raw === 'false')) out[name] = raw === 'true';
    else if (type === 'integer' && /^-?[0-9]+$/.test(raw)) out[name] = Number(raw);
    else out[name] = raw;
  }
  return out;
}

function printConnection(ctx: CommandContext, i: AppInstanceDetail, password?: string): void {
  const c = i.connection;
  ctx.out.line(
    renderFields([
      ['instance', `${i.name} (${i.app} ${i.version})`],
      ['state', i.state],
      ['members', members(i)],
      ['host', c.host],
      ['port', c.port],
      // an ensemble's clients take every member (ZooKeeper's connect string)
      ['in-network host', c.connectString ?? (c.internalHost ? `${c.internalHost}:${c.internalPort}` : null)],
      // Redis replicas: where reads may go (one replica's published port, all of them in-network)
      ...(c.readInternalHost
        ? ([
            ['read host', c.readHost && c.readPort ? `${c.readHost}:${c.readPort}` : null],
            ['read in-network', `${c.readInternalHost}:${c.internalPort}`],
          ] as [string, string | null][])
        : []),
      ['user', c.user],
      ['uri', c.uri],
      [
        'password',
        password ??
          c.password ??
          (c.passwordReadable ? '(hidden; --show-password prints it)' : '(you may not read secrets)'),
      ],
      ['volumes', i.volumes.join(', ')],
      ['configs', i.configs.join(', ')],
    ]),
  );
}

/** An upgrade's progress in one line: members done of all, the member rolling now. */
function upgradeProgress(i: AppInstanceDetail): string {
  const u = i.upgrade;
  if (!u) return '';
  const now = u.steps.find((s) => s.doneAt === null);
  const rolling = now ? `; rolling ${now.service}${now.role ? ` (${now.role})` : ''}` : '';
  return `${u.done} of ${u.members} members on ${u.to}${rolling}`;
}

/** berth apps …: the app store's catalog and a project environment's instances (docs/apps.md). */
export const appCommands: CommandDef[] = [
  {
    name: 'apps list',
    usage: '',
    summary: 'list the app store catalog: middleware templates and their versions',
    positionals: { min: 0, max: 0 },
    async run(ctx) {
      const res = await (await ctx.client()).get<{ items: AppSummary[] }>('/api/v1/apps');
      if (ctx.out.json) ctx.out.printJson(res);
      else
        ctx.out.table(
          res.items,
          [
            { header: 'APP', value: (a) => a.name },
            { header: 'TITLE', value: (a) => a.title },
            { header: 'LATEST', value: (a) => a.latest },
            { header: 'VERSIONS', value: (a) => a.versions.join(', ') },
            { header: 'DESCRIPTION', value: (a) => a.description.en },
          ],
          'the catalog is empty',
        );
      return 0;
    },
  },
  {
    name: 'apps show',
    usage: 'APP [--version V]',
    summary: "show an app template: a version's parameters with defaults and limits, what it creates, notes",
    positionals: { min: 1, max: 1 },
    options: [{ name: 'version', kind: 'string', value: 'V', description: 'a version (default: latest)' }],
    async run(ctx) {
      const app = await (await ctx.client()).get<App>(appPath(ctx.arg(0)));
      if (ctx.out.json) {
        ctx.out.printJson(app);
        return 0;
      }
      const want = ctx.args.string('version') ?? app.latest;
      const v = app.versions.find((x) => x.version === want);
      if (!v)
        throw new CliError(
          `${app.name} has no version ${want}; it has ${app.versions.map((x) => x.version).join(', ')}`,
        );
      ctx.out.line(
        renderFields([
          ['app', `${app.title} (${app.name})`],
          ['version', `${v.version} (${v.softwareVersion})`],
          ['versions', app.versions.map((x) => x.version).join(', ')],
          ['image', v.image],
          [
            'creates',
            (['services', 'volumes', 'configs', 'secrets'] as const)
              .map((k) => `${k}: ${v.creates[k].join(', ') || '-'}`)
              .join('; '),
          ],
          ['password rotation', v.passwordRotation ? 'yes' : 'no'],
          ['description', app.description.en],
        ]),
      );
      ctx.out.table(
        v.parameters,
        [
          { header: 'PARAM', value: (p) => p.name },
          { header: 'TYPE', value: (p) => p.type },
          { header: 'DEFAULT', value: (p) => String(p.default) },
          {
            header: 'ALLOWED',
            value: (p) =>
              p.enum?.join('|') ??
              (p.min !== undefined || p.max !== undefined
                ? `${p.min ?? ''}..${p.max ?? ''}${p.unit ? ` ${p.unit}` : ''}`
                : (p.patternHint ?? '-')),
          },
          { header: 'DESCRIPTION', value: (p) => p.description.en },
        ],
        'no parameters',
      );
      for (const n of v.notes) ctx.out.line(`note: ${n.en}`);
      return 0;
    },
  },
  {
    name: 'apps install',
    usage: 'APP NAME -p PROJECT [-e ENV] [--version V] [--param NAME=VALUE …]',
    summary:
      'install an app into an environment: makes its volumes and services; prints the generated password once',
    positionals: { min: 2, max: 2 },
    scoped: true,
    options: [
      { name: 'version', kind: 'string', value: 'V', description: 'a version (default: latest)' },
      { name: 'param', kind: 'list', value: 'NAME=VALUE', description: 'a parameter (berth apps show APP)' },
    ],
    async run(ctx) {
      const client = await ctx.client();
      const appName = ctx.arg(0);
      const app = await client.get<App>(appPath(appName));
      const version = ctx.args.string('version');
      const v = app.versions.find((x) => x.version === (version ?? app.latest));
      const body = validate(
        appInstanceCreateSchema,
        { app: appName, version, name: ctx.arg(1), params: paramsFromFlags(ctx.args.list('param'), v) },
        'app instance',
      );
      const made = await client.post<AppInstanceCreated>(instancesBase(ctx), body);
      if (ctx.out.json) {
        ctx.out.printJson(made);
        return 0;
      }
      ctx.out.line(`app instance ${made.name} installed (${made.app} ${made.version}); it is ${made.state}`);
      ctx.out.line(`password: ${made.password}`);
      ctx.out.line(
        'The password is shown this once: keep it now. "berth apps instance NAME" shows the connection info.',
      );
      return 0;
    },
  },
  {
    name: 'apps instances',
    usage: '-p PROJECT [-e ENV]',
    summary: "list an environment's app instances with state and members (ready/desired)",
    positionals: { min: 0, max: 0 },
    scoped: true,
    async run(ctx) {
      const res = await (await ctx.client()).get<{ items: AppInstance[] }>(instancesBase(ctx));
      if (ctx.out.json) ctx.out.printJson(res);
      else
        ctx.out.table(
          res.items,
          [
            { header: 'NAME', value: (i) => i.name },
            { header: 'APP', value: (i) => `${i.app} ${i.version}` },
            { header: 'STATE', value: (i) => i.state },
            { header: 'MEMBERS', value: members },
            { header: 'VOLUMES', value: (i) => i.volumes.join(', ') || '-' },
            { header: 'CREATED BY', value: (i) => i.createdBy },
          ],
          'no app instances',
        );
      return 0;
    },
  },
  {
    name: 'apps instance',
    usage: 'NAME -p PROJECT [-e ENV] [--show-password]',
    summary: 'show an app instance: state, members and connection info (host, port, user, URI)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [
      {
        name: 'show-password',
        kind: 'boolean',
        description: 'print the password too (needs the permission to exec into services)',
      },
    ],
    async run(ctx) {
      const reveal = ctx.args.bool('show-password');
      const i = await (
        await ctx.client()
      ).get<AppInstanceDetail>(`${instancesBase(ctx)}/${encodeURIComponent(ctx.arg(0))}`, {
        ...(reveal ? { reveal: 'true' } : {}),
      });
      if (ctx.out.json) ctx.out.printJson(i);
      else printConnection(ctx, i);
      if (reveal && !i.connection.passwordReadable)
        ctx.out.warn('you may not read this project’s secrets (developers and team admins may)');
      return 0;
    },
  },
  {
    name: 'apps rotate-password',
    usage: 'NAME -p PROJECT [-e ENV]',
    summary: 'generate a new password for an instance; its members restart with it; prints it once',
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      const r = await (
        await ctx.client()
      ).post<AppInstanceCreated>(`${instancesBase(ctx)}/${encodeURIComponent(ctx.arg(0))}/rotate-password`);
      if (ctx.out.json) ctx.out.printJson(r);
      else {
        ctx.out.line(`password of ${r.name} rotated; its members roll to it`);
        ctx.out.line(`password: ${r.password}`);
      }
      return 0;
    },
  },
  {
    name: 'apps upgrade',
    usage: 'NAME --version V -p PROJECT [-e ENV] [--wait]',
    summary:
      'upgrade an app instance to a newer template version: its members roll one at a time (the leader last)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [
      { name: 'version', kind: 'string', value: 'V', description: 'the newer version (berth apps show APP)' },
      { name: 'wait', kind: 'boolean', description: 'wait until every member runs the new version' },
    ],
    async run(ctx) {
      const version = ctx.args.string('version');
      if (!version) throw ctx.usageError('give the version to upgrade to: --version V');
      const client = await ctx.client();
      const path = `${instancesBase(ctx)}/${encodeURIComponent(ctx.arg(0))}`;
      let i = await client.post<AppInstanceDetail>(`${path}/upgrade`, { version });
      if (!ctx.out.json) ctx.out.line(`app instance ${i.name}: upgrading ${i.version} -> ${version}`);
      let shown = '';
      while (ctx.args.bool('wait') && i.upgrade?.state === 'running') {
        await new Promise((r) => setTimeout(r, 2000));
        i = await client.get<AppInstanceDetail>(path);
        const line = upgradeProgress(i);
        if (line !== shown && !ctx.out.json) ctx.out.line(line);
        shown = line;
      }
      if (ctx.out.json) ctx.out.printJson(i);
      if (i.upgrade?.state === 'failed')
        throw new CliError(`upgrade of ${i.name} failed: ${i.upgrade.error ?? ''}`);
      if (!ctx.out.json && i.upgrade?.state === 'done') ctx.out.line(`${i.name} runs ${i.app} ${i.version}`);
      return 0;
    },
  },
  {
    name: 'apps delete',
    usage: 'NAME -p PROJECT [-e ENV] (--keep-volumes | --delete-volumes)',
    summary:
      "delete an app instance's services, and its volumes unless --keep-volumes (a choice is required)",
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [
      {
        name: 'keep-volumes',
        kind: 'boolean',
        description: 'keep the data volumes (ordinary volumes after)',
      },
      { name: 'delete-volumes', kind: 'boolean', description: 'delete the data volumes with the instance' },
    ],
    async run(ctx) {
      const keep = ctx.args.bool('keep-volumes');
      if (keep === ctx.args.bool('delete-volumes'))
        throw ctx.usageError('say what happens to the data: give --keep-volumes or --delete-volumes');
      const r = await (
        await ctx.client()
      ).delete<AppInstanceDeleted>(
        `${instancesBase(ctx)}/${encodeURIComponent(ctx.arg(0))}?keepVolumes=${keep ? 'true' : 'false'}`,
      );
      if (ctx.out.json) ctx.out.printJson(r);
      else {
        ctx.out.line(`app instance ${r.name}: deleting services ${r.servicesDeleted.join(', ') || '-'}`);
        if (r.volumesKept.length) ctx.out.line(`volumes kept: ${r.volumesKept.join(', ')}`);
        if (r.volumesDeleted.length)
          ctx.out.line(`volumes deleted once the services are gone: ${r.volumesDeleted.join(', ')}`);
      }
      return 0;
    },
  },
];
