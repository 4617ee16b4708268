import {
  createBindingRequestSchema,
  createProjectRequestSchema,
  createTeamRequestSchema,
  createUserRequestSchema,
  type Project,
  type RoleBinding,
  type Team,
  type User,
} from '@berth/shared';
import type { CommandContext, CommandDef } from '../context';
import { validate, type SchemaLike } from '../errors';
import { formatAge, type Column } from '../output';
import { promptSecret, readStdinText } from '../prompt';
import { displayNameOption, limitOf, limitOption } from './common';

/** `platform`, `team:NAME` or `project:NAME` as a binding scope (validated by the shared schema). */
export function parseScope(value: string): { kind: string; name?: string } {
  const colon = value.indexOf(':');
  return colon < 0 ? { kind: value } : { kind: value.slice(0, colon), name: value.slice(colon + 1) };
}

function scopeText(scope: RoleBinding['scope']): string {
  return scope.kind === 'platform' ? 'platform' : `${scope.kind}:${scope.name}`;
}

/** Validates a body with a shared schema and POSTs it; prints the created object. */
async function create<T>(
  ctx: CommandContext,
  path: string,
  what: string,
  schema: SchemaLike<unknown>,
  body: unknown,
  describe: (created: T) => string,
): Promise<number> {
  const request = validate(schema, body, what);
  const created = await (await ctx.client()).post<T>(path, request);
  if (ctx.out.json) ctx.out.printJson(created);
  else ctx.out.line(describe(created));
  return 0;
}

async function list<T>(
  ctx: CommandContext,
  path: string,
  columns: Column<T>[],
  empty: string,
  query = {},
): Promise<number> {
  const page = await (await ctx.client()).list<T>(path, query, limitOf(ctx));
  if (ctx.out.json) ctx.out.printJson(page);
  else ctx.out.table(page.items, columns, empty);
  return 0;
}

const age = { header: 'AGE', value: (r: { createdAt: string }) => formatAge(r.createdAt) };

const projectColumns: Column<Project>[] = [
  { header: 'NAME', value: (p) => p.name },
  { header: 'TEAM', value: (p) => p.team },
  { header: 'DISPLAY NAME', value: (p) => p.displayName },
  age,
];
const teamColumns: Column<Team>[] = [
  { header: 'NAME', value: (t) => t.name },
  { header: 'DISPLAY NAME', value: (t) => t.displayName },
  age,
];
const userColumns: Column<User>[] = [
  { header: 'NAME', value: (u) => u.name },
  { header: 'DISPLAY NAME', value: (u) => u.displayName },
  { header: 'EMAIL', value: (u) => u.email },
  { header: 'DISABLED', value: (u) => (u.disabled ? 'yes' : '') },
  age,
];
const bindingColumns: Column<RoleBinding>[] = [
  { header: 'ID', value: (b) => b.id },
  { header: 'USER', value: (b) => b.user },
  { header: 'ROLE', value: (b) => b.role },
  { header: 'SCOPE', value: (b) => scopeText(b.scope) },
  { header: 'BY', value: (b) => b.createdBy },
  age,
];

async function userPassword(ctx: CommandContext): Promise<string> {
  if (ctx.args.bool('password-stdin')) return readStdinText(ctx.io);
  return promptSecret(ctx.io, 'Password for the new user: ', '--password-stdin');
}

const list0 = { usage: '[--limit N]', positionals: { min: 0, max: 0 }, options: [limitOption] };

/** projects, teams, users and bindings: list and create. */
export const identityCommands: CommandDef[] = [
  {
    name: 'projects list',
    summary: 'list the projects you can see',
    ...list0,
    options: [
      limitOption,
      { name: 'team', kind: 'string', value: 'TEAM', description: 'only projects of this team' },
    ],
    usage: '[--team TEAM] [--limit N]',
    run: (ctx) =>
      list(ctx, '/api/v1/projects', projectColumns, 'no projects', { team: ctx.args.string('team') }),
  },
  {
    name: 'projects create',
    usage: 'NAME --team TEAM [--display-name TEXT]',
    summary: 'create a project in a team',
    positionals: { min: 1, max: 1 },
    options: [
      {
        name: 'team',
        short: 't',
        kind: 'string',
        value: 'TEAM',
        description: 'the team that owns the project',
      },
      displayNameOption,
    ],
    run: (ctx) =>
      create<Project>(
        ctx,
        '/api/v1/projects',
        'project',
        createProjectRequestSchema,
        { name: ctx.arg(0), team: ctx.args.string('team'), displayName: ctx.args.string('display-name') },
        (p) => `project ${p.name} created in team ${p.team}`,
      ),
  },
  {
    name: 'teams list',
    summary: 'list the teams you can see',
    ...list0,
    run: (ctx) => list(ctx, '/api/v1/teams', teamColumns, 'no teams'),
  },
  {
    name: 'teams create',
    usage: 'NAME [--display-name TEXT]',
    summary: 'create a team (platform admins)',
    positionals: { min: 1, max: 1 },
    options: [displayNameOption],
    run: (ctx) =>
      create<Team>(
        ctx,
        '/api/v1/teams',
        'team',
        createTeamRequestSchema,
        { name: ctx.arg(0), displayName: ctx.args.string('display-name') },
        (t) => `team ${t.name} created`,
      ),
  },
  {
    name: 'users list',
    summary: 'list users (platform admins)',
    ...list0,
    run: (ctx) => list(ctx, '/api/v1/users', userColumns, 'no users'),
  },
  {
    name: 'users create',
    usage: 'NAME --password-stdin [--display-name TEXT] [--email ADDRESS]',
    summary: 'create a user (platform admins)',
    positionals: { min: 1, max: 1 },
    options: [
      {
        name: 'password-stdin',
        kind: 'boolean',
        description: 'read the password from stdin (else asked on the terminal)',
      },
      { name: 'email', kind: 'string', value: 'ADDRESS', description: 'e-mail address' },
      displayNameOption,
    ],
    run: async (ctx) =>
      create<User>(
        ctx,
        '/api/v1/users',
        'user',
        createUserRequestSchema,
        {
          name: ctx.arg(0),
          password: await userPassword(ctx),
          displayName: ctx.args.string('display-name'),
          email: ctx.args.string('email'),
        },
        (u) => `user ${u.name} created`,
      ),
  },
  {
    name: 'bindings list',
    usage: '[--user NAME] [--scope platform|team:NAME|project:NAME] [--limit N]',
    summary: 'list role bindings',
    positionals: { min: 0, max: 0 },
    options: [
      limitOption,
      { name: 'user', kind: 'string', value: 'NAME', description: 'only bindings of this user' },
      { name: 'scope', kind: 'string', value: 'SCOPE', description: 'only bindings at this scope' },
    ],
    run: (ctx) =>
      list(ctx, '/api/v1/bindings', bindingColumns, 'no bindings', {
        user: ctx.args.string('user'),
        scope: ctx.args.string('scope'),
      }),
  },
  {
    name: 'bindings create',
    usage: '--user NAME --role ROLE --scope platform|team:NAME|project:NAME',
    summary: 'grant a role to a user at a scope',
    positionals: { min: 0, max: 0 },
    options: [
      { name: 'user', kind: 'string', value: 'NAME', description: 'the user' },
      {
        name: 'role',
        kind: 'string',
        value: 'ROLE',
        description: 'platform-admin, team-admin, developer or viewer',
      },
      { name: 'scope', kind: 'string', value: 'SCOPE', description: 'platform, team:NAME or project:NAME' },
    ],
    run: (ctx) => {
      const scope = ctx.args.string('scope');
      return create<RoleBinding>(
        ctx,
        '/api/v1/bindings',
        'binding',
        createBindingRequestSchema,
        {
          user: ctx.args.string('user'),
          role: ctx.args.string('role'),
          scope: scope === undefined ? undefined : parseScope(scope),
        },
        (b) => `${b.user} is ${b.role} at ${scopeText(b.scope)} (binding ${b.id})`,
      );
    },
  },
];
