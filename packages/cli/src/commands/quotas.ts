import { quotaRequestSchema, type ProjectQuota, type QuotaRequest } from '@berth/shared';
import { parseDecimal, parseInteger, type OptionSpec } from '../args';
import type { CommandContext, CommandDef } from '../context';
import { validate } from '../errors';
import { parseMemory } from '../spec-flags';

const unlimited = new Set(['unlimited', 'none', '-']);

const setOptions: OptionSpec[] = [
  { name: 'cpu', kind: 'string', value: 'CORES', description: 'CPU limit in cores ("unlimited" removes it)' },
  { name: 'memory', kind: 'string', value: 'MIB', description: 'memory limit in MiB (or with Mi/Gi)' },
  { name: 'replicas', kind: 'string', value: 'N', description: 'most containers the project may run' },
  { name: 'volumes', kind: 'string', value: 'GIB', description: 'total size of volumes in GiB' },
  {
    name: 'default-cpu',
    kind: 'string',
    value: 'CORES',
    description: 'CPU limit of containers whose spec sets none ("none" removes it)',
  },
  {
    name: 'default-memory',
    kind: 'string',
    value: 'MIB',
    description: 'memory limit of containers whose spec sets none',
  },
];

function fmt(n: number | null, unit = ''): string {
  return n === null ? 'unlimited' : `${Math.round(n * 1000) / 1000}${unit}`;
}

/** Reads one flag: undefined when absent, null for "unlimited"/"none". */
function flag(ctx: CommandContext, name: string, parse: (v: string) => number): number | null | undefined {
  const v = ctx.args.string(name);
  if (v === undefined) return undefined;
  return unlimited.has(v.trim().toLowerCase()) ? null : parse(v);
}

/** quota get / quota set: a project's limits, defaults and usage. */
export const quotaCommands: CommandDef[] = [
  {
    name: 'quota get',
    usage: '-p PROJECT',
    summary: "show a project's quota: limits, usage, what is left, per-container defaults",
    positionals: { min: 0, max: 0 },
    scoped: true,
    async run(ctx) {
      const q = await (
        await ctx.client()
      ).get<ProjectQuota>(`/api/v1/projects/${encodeURIComponent(ctx.project())}/quota`);
      if (ctx.out.json) {
        ctx.out.printJson(q);
        return 0;
      }
      const rows = [
        { what: 'cpu', used: fmt(q.usage.cpu), limit: fmt(q.limits.cpu), left: fmt(q.remaining.cpu) },
        {
          what: 'memory',
          used: fmt(q.usage.memoryMiB, 'Mi'),
          limit: fmt(q.limits.memoryMiB, 'Mi'),
          left: fmt(q.remaining.memoryMiB, 'Mi'),
        },
        {
          what: 'replicas',
          used: fmt(q.usage.replicas),
          limit: fmt(q.limits.replicas),
          left: fmt(q.remaining.replicas),
        },
        {
          what: 'volumes',
          used: fmt(q.usage.volumesGiB, 'Gi'),
          limit: fmt(q.limits.volumesGiB, 'Gi'),
          left: fmt(q.remaining.volumesGiB, 'Gi'),
        },
      ];
      ctx.out.table(
        rows,
        [
          { header: 'RESOURCE', value: (r) => r.what },
          { header: 'USED', value: (r) => r.used },
          { header: 'LIMIT', value: (r) => r.limit },
          { header: 'LEFT', value: (r) => r.left },
        ],
        'no quota',
      );
      ctx.out.line(
        `defaults per container: cpu ${q.defaults.cpu ?? `none (counted as ${q.platformDefaults.cpu})`}, memory ${
          q.defaults.memoryMiB === null
            ? `none (counted as ${q.platformDefaults.memoryMiB}Mi)`
            : `${q.defaults.memoryMiB}Mi`
        }`,
      );
      return 0;
    },
  },
  {
    name: 'quota set',
    usage:
      '-p PROJECT [--cpu CORES] [--memory MIB] [--replicas N] [--volumes GIB] [--default-cpu CORES] [--default-memory MIB]',
    summary: "change a project's quota (platform admins); flags not given keep their value",
    positionals: { min: 0, max: 0 },
    scoped: true,
    options: setOptions,
    async run(ctx) {
      const client = await ctx.client();
      const url = `/api/v1/projects/${encodeURIComponent(ctx.project())}/quota`;
      const current = await client.get<ProjectQuota>(url);
      const cpu = flag(ctx, 'cpu', (v) => parseDecimal(v, '--cpu'));
      const memory = flag(ctx, 'memory', parseMemory);
      const replicas = flag(ctx, 'replicas', (v) => parseInteger(v, '--replicas', 0, 100000));
      const volumes = flag(ctx, 'volumes', (v) => parseInteger(v, '--volumes', 0, 1048576));
      const defCpu = flag(ctx, 'default-cpu', (v) => parseDecimal(v, '--default-cpu'));
      const defMemory = flag(ctx, 'default-memory', parseMemory);
      const body: QuotaRequest = validate(
        quotaRequestSchema,
        {
          cpu: cpu === undefined ? current.limits.cpu : cpu,
          memoryMiB: memory === undefined ? current.limits.memoryMiB : memory,
          replicas: replicas === undefined ? current.limits.replicas : replicas,
          volumesGiB: volumes === undefined ? current.limits.volumesGiB : volumes,
          defaults: {
            cpu: defCpu === undefined ? current.defaults.cpu : defCpu,
            memoryMiB: defMemory === undefined ? current.defaults.memoryMiB : defMemory,
          },
        },
        'quota',
      );
      const q = await client.put<ProjectQuota>(url, body);
      if (ctx.out.json) ctx.out.printJson(q);
      else
        ctx.out.line(
          `quota of ${q.project}: cpu ${fmt(q.limits.cpu)}, memory ${fmt(q.limits.memoryMiB, 'Mi')}, replicas ${fmt(
            q.limits.replicas,
          )}, volumes ${fmt(q.limits.volumesGiB, 'Gi')}`,
        );
      return 0;
    },
  },
];
