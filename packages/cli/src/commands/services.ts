import { readFile } from 'node:fs/promises';
import {
  createServiceRequestSchema,
  updateServiceRequestSchema,
  type Release,
  type Service,
  type Task,
} from '@berth/shared';
import { servicePath, servicesPath } from '../api-client';
import type { OptionSpec } from '../args';
import type { CommandContext, CommandDef } from '../context';
import { CliError, validate } from '../errors';
import {
  applySpecFlags,
  changesSpec,
  readSpecFlags,
  specOfService,
  specOptions,
  type SpecDraft,
} from '../spec-flags';
import { completeTask } from '../task-waiter';
import { displayNameOption, limitOf, limitOption } from './common';
import { releaseColumns, renderService, serviceColumns } from './service-view';

/** `--reason TEXT`, recorded with the release or action. */
export const reasonOption: OptionSpec = {
  name: 'reason',
  kind: 'string',
  value: 'TEXT',
  description: 'why (kept with the release and in the audit log)',
};

/** The response of an operation on a service that started a task. */
export interface ServiceTaskResponse {
  service?: Service;
  task: Task | null;
  [key: string]: unknown;
}

/** Reads `-f FILE` as a spec draft (null without -f); `-` reads stdin. */
async function readSpecFile(ctx: CommandContext): Promise<SpecDraft | null> {
  const file = ctx.args.string('file');
  if (file === undefined) return null;
  let text: string;
  try {
    text = file === '-' ? await streamText(ctx.io.stdin) : await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError(
      `${file} must hold a JSON object: a ServiceSpec such as {"image": "…", "replicas": 2}`,
    );
  }
  return parsed;
}

async function streamText(stream: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** Runs an operation's response through the task waiter with a success message. */
export async function finishServiceTask(
  ctx: CommandContext,
  response: ServiceTaskResponse,
  done: string,
  unchanged?: string,
): Promise<number> {
  return completeTask(await ctx.client(), response, ctx.out, { wait: ctx.wait, done, unchanged });
}

async function listServices(ctx: CommandContext): Promise<number> {
  const page = await (
    await ctx.client()
  ).list<Service>(servicesPath(ctx.project(), ctx.env()), { q: ctx.args.string('query') }, limitOf(ctx));
  if (ctx.out.json) ctx.out.printJson(page);
  else
    ctx.out.table(page.items, serviceColumns, `no services in project ${ctx.project()} (env ${ctx.env()})`);
  return 0;
}

async function getService(ctx: CommandContext): Promise<number> {
  const service = await (await ctx.client()).get<Service>(servicePath(ctx.project(), ctx.env(), ctx.arg(0)));
  if (ctx.out.json) ctx.out.printJson(service);
  else ctx.out.raw(renderService(service));
  return 0;
}

async function createService(ctx: CommandContext): Promise<number> {
  const name = ctx.arg(0);
  const flags = readSpecFlags(ctx.args);
  const spec = applySpecFlags((await readSpecFile(ctx)) ?? {}, flags);
  if (spec.image === undefined) throw ctx.usageError('--image is required (or "image" in the -f file)');
  const body = {
    name,
    displayName: ctx.args.string('display-name'),
    spec,
    reason: ctx.args.string('reason'),
  };
  validate(createServiceRequestSchema, body, 'service');
  const client = await ctx.client();
  const response = await client.post<ServiceTaskResponse>(servicesPath(ctx.project(), ctx.env()), body);
  return finishServiceTask(
    ctx,
    response,
    `service ${name} created: release ${response.service?.release ?? 1} is rolled out`,
  );
}

/**
 * Updates a service: reads it, applies the -f file (a full spec) or the current spec plus the
 * flags, and PUTs the result with the version read, so a concurrent change fails (409) instead of
 * being overwritten.
 */
export async function updateService(ctx: CommandContext, name: string): Promise<number> {
  const flags = readSpecFlags(ctx.args);
  const file = await readSpecFile(ctx);
  const displayName = ctx.args.string('display-name');
  if (!file && !changesSpec(flags) && displayName === undefined)
    throw ctx.usageError('nothing to change: pass spec flags or -f FILE');
  const client = await ctx.client();
  const path = servicePath(ctx.project(), ctx.env(), name);
  const current = await client.get<Service>(path);
  const spec = applySpecFlags(file ?? specOfService(current), flags);
  const body = { displayName, spec, version: current.version, reason: ctx.args.string('reason') };
  validate(updateServiceRequestSchema, body, 'service update');
  const response = await client.put<ServiceTaskResponse>(path, body);
  return finishServiceTask(
    ctx,
    response,
    `service ${name} updated: release ${response.service?.release ?? '?'} is rolled out`,
    `service ${name} updated (no new release needed)`,
  );
}

async function deleteService(ctx: CommandContext): Promise<number> {
  const name = ctx.arg(0);
  const response = await (
    await ctx.client()
  ).delete<ServiceTaskResponse>(servicePath(ctx.project(), ctx.env(), name));
  return finishServiceTask(ctx, response ?? { task: null }, `service ${name} deleted`);
}

async function listReleases(ctx: CommandContext): Promise<number> {
  const client = await ctx.client();
  const page = await client.list<Release>(
    servicePath(ctx.project(), ctx.env(), ctx.arg(0), '/releases'),
    {},
    limitOf(ctx),
  );
  if (ctx.out.json) ctx.out.printJson(page);
  else ctx.out.table(page.items, releaseColumns, 'no releases');
  return 0;
}

const one = { min: 1, max: 1 };

/** What `GET …/services/{s}/manifests` answers (JSON form). */
interface ServiceManifests {
  cluster: string;
  namespace: string;
  yaml: string;
  objects: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }[];
}

/** Prints the Kubernetes objects Berth applies for a service to a cluster: YAML, or JSON with -o json. */
async function serviceManifests(ctx: CommandContext): Promise<number> {
  const cluster = ctx.args.string('cluster');
  if (!cluster) throw ctx.usageError('--cluster is required: the Kubernetes cluster to show them for');
  const client = await ctx.client();
  const m = await client.get<ServiceManifests>(
    servicePath(ctx.project(), ctx.env(), ctx.arg(0), '/manifests'),
    { cluster },
  );
  if (ctx.out.json) ctx.out.printJson(m);
  else ctx.out.raw(m.yaml);
  return 0;
}

/** services list|get|create|update|delete, releases */
export const serviceCommands: CommandDef[] = [
  {
    name: 'services list',
    usage: '-p PROJECT [-e ENV] [--query TEXT]',
    summary: 'list the services of a project in an environment',
    positionals: { min: 0, max: 0 },
    scoped: true,
    options: [
      limitOption,
      {
        name: 'query',
        short: 'q',
        kind: 'string',
        value: 'TEXT',
        description: 'only services whose name contains TEXT',
      },
    ],
    run: listServices,
  },
  {
    name: 'services get',
    usage: 'NAME -p PROJECT [-e ENV]',
    summary: 'show a service',
    positionals: one,
    scoped: true,
    run: getService,
  },
  {
    name: 'services create',
    usage: 'NAME --image IMG [--replicas N] [--port PORT ...] [--env K=V ...] [options] | -f spec.json',
    summary: 'create a service and roll out its first release',
    positionals: one,
    scoped: true,
    startsTask: true,
    options: [...specOptions, displayNameOption, reasonOption],
    run: createService,
  },
  {
    name: 'services update',
    usage: 'NAME [spec options] [-f spec.json]',
    summary: 'change a service: flags are merged onto its current spec',
    positionals: one,
    scoped: true,
    startsTask: true,
    options: [...specOptions, displayNameOption, reasonOption],
    run: (ctx) => updateService(ctx, ctx.arg(0)),
  },
  {
    name: 'services delete',
    usage: 'NAME',
    summary: 'delete a service: its containers are drained and removed',
    positionals: one,
    scoped: true,
    startsTask: true,
    run: deleteService,
  },
  {
    name: 'services manifests',
    usage: 'NAME --cluster CLUSTER',
    summary:
      'print the Kubernetes objects Berth applies for the service to a Kubernetes cluster (YAML; secret values redacted)',
    positionals: one,
    scoped: true,
    options: [
      {
        name: 'cluster',
        kind: 'string',
        value: 'CLUSTER',
        description: 'a cluster of kind kubernetes',
      },
    ],
    run: serviceManifests,
  },
  {
    name: 'releases',
    usage: 'NAME [--limit N]',
    summary: 'list the releases of a service, newest first',
    positionals: one,
    scoped: true,
    options: [limitOption],
    run: listReleases,
  },
];
