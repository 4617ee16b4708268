import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { containerPath, type Query } from '../api-client';
import type { CommandContext, CommandDef } from '../context';
import { CliError } from '../errors';
import { formatBytes, formatTime, type Column } from '../output';
import { parseInteger } from '../args';

/** One path inside a container, as GET …/files lists it. */
interface FileEntry {
  name: string;
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  mode: string;
  mtime: string;
  linkTarget?: string;
}

interface CollectedFile {
  file: string;
  path: string;
  generation: number;
  size: number;
  mtime: string;
}

const fileColumns: Column<FileEntry>[] = [
  {
    header: 'MODE',
    value: (f) => `${f.type === 'directory' ? 'd' : f.type === 'symlink' ? 'l' : '-'}${f.mode}`,
  },
  { header: 'SIZE', value: (f) => (f.type === 'file' ? formatBytes(f.size) : '-'), align: 'right' },
  { header: 'MODIFIED', value: (f) => formatTime(f.mtime) },
  {
    header: 'NAME',
    value: (f) => `${f.name}${f.type === 'directory' ? '/' : ''}${f.linkTarget ? ` -> ${f.linkTarget}` : ''}`,
  },
];

const collectedColumns: Column<CollectedFile>[] = [
  { header: 'FILE', value: (f) => f.file },
  { header: 'FROM', value: (f) => f.path },
  { header: 'SIZE', value: (f) => formatBytes(f.size), align: 'right' },
  { header: 'MODIFIED', value: (f) => formatTime(f.mtime) },
];

function where(ctx: CommandContext, sub: string): string {
  return containerPath(ctx.project(), ctx.env(), ctx.arg(0), ctx.arg(1), sub);
}

/** Writes a download to `--to FILE`, or to stdout. */
async function save(ctx: CommandContext, res: Response): Promise<void> {
  if (!res.body) return;
  const body = Readable.fromWeb(res.body);
  const target = ctx.args.string('to');
  if (target) {
    await pipeline(body, createWriteStream(target));
    ctx.out.note(`saved ${target}`);
  } else await pipeline(body, ctx.io.stdout, { end: false });
}

async function ls(ctx: CommandContext): Promise<number> {
  const client = await ctx.client();
  const page = await client.get<{ entry: FileEntry; items: FileEntry[]; truncated?: boolean }>(
    where(ctx, '/files'),
    { path: ctx.optionalArg(2) ?? '/' },
  );
  if (ctx.out.json) ctx.out.printJson(page);
  else if (page.entry.type !== 'directory') ctx.out.table([page.entry], fileColumns, '');
  else {
    ctx.out.table(page.items, fileColumns, 'empty directory');
    if (page.truncated) ctx.out.note('(more entries than one listing shows)');
  }
  return 0;
}

async function cat(ctx: CommandContext): Promise<number> {
  const client = await ctx.client();
  const path = where(ctx, '/files/content');
  const tail = ctx.args.string('tail');
  const query: Query = {
    path: ctx.arg(2),
    tail: tail === undefined ? undefined : parseInteger(tail, '--tail', 1, 10_000),
  };
  if (ctx.args.bool('follow')) {
    for await (const event of client.stream(path, { ...query, follow: true })) {
      const data = JSON.parse(event.data) as { text?: string; reason?: string; error?: { message?: string } };
      if (event.event === 'error') throw new CliError(data.error?.message ?? event.data);
      if (event.event === 'end') break;
      if (event.event === 'line') ctx.out.raw(`${data.text}\n`);
      else if (event.event === 'rotated')
        ctx.io.stderr.write(`berth: ${ctx.arg(2)} was rotated or truncated; reading it from the start\n`);
      else if (event.event === 'missing')
        ctx.io.stderr.write(`berth: ${ctx.arg(2)} is gone; waiting for it\n`);
    }
    return 0;
  }
  const body = await client.get<{ text?: string; lines?: string[] }>(path, query);
  if (ctx.out.json) ctx.out.printJson(body);
  else if (body.lines) body.lines.forEach((l) => ctx.out.raw(`${l}\n`));
  else ctx.out.raw(body.text ?? '');
  return 0;
}

async function get(ctx: CommandContext): Promise<number> {
  const client = await ctx.client();
  const file = ctx.arg(2);
  const tar = ctx.args.bool('tar');
  const res = tar
    ? await client.download(where(ctx, '/files/archive'), { path: file })
    : await client.download(where(ctx, '/files/content'), { path: file, download: true });
  await save(ctx, res);
  return 0;
}

async function collected(ctx: CommandContext): Promise<number> {
  const client = await ctx.client();
  const file = ctx.optionalArg(2);
  if (file) {
    await save(ctx, await client.download(where(ctx, '/collected-logs/download'), { file }));
    return 0;
  }
  const page = await client.get<{ items: CollectedFile[] }>(where(ctx, '/collected-logs'));
  if (ctx.out.json) ctx.out.printJson(page);
  else ctx.out.table(page.items, collectedColumns, 'no collected log files (see spec.logFiles)');
  return 0;
}

const outOption = {
  name: 'to',
  kind: 'string' as const,
  value: 'FILE',
  description: 'write to FILE instead of stdout',
};

/** files ls/cat/get/collected: a container's files without a shell (docs/file-logs.md). */
export const fileCommands: CommandDef[] = [
  {
    name: 'files ls',
    usage: 'SERVICE CONTAINER [PATH]',
    summary:
      "list a directory of a container (through the engine's archive API: works without a shell in the image)",
    positionals: { min: 2, max: 3 },
    scoped: true,
    run: ls,
  },
  {
    name: 'files cat',
    usage: 'SERVICE CONTAINER PATH [--tail N] [-f]',
    summary:
      'print a text file of a container, its last N lines, or follow it as the app appends (rotation included)',
    positionals: { min: 3, max: 3 },
    scoped: true,
    options: [
      {
        name: 'tail',
        short: 'n',
        kind: 'string',
        value: 'N',
        description: 'the last N lines (with -f: before following; default 10)',
      },
      {
        name: 'follow',
        short: 'f',
        kind: 'boolean',
        description: 'keep printing lines as they are appended',
      },
    ],
    run: cat,
  },
  {
    name: 'files get',
    usage: 'SERVICE CONTAINER PATH [--to FILE] [--tar]',
    summary: 'download a file of a container, or with --tar a file or a whole directory as a tar archive',
    positionals: { min: 3, max: 3 },
    scoped: true,
    options: [
      outOption,
      { name: 'tar', kind: 'boolean', description: 'a tar archive (needed for a directory)' },
    ],
    run: get,
  },
  {
    name: 'files collected',
    usage: 'SERVICE CONTAINER [FILE] [--to FILE]',
    summary:
      'list the log files Berth collected from a container (spec.logFiles; also of a gone container), or download one',
    positionals: { min: 2, max: 3 },
    scoped: true,
    options: [outOption],
    run: collected,
  },
];
