import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  createVolumeRequestSchema,
  volumeClassRequestSchema,
  type Volume,
  type VolumeClass,
} from '@berth/shared';
import { errorFromResponse, type ApiClient } from '../api-client';
import { parseInteger, type OptionSpec } from '../args';
import type { CommandContext, CommandDef } from '../context';
import { CliError, validate } from '../errors';
import { formatBytes, formatTime, renderFields, type Column } from '../output';

const classColumns: Column<VolumeClass>[] = [
  { header: 'NAME', value: (c) => c.name },
  { header: 'KIND', value: (c) => c.kind },
  { header: 'WHERE', value: (c) => (c.kind === 'local' ? 'one cluster' : `${c.server}:${c.path}`) },
  { header: 'MAX SIZE', value: (c) => `${c.maxSizeMiB}Mi`, align: 'right' },
  { header: 'VOLUMES', value: (c) => String(c.volumes), align: 'right' },
  { header: 'DESCRIPTION', value: (c) => c.description },
];

const volumeColumns: Column<Volume>[] = [
  { header: 'NAME', value: (v) => v.name },
  { header: 'CLASS', value: (v) => `${v.class} (${v.kind})` },
  { header: 'SIZE', value: (v) => `${v.sizeMiB}Mi`, align: 'right' },
  { header: 'ENFORCED', value: (v) => (v.sizeEnforced ? 'yes' : 'no') },
  { header: 'USED', value: (v) => (v.usageBytes === null ? '-' : formatBytes(v.usageBytes)), align: 'right' },
  { header: 'CLUSTER', value: (v) => v.cluster ?? 'any (shared)' },
  { header: 'MOUNTED BY', value: (v) => mountedBy(v) },
];

function mountedBy(v: Volume): string {
  const users = v.usedBy
    .filter((u) => u.kind !== 'container')
    .map((u) => (u.kind === 'cronjob' ? `cron job ${u.name}` : u.name));
  return users.length ? users.join(', ') : '-';
}

const base = (ctx: CommandContext) =>
  `/api/v1/projects/${encodeURIComponent(ctx.project())}/envs/${encodeURIComponent(ctx.env())}/volumes`;
const one = (ctx: CommandContext) => `${base(ctx)}/${encodeURIComponent(ctx.arg(0))}`;

const classOptions: OptionSpec[] = [
  { name: 'kind', kind: 'string', value: 'KIND', description: 'local, nfs or cephfs' },
  {
    name: 'server',
    kind: 'string',
    value: 'HOST',
    description: 'nfs: the server; cephfs: monitors "h1:6789,h2:6789"',
  },
  {
    name: 'path',
    kind: 'string',
    value: 'DIR',
    description: 'nfs/cephfs: the export each volume gets a directory in',
  },
  {
    name: 'option',
    short: 'o',
    kind: 'list',
    value: 'OPT',
    description: 'nfs/cephfs mount option, e.g. nfsvers=4.1 (repeat for several)',
  },
  { name: 'max-size', kind: 'string', value: 'MIB', description: 'largest size a volume may ask for' },
  { name: 'description', kind: 'string', value: 'TEXT', description: 'what the class is for' },
];

/** A request with a raw body (an upload), answered with JSON or nothing. */
async function upload(client: ApiClient, path: string, file: string): Promise<void> {
  const size = (await stat(file).catch(() => null))?.size;
  if (size === undefined) throw new CliError(`cannot read ${file}`);
  const res = await fetch(`${client.baseUrl}${path}`, {
    method: 'POST',
    headers: { ...client.authHeaders(), 'Content-Type': 'application/x-tar', 'Content-Length': String(size) },
    body: Readable.toWeb(createReadStream(file)),
    duplex: 'half',
  });
  if (!res.ok) throw errorFromResponse(res.status, res.statusText, await res.text());
}

/** berth volumes …: classes (platform admins) and the volumes of an environment. */
export const volumeCommands: CommandDef[] = [
  {
    name: 'volumes classes',
    usage: '',
    summary: 'list the volume classes (local, nfs, cephfs) volumes can be created in',
    positionals: { min: 0, max: 0 },
    async run(ctx) {
      const page = await (await ctx.client()).get<{ items: VolumeClass[] }>('/api/v1/volume-classes');
      if (ctx.out.json) ctx.out.printJson(page.items);
      else ctx.out.table(page.items, classColumns, 'no volume classes (a platform admin adds them)');
      return 0;
    },
  },
  {
    name: 'volumes class-set',
    usage: 'NAME --kind local|nfs|cephfs [--server HOST --path DIR] [-o OPT]... [--max-size MIB]',
    summary: 'create or replace a volume class (platform admins)',
    positionals: { min: 1, max: 1 },
    options: classOptions,
    async run(ctx) {
      const maxSize = ctx.args.string('max-size');
      const options = ctx.args.list('option');
      const body = validate(
        volumeClassRequestSchema,
        {
          kind: ctx.args.string('kind'),
          description: ctx.args.string('description'),
          server: ctx.args.string('server'),
          path: ctx.args.string('path'),
          mountOptions: options.length ? options : undefined,
          maxSizeMiB: maxSize === undefined ? undefined : parseInteger(maxSize, '--max-size', 1, 1048576),
        },
        'volume class',
      );
      const c = await (
        await ctx.client()
      ).put<VolumeClass>(`/api/v1/volume-classes/${encodeURIComponent(ctx.arg(0))}`, body);
      if (ctx.out.json) ctx.out.printJson(c);
      else ctx.out.line(`volume class ${c.name}: ${c.kind}${c.server ? ` on ${c.server}:${c.path}` : ''}`);
      return 0;
    },
  },
  {
    name: 'volumes class-delete',
    usage: 'NAME',
    summary: 'delete a volume class that has no volumes (platform admins)',
    positionals: { min: 1, max: 1 },
    async run(ctx) {
      await (await ctx.client()).delete(`/api/v1/volume-classes/${encodeURIComponent(ctx.arg(0))}`);
      ctx.out.line(`volume class ${ctx.arg(0)} deleted`);
      return 0;
    },
  },
  {
    name: 'volumes list',
    usage: '-p PROJECT [-e ENV]',
    summary: "list an environment's volumes: class, size, whether it is enforced, usage, who mounts them",
    positionals: { min: 0, max: 0 },
    scoped: true,
    async run(ctx) {
      const page = await (await ctx.client()).get<{ items: Volume[] }>(base(ctx));
      if (ctx.out.json) ctx.out.printJson(page.items);
      else ctx.out.table(page.items, volumeColumns, 'no volumes');
      return 0;
    },
  },
  {
    name: 'volumes create',
    usage: 'NAME --class CLASS --size MIB [--cluster CLUSTER] -p PROJECT [-e ENV]',
    summary: 'create a volume (--cluster: where a local volume lives; default the environment’s first)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [
      {
        name: 'class',
        kind: 'string',
        value: 'CLASS',
        description: 'the volume class (berth volumes classes)',
      },
      { name: 'size', kind: 'string', value: 'MIB', description: 'size in MiB' },
      { name: 'cluster', kind: 'string', value: 'CLUSTER', description: 'local classes: the cluster' },
    ],
    async run(ctx) {
      const size = ctx.args.string('size');
      if (size === undefined) throw ctx.usageError('--size MIB is needed');
      const body = validate(
        createVolumeRequestSchema,
        {
          name: ctx.arg(0),
          class: ctx.args.string('class'),
          sizeMiB: parseInteger(size, '--size', 1, 1048576),
          cluster: ctx.args.string('cluster'),
        },
        'volume',
      );
      const v = await (await ctx.client()).post<Volume>(base(ctx), body);
      if (ctx.out.json) ctx.out.printJson(v);
      else {
        ctx.out.line(
          `volume ${v.name} created: ${v.sizeMiB}Mi of ${v.class}${v.cluster ? ` on ${v.cluster}` : ''}`,
        );
        if (!v.sizeEnforced && v.sizeNote) ctx.out.note(`size ${v.sizeNote}`);
      }
      return 0;
    },
  },
  {
    name: 'volumes get',
    usage: 'NAME -p PROJECT [-e ENV]',
    summary: 'show a volume: class, size, usage and who mounts it',
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      const v = await (await ctx.client()).get<Volume>(one(ctx));
      if (ctx.out.json) {
        ctx.out.printJson(v);
        return 0;
      }
      ctx.out.raw(
        renderFields([
          ['name', v.name],
          ['class', `${v.class} (${v.kind})`],
          [
            'size',
            `${v.sizeMiB}Mi, ${v.sizeEnforced ? 'enforced' : `not enforced${v.sizeNote ? `: ${v.sizeNote}` : ''}`}`,
          ],
          ['used', v.usageBytes === null ? 'not known' : formatBytes(v.usageBytes)],
          ['cluster', v.cluster ?? 'any (shared)'],
          ['engine volume', v.engineName],
          [
            'mounted by',
            v.usedBy.map((u) => `${u.kind === 'cronjob' ? 'cron job' : u.kind} ${u.name}`).join(', ') || '-',
          ],
          ['created', `${formatTime(v.createdAt)} by ${v.createdBy}`],
        ]),
      );
      return 0;
    },
  },
  {
    name: 'volumes delete',
    usage: 'NAME -p PROJECT [-e ENV]',
    summary: 'delete a volume and its data (refused while a service or container mounts it)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      await (await ctx.client()).delete(one(ctx));
      ctx.out.line(`volume ${ctx.arg(0)} deleted`);
      return 0;
    },
  },
  {
    name: 'volumes export',
    usage: 'NAME --out FILE -p PROJECT [-e ENV]',
    summary: "download a volume's content as a tar archive (to stdout without --out)",
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [{ name: 'out', kind: 'string', value: 'FILE', description: 'write the tar here' }],
    async run(ctx) {
      const client = await ctx.client();
      const res = await fetch(`${client.baseUrl}${one(ctx)}/export`, { headers: client.authHeaders() });
      if (!res.ok) throw errorFromResponse(res.status, res.statusText, await res.text());
      if (!res.body) return 0;
      const body = Readable.fromWeb(res.body);
      const target = ctx.args.string('out');
      await pipeline(body, target ? createWriteStream(target) : ctx.io.stdout);
      if (target) ctx.out.note(`volume ${ctx.arg(0)} exported to ${target}`);
      return 0;
    },
  },
  {
    name: 'volumes import',
    usage: 'NAME FILE -p PROJECT [-e ENV]',
    summary: 'extract a tar archive into a volume (its files replace those of the same name)',
    positionals: { min: 2, max: 2 },
    scoped: true,
    async run(ctx) {
      await upload(await ctx.client(), `${one(ctx)}/import`, ctx.arg(1));
      ctx.out.line(`${ctx.arg(1)} imported into volume ${ctx.arg(0)}`);
      return 0;
    },
  },
];
