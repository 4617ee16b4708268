import {
  createRegistryRequestSchema,
  embeddedRegistryName,
  localStoreRegistryName,
  publicRepositoryRequestSchema,
  updateRegistryRequestSchema,
  type RegistryAssignment,
  type DeleteTagResult,
  type ImageRepository,
  type ImageTag,
  type Registry,
  type RegistryTestResult,
  type Task,
} from '@berth/shared';
import type { OptionSpec } from '../args';
import type { CommandContext, CommandDef } from '../context';
import { CliError, validate } from '../errors';
import { formatAge, formatBytes, type Column } from '../output';
import { promptSecret, readStdinText } from '../prompt';
import { followTask, isTerminal } from '../task-waiter';
import { displayNameOption, limitOf, limitOption } from './common';

const registryOption: OptionSpec = {
  name: 'registry',
  short: 'r',
  kind: 'string',
  value: 'NAME',
  description: `the registry (default: ${embeddedRegistryName}, the embedded one)`,
};
const credentialOptions: OptionSpec[] = [
  { name: 'url', kind: 'string', value: 'URL', description: 'http(s)://HOST[:PORT] of the registry' },
  {
    name: 'username',
    short: 'u',
    kind: 'string',
    value: 'USER',
    description: 'user (or robot account) name',
  },
  {
    name: 'password-stdin',
    kind: 'boolean',
    description: 'read the password or token from stdin (otherwise asked for when --username is given)',
  },
];

const registryColumns: Column<Registry>[] = [
  { header: 'NAME', value: (r) => r.name },
  { header: 'KIND', value: (r) => r.kind },
  { header: 'URL', value: (r) => r.url },
  { header: 'USERNAME', value: (r) => r.username },
  { header: 'PASSWORD', value: (r) => (r.password.isSet ? 'set' : '') },
  {
    header: 'ASSIGNED TO',
    value: (r) => (r.assignedTo ?? []).map((a) => `${a.kind}/${a.name}`).join(', '),
  },
  { header: 'AGE', value: (r) => formatAge(r.createdAt) },
];

/**
 * `images public` arguments: `localhost/NAME` is Podman's local store (registry "local-store"),
 * anything else a repository of --registry (default: the embedded one).
 */
function publicTarget(ctx: CommandContext, raw: string): { registry: string; repository: string } {
  if (raw.startsWith('localhost/')) return { registry: localStoreRegistryName, repository: raw.slice(10) };
  return { registry: registryOf(ctx), repository: raw };
}

function publicUrl(registry: string): string {
  return `/api/v1/registries/${encodeURIComponent(registry)}/public-repositories`;
}

const shortDigest = (d: string) => d.replace(/^sha256:/, '').slice(0, 12);

const tagColumns: Column<ImageTag>[] = [
  { header: 'TAG', value: (t) => t.tag },
  { header: 'DIGEST', value: (t) => shortDigest(t.digest) },
  { header: 'SIZE', value: (t) => formatBytes(t.sizeBytes), align: 'right' },
  { header: 'CREATED', value: (t) => formatAge(t.createdAt) },
  { header: 'ARCH', value: (t) => t.architecture },
  { header: 'USED BY', value: (t) => t.usedBy.map((u) => `${u.project}/${u.env}/${u.service}`).join(', ') },
];

function registryOf(ctx: CommandContext): string {
  return ctx.args.string('registry') ?? embeddedRegistryName;
}

function repoUrl(registry: string, repo: string, sub: string): string {
  const path = repo.split('/').map(encodeURIComponent).join('/');
  return `/api/v1/registries/${encodeURIComponent(registry)}/repositories/${path}/${sub}`;
}

/**
 * The password: from stdin with --password-stdin; else, when adding with a username, asked for
 * on the terminal. An update without --password-stdin keeps the stored one.
 */
async function passwordOf(ctx: CommandContext, ask: boolean): Promise<string | undefined> {
  if (ctx.args.bool('password-stdin')) return readStdinText(ctx.io);
  if (!ask || ctx.args.string('username') === undefined) return undefined;
  return promptSecret(ctx.io, 'Password or token: ', '--password-stdin');
}

function printRegistry(ctx: CommandContext, r: Registry, verb: string): number {
  if (ctx.out.json) ctx.out.printJson(r);
  else ctx.out.line(`registry ${r.name} ${verb} (${r.url}${r.username ? `, user ${r.username}` : ''})`);
  return 0;
}

/** Reads a list (every page, or --limit) and prints it as JSON or a table. */
async function listAndPrint<T>(
  ctx: CommandContext,
  path: string,
  query: Record<string, string | undefined>,
  columns: Column<T>[],
  empty: string,
): Promise<number> {
  const page = await (await ctx.client()).list<T>(path, query, limitOf(ctx));
  if (ctx.out.json) ctx.out.printJson(page);
  else ctx.out.table(page.items, columns, empty);
  return 0;
}

const repositoryColumns: Column<ImageRepository>[] = [
  { header: 'REPOSITORY', value: (r) => r.name },
  { header: 'PROJECT', value: (r) => r.project },
];

/** `repo:tag` → [repo, tag]; the tag is what follows the last colon after the last slash. */
export function splitRepoTag(value: string): [string, string] {
  const colon = value.lastIndexOf(':');
  if (colon <= value.lastIndexOf('/') || colon === value.length - 1)
    throw new CliError(`"${value}" is not REPOSITORY:TAG (for example shop/web:1.2)`);
  return [value.slice(0, colon), value.slice(colon + 1)];
}

/** registries list|add|update|remove|test|assign; images list|tags|delete|gc|public. */
export const imageCommands: CommandDef[] = [
  {
    name: 'registries list',
    usage: '[--limit N]',
    summary: 'list image registries (the embedded one and external OCI registries)',
    positionals: { min: 0, max: 0 },
    options: [limitOption],
    run: (ctx) => listAndPrint(ctx, '/api/v1/registries', {}, registryColumns, 'no registries'),
  },
  {
    name: 'registries add',
    usage: 'NAME --url URL [--username USER [--password-stdin]]',
    summary: 'add an external OCI registry (platform admins); the password or token is stored encrypted',
    positionals: { min: 1, max: 1 },
    options: [...credentialOptions, displayNameOption],
    async run(ctx) {
      const body = validate(
        createRegistryRequestSchema,
        {
          name: ctx.arg(0),
          url: ctx.args.string('url'),
          username: ctx.args.string('username'),
          password: await passwordOf(ctx, true),
          displayName: ctx.args.string('display-name'),
        },
        'registry',
      );
      return printRegistry(
        ctx,
        await (await ctx.client()).post<Registry>('/api/v1/registries', body),
        'added',
      );
    },
  },
  {
    name: 'registries update',
    usage: 'NAME [--url URL] [--username USER] [--password-stdin] [--clear-credentials]',
    summary: 'change an external registry’s URL or credentials',
    positionals: { min: 1, max: 1 },
    options: [
      ...credentialOptions,
      displayNameOption,
      { name: 'clear-credentials', kind: 'boolean', description: 'remove the username and password' },
    ],
    async run(ctx) {
      const clear = ctx.args.bool('clear-credentials');
      const body = validate(
        updateRegistryRequestSchema,
        {
          url: ctx.args.string('url'),
          username: clear ? null : ctx.args.string('username'),
          password: clear ? undefined : await passwordOf(ctx, false),
          displayName: ctx.args.string('display-name'),
        },
        'registry',
      );
      const client = await ctx.client();
      const path = `/api/v1/registries/${encodeURIComponent(ctx.arg(0))}`;
      const res = await client.request<Registry>('PATCH', path, { body });
      return printRegistry(ctx, res.body, 'updated');
    },
  },
  {
    name: 'registries remove',
    usage: 'NAME',
    summary: 'remove an external registry from Berth (its images stay where they are)',
    positionals: { min: 1, max: 1 },
    async run(ctx) {
      await (await ctx.client()).delete(`/api/v1/registries/${encodeURIComponent(ctx.arg(0))}`);
      if (ctx.out.json) ctx.out.printJson({ removed: ctx.arg(0) });
      else ctx.out.line(`registry ${ctx.arg(0)} removed`);
      return 0;
    },
  },
  {
    name: 'registries test',
    usage: 'NAME',
    summary: 'test the connection and credentials of a registry (exit 1 when it fails)',
    positionals: { min: 1, max: 1 },
    async run(ctx) {
      const path = `/api/v1/registries/${encodeURIComponent(ctx.arg(0))}/test`;
      const r = await (await ctx.client()).post<RegistryTestResult>(path);
      if (ctx.out.json) ctx.out.printJson(r);
      else ctx.out.line(r.message);
      return r.ok ? 0 : 1;
    },
  },
  {
    name: 'registries assign',
    usage: 'NAME (--team TEAM | --project PROJECT) [--remove]',
    summary:
      'let a team’s or project’s services use a registry’s images (platform admins); --remove takes it back',
    positionals: { min: 1, max: 1 },
    options: [
      { name: 'team', kind: 'string', value: 'TEAM', description: 'the team (all its projects)' },
      { name: 'project', kind: 'string', value: 'PROJECT', description: 'one project' },
      { name: 'remove', kind: 'boolean', description: 'remove the assignment instead of adding it' },
    ],
    async run(ctx) {
      const team = ctx.args.string('team');
      const project = ctx.args.string('project');
      if ((team === undefined) === (project === undefined))
        throw new CliError('give exactly one of --team TEAM or --project PROJECT');
      const owner: RegistryAssignment =
        team !== undefined ? { kind: 'team', name: team } : { kind: 'project', name: project! };
      const client = await ctx.client();
      const path = `/api/v1/registries/${encodeURIComponent(ctx.arg(0))}`;
      const current = (await client.request<Registry>('GET', path)).body;
      const others = (current.assignedTo ?? []).filter(
        (a) => !(a.kind === owner.kind && a.name === owner.name),
      );
      const assignedTo = ctx.args.bool('remove') ? others : [...others, owner];
      const body = validate(
        updateRegistryRequestSchema,
        { assignedTo, version: current.version },
        'registry',
      );
      const res = await client.request<Registry>('PATCH', path, { body });
      if (ctx.out.json) ctx.out.printJson(res.body);
      else
        ctx.out.line(
          `registry ${res.body.name} is assigned to: ${res.body.assignedTo.map((a) => `${a.kind} ${a.name}`).join(', ') || 'nobody'}`,
        );
      return 0;
    },
  },
  {
    name: 'images public',
    usage: 'list|add|remove [REPOSITORY] [--registry NAME]',
    summary:
      'repositories everyone may pull and run: list them, or add/remove one (platform admins); localhost/NAME for local images',
    positionals: { min: 1, max: 2 },
    options: [registryOption],
    async run(ctx) {
      const action = ctx.arg(0);
      const client = await ctx.client();
      if (action === 'list') {
        const res = await client.request<{ items: Array<{ repository: string }> }>(
          'GET',
          publicUrl(registryOf(ctx)),
        );
        if (ctx.out.json) ctx.out.printJson(res.body);
        else
          ctx.out.table(
            res.body.items,
            [{ header: 'REPOSITORY', value: (r) => r.repository }],
            'no public repositories',
          );
        return 0;
      }
      if (action !== 'add' && action !== 'remove')
        throw new CliError(`"${action}" is not list, add or remove`);
      const raw = ctx.optionalArg(1);
      if (raw === undefined) throw new CliError(`berth images public ${action} needs a REPOSITORY`);
      const { registry, repository } = publicTarget(ctx, raw);
      const body = validate(publicRepositoryRequestSchema, { repository }, 'repository');
      if (action === 'add') await client.post(publicUrl(registry), body);
      else
        await client.delete(
          `${publicUrl(registry)}/${repository.split('/').map(encodeURIComponent).join('/')}`,
        );
      if (ctx.out.json) ctx.out.printJson({ registry, repository, public: action === 'add' });
      else
        ctx.out.line(
          `${repository} of registry ${registry} ${action === 'add' ? 'is public' : 'is no longer public'}`,
        );
      return 0;
    },
  },
  {
    name: 'images list',
    usage: '[--registry NAME] [FILTER] [--limit N]',
    summary: 'list repositories you may read (names containing FILTER)',
    positionals: { min: 0, max: 1 },
    options: [registryOption, limitOption],
    run: (ctx) =>
      listAndPrint(
        ctx,
        `/api/v1/registries/${encodeURIComponent(registryOf(ctx))}/repositories`,
        { q: ctx.optionalArg(0) },
        repositoryColumns,
        'no repositories',
      ),
  },
  {
    name: 'images tags',
    usage: 'REPOSITORY [--registry NAME] [--limit N]',
    summary: 'list the tags of a repository: digest, size, age, architecture and the services that run them',
    positionals: { min: 1, max: 1 },
    options: [registryOption, limitOption],
    run: (ctx) =>
      listAndPrint(
        ctx,
        repoUrl(registryOf(ctx), ctx.arg(0), 'tags'),
        {},
        tagColumns,
        `no tags in ${ctx.arg(0)}`,
      ),
  },
  {
    name: 'images delete',
    usage: 'REPOSITORY:TAG [--registry NAME] [--force]',
    summary:
      'delete an image by digest (every tag sharing the digest goes too); --force even if a running service uses it',
    positionals: { min: 1, max: 1 },
    options: [
      registryOption,
      { name: 'force', kind: 'boolean', description: 'delete even when a running service uses the image' },
    ],
    async run(ctx) {
      const [repo, tag] = splitRepoTag(ctx.arg(0));
      const client = await ctx.client();
      const path = repoUrl(registryOf(ctx), repo, `tags/${encodeURIComponent(tag)}`);
      const res = await client.request<DeleteTagResult>('DELETE', path, {
        query: ctx.args.bool('force') ? { force: 'true' } : {},
      });
      if (ctx.out.json) ctx.out.printJson(res.body);
      else ctx.out.line(`deleted ${repo}@${res.body.digest} (tags: ${res.body.deletedTags.join(', ')})`);
      return 0;
    },
  },
  {
    name: 'images gc',
    usage: '[--no-wait]',
    summary: 'garbage-collect the embedded registry (platform admins): frees the blobs of deleted images',
    positionals: { min: 0, max: 0 },
    options: [{ name: 'wait', kind: 'boolean', negatable: true, description: 'wait for the task (default)' }],
    async run(ctx) {
      const client = await ctx.client();
      const task = await client.post<Task>(`/api/v1/registries/${embeddedRegistryName}/gc`);
      if (!ctx.wait) {
        if (ctx.out.json) ctx.out.printJson(task);
        else ctx.out.line(`task ${task.id} started; follow it with "berth tasks get ${task.id} -f"`);
        return 0;
      }
      const final = isTerminal(task) ? task : await followTask(client, task.id, ctx.out);
      if (ctx.out.json) ctx.out.printJson(final);
      if (final.state !== 'succeeded')
        throw new CliError(`task ${final.id} ${final.state}: ${final.error ?? ''}`);
      if (!ctx.out.json) ctx.out.line(`garbage collection done: ${final.progress.message}`);
      return 0;
    },
  },
];
