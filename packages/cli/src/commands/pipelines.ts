/** `berth pipelines …` and `berth builds …`: codeflow from the command line. */
import { readFile } from 'node:fs/promises';
import {
  codeflowPaths,
  createPipelineRequestSchema,
  updatePipelineRequestSchema,
  type Build,
  type Pipeline,
  type PipelineDockerfiles,
  type RepoCredentialsInput,
  type Task,
  type TaskLogLine,
} from '@berth/shared';
import { parseInteger, type OptionSpec } from '../args';
import type { CommandContext, CommandDef } from '../context';
import { CliError, validate } from '../errors';
import { renderFields, sanitize, type Column } from '../output';
import { buildColumns, pipelineColumns, renderBuild, renderPipeline } from './pipeline-view';
import { readStdinText } from '../prompt';
import { followTask } from '../task-waiter';
import { limitOf, limitOption } from './common';

const specOptions: OptionSpec[] = [
  {
    name: 'service',
    short: 's',
    kind: 'string',
    value: 'NAME',
    description: 'the service the pipeline deploys to',
  },
  {
    name: 'repo',
    kind: 'string',
    value: 'URL',
    description: 'git URL (https, ssh, user@host:path, file://, /path)',
  },
  {
    name: 'ref',
    kind: 'string',
    value: 'REF',
    description: 'branch or tag, or a pattern ("main", "release/*", "v*")',
  },
  {
    name: 'template',
    short: 't',
    kind: 'string',
    value: 'T',
    description: 'static, node, python, java-maven, go, shell or dockerfile',
  },
  {
    name: 'pre-script',
    kind: 'string',
    value: 'FILE',
    description: 'pre-processing script (dependencies), a file',
  },
  { name: 'build-script', kind: 'string', value: 'FILE', description: 'build script, a file' },
  {
    name: 'dockerfile',
    kind: 'string',
    value: 'FILE',
    description: 'your own Dockerfile (template dockerfile)',
  },
  { name: 'artifact', kind: 'string', value: 'PATH', description: 'what goes into the image (default ".")' },
  { name: 'start', kind: 'string', value: 'CMD', description: 'the start command of the image' },
  { name: 'port', kind: 'string', value: 'N', description: 'the port the app listens on (default 8080)' },
  { name: 'timeout', kind: 'string', value: 'SECONDS', description: 'build time-out (default 900)' },
  { name: 'token-stdin', kind: 'boolean', description: 'read an access token for the repository from stdin' },
  { name: 'deploy-key', kind: 'string', value: 'FILE', description: 'an SSH private key (deploy key) file' },
  { name: 'no-credentials', kind: 'boolean', description: 'remove stored repository credentials' },
];

async function fileOption(ctx: CommandContext, name: string): Promise<string | undefined> {
  const file = ctx.args.string(name);
  if (file === undefined) return undefined;
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read --${name} ${file}: ${(err as Error).message}`);
  }
}

async function credentialsOf(ctx: CommandContext): Promise<RepoCredentialsInput | undefined> {
  if (ctx.args.bool('no-credentials')) return { kind: 'none' };
  if (ctx.args.bool('token-stdin')) return { kind: 'token', token: (await readStdinText(ctx.io)).trim() };
  const key = await fileOption(ctx, 'deploy-key');
  return key === undefined ? undefined : { kind: 'deploy-key', privateKey: key };
}

function intOption(ctx: CommandContext, name: string, min: number, max: number): number | undefined {
  const v = ctx.args.string(name);
  return v === undefined ? undefined : parseInteger(v, `--${name}`, min, max);
}

/** The spec from the options, over `base` (the stored pipeline on update). */
async function specFrom(ctx: CommandContext, base: Partial<Pipeline>) {
  return {
    target: {
      env: ctx.args.string('environment') ?? ctx.args.string('env') ?? base.target?.env ?? ctx.env(),
      service: ctx.args.string('service') ?? base.target?.service,
    },
    repo: {
      url: ctx.args.string('repo') ?? base.repo?.url,
      ref: ctx.args.string('ref') ?? base.repo?.ref ?? 'main',
      credentials: await credentialsOf(ctx),
    },
    template: ctx.args.string('template') ?? base.template,
    preScript: (await fileOption(ctx, 'pre-script')) ?? base.preScript,
    buildScript: (await fileOption(ctx, 'build-script')) ?? base.buildScript,
    dockerfile: (await fileOption(ctx, 'dockerfile')) ?? base.dockerfile,
    artifactPath: ctx.args.string('artifact') ?? base.artifactPath,
    startCommand: ctx.args.string('start') ?? base.startCommand,
    port: intOption(ctx, 'port', 1, 65535) ?? base.port,
    timeoutSeconds: intOption(ctx, 'timeout', 10, 7200) ?? base.timeoutSeconds,
  };
}

function print<T>(ctx: CommandContext, value: T, render: (v: T) => string): number {
  if (ctx.out.json) ctx.out.printJson(value);
  else ctx.out.raw(render(value));
  return 0;
}

/** Follows the build's task log until it ends; exit 1 unless it succeeded. */
async function follow(ctx: CommandContext, build: Build): Promise<number> {
  const client = await ctx.client();
  const done = ['succeeded', 'failed', 'cancelled', 'timed-out'].includes(build.state);
  const task = done
    ? await client.get<Task>(`/api/v1/tasks/${build.taskId}`)
    : await followTask(client, build.taskId, ctx.out);
  const final = await client.get<Build>(codeflowPaths.build(ctx.project(), build.id));
  print(ctx, final, renderBuild);
  if (task.state !== 'succeeded' || final.state !== 'succeeded')
    throw new CliError(`build #${final.number} ${final.state}${final.error ? `: ${final.error}` : ''}`);
  return 0;
}

/** A project-scoped list command: every page (or --limit), as JSON or a table. */
function listCommand<T>(
  name: string,
  usage: string,
  summary: string,
  positionals: number,
  path: (ctx: CommandContext) => string,
  columns: Column<T>[],
  empty: string,
): CommandDef {
  return {
    name,
    usage,
    summary,
    positionals: { min: positionals, max: positionals },
    scoped: true,
    options: [limitOption],
    async run(ctx) {
      const page = await (await ctx.client()).list<T>(path(ctx), {}, limitOf(ctx));
      if (ctx.out.json) ctx.out.printJson(page);
      else ctx.out.table(page.items, columns, empty);
      return 0;
    },
  };
}

const followOption: OptionSpec = {
  name: 'follow',
  short: 'f',
  kind: 'boolean',
  description: 'follow the log until the build ends',
};
const pipelinePath = (ctx: CommandContext) => codeflowPaths.pipeline(ctx.project(), ctx.arg(0));

/** pipelines list|get|create|update|delete|dockerfile|webhook-secret; builds start|list|get|log|cancel. */
export const pipelineCommands: CommandDef[] = [
  listCommand(
    'pipelines list',
    '-p PROJECT [--limit N]',
    'list the pipelines of a project',
    0,
    (ctx) => codeflowPaths.pipelines(ctx.project()),
    pipelineColumns,
    'no pipelines',
  ),
  {
    name: 'pipelines get',
    usage: 'NAME -p PROJECT',
    summary: 'show a pipeline',
    positionals: { min: 1, max: 1 },
    scoped: true,
    run: async (ctx) =>
      print(ctx, await (await ctx.client()).get<Pipeline>(pipelinePath(ctx)), renderPipeline),
  },
  {
    name: 'pipelines create',
    usage: 'NAME -p PROJECT [-e ENV] --service SVC --repo URL [--ref REF] --template T [options]',
    summary: 'create a pipeline that builds a git repository and rolls a service to the image',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: specOptions,
    async run(ctx) {
      const body = validate(
        createPipelineRequestSchema,
        { name: ctx.arg(0), ...(await specFrom(ctx, {})) },
        'pipeline',
      );
      const created = await (await ctx.client()).post<Pipeline>(codeflowPaths.pipelines(ctx.project()), body);
      return print(ctx, created, renderPipeline);
    },
  },
  {
    name: 'pipelines update',
    usage: 'NAME -p PROJECT [options]',
    summary: 'change a pipeline (options not given keep their value)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: specOptions,
    async run(ctx) {
      const client = await ctx.client();
      const current = await client.get<Pipeline>(pipelinePath(ctx));
      const spec = await specFrom(ctx, current);
      const body = validate(updatePipelineRequestSchema, { ...spec, version: current.version }, 'pipeline');
      return print(ctx, await client.put<Pipeline>(pipelinePath(ctx), body), renderPipeline);
    },
  },
  {
    name: 'pipelines delete',
    usage: 'NAME -p PROJECT',
    summary: 'delete a pipeline and its builds (a running build is cancelled)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      await (await ctx.client()).delete(pipelinePath(ctx));
      if (ctx.out.json) ctx.out.printJson({ deleted: ctx.arg(0) });
      else ctx.out.line(`pipeline ${ctx.arg(0)} deleted`);
      return 0;
    },
  },
  {
    name: 'pipelines dockerfile',
    usage: 'NAME -p PROJECT',
    summary: 'show the generated Dockerfiles (pre-processing layer and image)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      const files = await (
        await ctx.client()
      ).get<PipelineDockerfiles>(codeflowPaths.dockerfile(ctx.project(), ctx.arg(0)));
      if (ctx.out.json) ctx.out.printJson(files);
      else if (files.preDockerfile)
        ctx.out.raw(`# pre-processing layer\n${files.preDockerfile}\n# image\n${files.dockerfile}`);
      else ctx.out.raw(files.dockerfile);
      return 0;
    },
  },
  {
    name: 'pipelines webhook-secret',
    usage: 'NAME -p PROJECT',
    summary: 'generate a new webhook secret (shown once) and print the webhook URLs',
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      const client = await ctx.client();
      const { secret } = await client.post<{ secret: string }>(
        codeflowPaths.webhookSecret(ctx.project(), ctx.arg(0)),
      );
      const p = await client.get<Pipeline>(pipelinePath(ctx));
      if (ctx.out.json) ctx.out.printJson({ secret, pipelineId: p.id });
      else
        ctx.out.raw(
          renderFields([
            ['secret', secret],
            ['gitlab', codeflowPaths.hook(p.id, 'gitlab')],
            ['github', codeflowPaths.hook(p.id, 'github')],
            ['gitea', codeflowPaths.hook(p.id, 'gitea')],
          ]),
        );
      return 0;
    },
  },
  {
    name: 'builds start',
    usage: 'PIPELINE -p PROJECT [--ref REF] [-f]',
    summary: 'start a build; with -f follow its log (exit 1 unless it succeeds)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [
      { name: 'ref', kind: 'string', value: 'REF', description: 'branch or tag (default: the pipeline’s)' },
      followOption,
    ],
    async run(ctx) {
      const ref = ctx.args.string('ref');
      const r = await (
        await ctx.client()
      ).post<{ build: Build; task: Task }>(
        codeflowPaths.pipelineBuilds(ctx.project(), ctx.arg(0)),
        ref ? { ref } : {},
      );
      if (ctx.args.bool('follow')) return follow(ctx, r.build);
      if (ctx.out.json) ctx.out.printJson(r);
      else
        ctx.out.line(
          `build #${r.build.number} queued (${r.build.id}); follow it with "berth builds log ${r.build.id} -p ${ctx.project()} -f"`,
        );
      return 0;
    },
  },
  listCommand(
    'builds list',
    'PIPELINE -p PROJECT [--limit N]',
    'list the builds of a pipeline, newest first',
    1,
    (ctx) => codeflowPaths.pipelineBuilds(ctx.project(), ctx.arg(0)),
    buildColumns,
    'no builds',
  ),
  {
    name: 'builds get',
    usage: 'ID -p PROJECT',
    summary: 'show a build: state, steps and their durations, commit, image and digest',
    positionals: { min: 1, max: 1 },
    scoped: true,
    run: async (ctx) =>
      print(
        ctx,
        await (await ctx.client()).get<Build>(codeflowPaths.build(ctx.project(), ctx.arg(0))),
        renderBuild,
      ),
  },
  {
    name: 'builds log',
    usage: 'ID -p PROJECT [-f]',
    summary: 'print the log of a build; with -f follow it until the build ends',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [followOption],
    async run(ctx) {
      const client = await ctx.client();
      const build = await client.get<Build>(codeflowPaths.build(ctx.project(), ctx.arg(0)));
      if (ctx.args.bool('follow')) return follow(ctx, build);
      const log = await client.get<{ items: TaskLogLine[] }>(`/api/v1/tasks/${build.taskId}/log`);
      if (ctx.out.json) ctx.out.printJson(log);
      else for (const l of log.items) ctx.out.line(sanitize(l.line));
      return 0;
    },
  },
  {
    name: 'builds cancel',
    usage: 'ID -p PROJECT',
    summary: 'cancel a queued or running build',
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      const b = await (await ctx.client()).post<Build>(codeflowPaths.cancelBuild(ctx.project(), ctx.arg(0)));
      return print(ctx, b, renderBuild);
    },
  },
];
