import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  appBackupScheduleSchema,
  type AppBackup,
  type AppBackupList,
  type AppBackupSchedule,
  type AppRestore,
} from '@berth/shared';
import type { CommandContext, CommandDef } from '../context';
import { CliError, validate } from '../errors';

const instancePath = (ctx: CommandContext) =>
  `/api/v1/projects/${encodeURIComponent(ctx.project())}/envs/${encodeURIComponent(ctx.env())}/app-instances/${encodeURIComponent(ctx.arg(0))}`;

function size(bytes: number | null): string {
  if (bytes === null) return '-';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** berth apps backup/backups/restore/backup-download/backup-schedule (docs/apps.md "Backups"). */
export const appBackupCommands: CommandDef[] = [
  {
    name: 'apps backup',
    usage: 'NAME -p PROJECT [-e ENV]',
    summary:
      "back up an app instance now into its backups volume ({name}-backups); 'berth apps backups' shows it",
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      const b = await (await ctx.client()).post<AppBackup>(`${instancePath(ctx)}/backups`);
      if (ctx.out.json) ctx.out.printJson(b);
      else
        ctx.out.line(
          `backup ${b.id} of ${ctx.arg(0)} started; "berth apps backups ${ctx.arg(0)}" shows when it is done`,
        );
      return 0;
    },
  },
  {
    name: 'apps backups',
    usage: 'NAME -p PROJECT [-e ENV]',
    summary: "an app instance's backups (newest first), its schedule and its latest restore",
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      const l = await (await ctx.client()).get<AppBackupList>(`${instancePath(ctx)}/backups`);
      if (ctx.out.json) {
        ctx.out.printJson(l);
        return 0;
      }
      ctx.out.table(
        l.items,
        [
          { header: 'ID', value: (b) => b.id },
          { header: 'STATE', value: (b) => b.state },
          { header: 'TRIGGER', value: (b) => b.trigger },
          { header: 'SIZE', value: (b) => size(b.sizeBytes) },
          { header: 'STARTED', value: (b) => b.startedAt ?? '-' },
          {
            header: 'MESSAGE',
            value: (b) => (b.state === 'failed' ? (b.message ?? '').split('\n').pop()! : ''),
          },
        ],
        `no backups yet: berth apps backup ${ctx.arg(0)}`,
      );
      const s = l.schedule;
      ctx.out.note(
        s
          ? `schedule: "${s.schedule}" (${s.timeZone}), keeps ${s.keep}, cron job ${s.cronJob}, next ${s.nextRunAt ?? '-'}`
          : 'schedule: none (berth apps backup-schedule NAME --cron "0 3 * * *" --keep 7)',
      );
      if (l.restore)
        ctx.out.note(
          `last restore: ${l.restore.backupId} ${l.restore.state} (by ${l.restore.startedBy}, ${l.restore.startedAt})${l.restore.message && l.restore.state === 'failed' ? `: ${l.restore.message}` : ''}`,
        );
      return 0;
    },
  },
  {
    name: 'apps restore',
    usage: 'NAME BACKUP_ID --yes -p PROJECT [-e ENV] [--no-wait]',
    summary: "replace an app instance's data with a backup (the current data is lost; --yes confirms)",
    positionals: { min: 2, max: 2 },
    scoped: true,
    options: [
      { name: 'yes', kind: 'boolean', description: 'confirm: the current data is replaced by the backup' },
      {
        name: 'wait',
        kind: 'boolean',
        negatable: true,
        description: 'wait until the restore ends (default)',
      },
    ],
    async run(ctx) {
      if (!ctx.args.bool('yes'))
        throw ctx.usageError(
          `restoring replaces the current data of ${ctx.arg(0)} with backup ${ctx.arg(1)}; add --yes to do it`,
        );
      const client = await ctx.client();
      const path = instancePath(ctx);
      let r = await client.post<AppRestore>(`${path}/backups/${encodeURIComponent(ctx.arg(1))}/restore`);
      if (!ctx.out.json) ctx.out.line(`restoring ${ctx.arg(0)} from ${r.backupId}`);
      while (ctx.wait && r.state === 'running') {
        await new Promise((res) => setTimeout(res, 2000));
        r = (await client.get<AppBackupList>(`${path}/backups`)).restore ?? r;
      }
      if (ctx.out.json) ctx.out.printJson(r);
      if (r.state === 'failed') throw new CliError(`restore of ${ctx.arg(0)} failed: ${r.message ?? ''}`);
      if (!ctx.out.json && r.state === 'succeeded') ctx.out.line(`restored ${ctx.arg(0)} from ${r.backupId}`);
      return 0;
    },
  },
  {
    name: 'apps backup-download',
    usage: 'NAME BACKUP_ID --out FILE -p PROJECT [-e ENV]',
    summary: 'download a backup file (needs the right to exec into services: a backup holds the data)',
    positionals: { min: 2, max: 2 },
    scoped: true,
    options: [
      { name: 'out', kind: 'string', value: 'FILE', description: 'where to write the file (-o is --output)' },
    ],
    async run(ctx) {
      const target = ctx.args.string('out');
      if (!target) throw ctx.usageError('give the file to write: --out FILE');
      const res = await (
        await ctx.client()
      ).download(`${instancePath(ctx)}/backups/${encodeURIComponent(ctx.arg(1))}/download`);
      if (!res.body) throw new CliError('the server sent no file');
      await pipeline(Readable.fromWeb(res.body as never), createWriteStream(target));
      ctx.out.note(`saved ${target}`);
      return 0;
    },
  },
  {
    name: 'apps backup-schedule',
    usage: 'NAME (--cron "0 3 * * *" [--time-zone TZ] [--keep 7] | --off) -p PROJECT [-e ENV]',
    summary: 'back up an app instance on a schedule (the cron job {name}-backup), or stop it with --off',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [
      { name: 'cron', kind: 'string', value: 'SCHEDULE', description: 'cron schedule, e.g. "0 3 * * *"' },
      { name: 'time-zone', kind: 'string', value: 'TZ', description: 'IANA time zone (default UTC)' },
      { name: 'keep', kind: 'string', value: 'N', description: 'scheduled backups kept (default 7)' },
      { name: 'off', kind: 'boolean', description: 'remove the schedule (the files stay)' },
    ],
    async run(ctx) {
      const client = await ctx.client();
      const path = `${instancePath(ctx)}/backup-schedule`;
      if (ctx.args.bool('off')) {
        await client.delete(path);
        if (!ctx.out.json) ctx.out.line(`scheduled backups of ${ctx.arg(0)} removed (the files stay)`);
        return 0;
      }
      const cron = ctx.args.string('cron');
      if (!cron) throw ctx.usageError('give --cron "0 3 * * *" (or --off)');
      const keep = ctx.args.string('keep');
      if (keep !== undefined && !/^[0-9]+$/.test(keep))
        throw ctx.usageError(`--keep must be a number, got "${keep}"`);
      const body = validate(
        appBackupScheduleSchema,
        {
          schedule: cron,
          ...(ctx.args.string('time-zone') ? { timeZone: ctx.args.string('time-zone') } : {}),
          ...(keep !== undefined ? { keep: Number(keep) } : {}),
        },
        'backup schedule',
      );
      const s = await client.put<AppBackupSchedule>(path, body);
      if (ctx.out.json) ctx.out.printJson(s);
      else
        ctx.out.line(
          `${ctx.arg(0)} is backed up "${s.schedule}" (${s.timeZone}), keeping ${s.keep}; cron job ${s.cronJob}, next run ${s.nextRunAt ?? '-'}`,
        );
      return 0;
    },
  },
];
