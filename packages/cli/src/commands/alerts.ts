import { readFileSync } from 'node:fs';
import {
  channelCreateSchema,
  channelKinds,
  silenceCreateSchema,
  type AlertView,
  type ChannelView,
  type DeliveryView,
  type SilenceView,
} from '@berth/shared';
import { parseInteger, type OptionSpec } from '../args';
import type { CommandContext, CommandDef } from '../context';
import { CliError, validate } from '../errors';

/* berth channels / alerts / silences (docs/alerts.md, "Channels and alerts"). */

const projectPath = (ctx: CommandContext, what: string) =>
  `/api/v1/projects/${encodeURIComponent(ctx.project())}/${what}`;

const channelOptions: OptionSpec[] = [
  { name: 'kind', kind: 'string', value: 'KIND', description: `one of ${channelKinds.join(', ')}` },
  { name: 'url', kind: 'string', value: 'URL', description: 'the webhook or robot URL (write-only)' },
  {
    name: 'secret',
    kind: 'string',
    value: 'TEXT',
    description: 'webhook: the HMAC key; dingtalk/feishu: the signing secret (write-only)',
  },
  { name: 'msg-type', kind: 'string', value: 'T', description: 'feishu: interactive (default) or text' },
  { name: 'smtp-host', kind: 'string', value: 'HOST', description: 'email: the SMTP server' },
  { name: 'smtp-port', kind: 'string', value: 'N', description: 'email: its port' },
  { name: 'smtp-tls', kind: 'string', value: 'MODE', description: 'email: none, starttls or tls' },
  {
    name: 'smtp-ca-file',
    kind: 'string',
    value: 'PEM',
    description: 'email: a file with the CA (or self-signed) certificate to trust for the server',
  },
  { name: 'smtp-user', kind: 'string', value: 'NAME', description: 'email: the SMTP user' },
  { name: 'smtp-password', kind: 'string', value: 'TEXT', description: 'email: its password (write-only)' },
  { name: 'from', kind: 'string', value: 'ADDRESS', description: 'email: the sender' },
  { name: 'to', kind: 'list', value: 'ADDRESS', description: 'email: a recipient; repeat for more' },
  { name: 'rate-limit', kind: 'string', value: 'N', description: 'deliveries per minute (default 20)' },
  { name: 'description', kind: 'string', value: 'TEXT', description: 'what the channel is for' },
];

/** --smtp-ca-file: the PEM read here; a file that cannot be read says which. */
function readCaFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`--smtp-ca-file ${file}: ${err instanceof Error ? err.message : String(err)}`, {
      exitCode: 2,
    });
  }
}

function printDelivery(ctx: CommandContext, d: DeliveryView): void {
  ctx.out.line(`${d.channel}: ${d.state}`);
  for (const a of d.attempts)
    ctx.out.line(
      `  attempt ${a.attempt}: ${a.ok ? 'ok' : 'failed'}${a.code !== null ? ` (${a.code})` : ''} in ${a.durationMs} ms — ${a.detail}`,
    );
}

export const alertCommands: CommandDef[] = [
  {
    name: 'channels list',
    usage: '-p PROJECT',
    summary: "list a project's alert channels",
    positionals: { min: 0, max: 0 },
    scoped: true,
    async run(ctx) {
      const res = await (await ctx.client()).get<{ items: ChannelView[] }>(projectPath(ctx, 'channels'));
      if (ctx.out.json) ctx.out.printJson(res);
      else
        ctx.out.table(
          res.items,
          [
            { header: 'NAME', value: (c) => c.name },
            { header: 'KIND', value: (c) => c.kind },
            { header: 'TARGET', value: (c) => c.target },
            { header: 'PER MINUTE', value: (c) => String(c.rateLimitPerMinute) },
            { header: 'UPDATED', value: (c) => `${c.updatedAt} by ${c.updatedBy}` },
          ],
          'no channels',
        );
      return 0;
    },
  },
  {
    name: 'channels add',
    usage:
      'NAME -p PROJECT --kind KIND (--url URL [--secret S] | --smtp-host H --smtp-port N --smtp-tls MODE --from A --to A ...)',
    summary: 'add an alert channel (webhook, email, slack, dingtalk, feishu, wecom)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: channelOptions,
    async run(ctx) {
      const kind = ctx.args.string('kind');
      if (!kind) throw ctx.usageError(`give --kind (${channelKinds.join(', ')})`);
      const settings: Record<string, unknown> = { kind };
      if (kind === 'email') {
        const port = ctx.args.string('smtp-port');
        const caFile = ctx.args.string('smtp-ca-file');
        Object.assign(settings, {
          caCertificate: caFile === undefined ? undefined : readCaFile(caFile),
          host: ctx.args.string('smtp-host'),
          port: port === undefined ? undefined : parseInteger(port, '--smtp-port', 1, 65535),
          tls: ctx.args.string('smtp-tls'),
          user: ctx.args.string('smtp-user'),
          password: ctx.args.string('smtp-password'),
          from: ctx.args.string('from'),
          to: ctx.args.list('to'),
        });
      } else {
        settings.url = ctx.args.string('url');
        if (kind !== 'slack' && kind !== 'wecom') settings.secret = ctx.args.string('secret');
        if (kind === 'feishu') settings.msgType = ctx.args.string('msg-type');
      }
      const rate = ctx.args.string('rate-limit');
      const body = validate(
        channelCreateSchema,
        {
          name: ctx.arg(0),
          description: ctx.args.string('description'),
          rateLimitPerMinute: rate === undefined ? undefined : parseInteger(rate, '--rate-limit', 1, 600),
          settings,
        },
        'channel',
      );
      const created = await (await ctx.client()).post<ChannelView>(projectPath(ctx, 'channels'), body);
      if (ctx.out.json) ctx.out.printJson(created);
      else ctx.out.note(`channel ${created.name} added (${created.kind} → ${created.target})`);
      return 0;
    },
  },
  {
    name: 'channels test',
    usage: 'NAME -p PROJECT',
    summary: 'send a sample alert to a channel now and show what the receiver answered',
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      const d = await (
        await ctx.client()
      ).post<DeliveryView>(`${projectPath(ctx, 'channels')}/${encodeURIComponent(ctx.arg(0))}/test`);
      if (ctx.out.json) ctx.out.printJson(d);
      else printDelivery(ctx, d);
      return d.state === 'delivered' ? 0 : 1;
    },
  },
  {
    name: 'channels rm',
    usage: 'NAME -p PROJECT',
    summary: 'delete an alert channel (its delivery history stays)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      await (await ctx.client()).delete(`${projectPath(ctx, 'channels')}/${encodeURIComponent(ctx.arg(0))}`);
      ctx.out.note(`channel ${ctx.arg(0)} deleted`);
      return 0;
    },
  },
  {
    name: 'alerts',
    usage: '-p PROJECT [--state firing|resolved]',
    summary: "a project's alerts, firing now or resolved, with who was told when",
    positionals: { min: 0, max: 0 },
    scoped: true,
    options: [{ name: 'state', kind: 'string', value: 'STATE', description: 'firing or resolved' }],
    async run(ctx) {
      const state = ctx.args.string('state');
      if (state !== undefined && state !== 'firing' && state !== 'resolved')
        throw new CliError(`--state ${state}: give firing or resolved`, { exitCode: 2 });
      const res = await (
        await ctx.client()
      ).get<{ items: AlertView[] }>(projectPath(ctx, 'alerts'), state ? { state } : undefined);
      if (ctx.out.json) ctx.out.printJson(res);
      else
        ctx.out.table(
          res.items,
          [
            { header: 'STATE', value: (a) => a.state },
            { header: 'RULE', value: (a) => a.ruleName },
            { header: 'ENV', value: (a) => a.env },
            { header: 'SEVERITY', value: (a) => a.severity },
            {
              header: 'WHAT',
              value: (a) =>
                a.annotations.summary ??
                ['service', 'container', 'route']
                  .filter((k) => a.labels[k])
                  .map((k) => `${k}=${a.labels[k]}`)
                  .join(' '),
            },
            { header: 'SINCE', value: (a) => a.startsAt },
            {
              header: 'TOLD',
              value: (a) => a.deliveries.map((d) => `${d.channel}:${d.status}:${d.state}`).join(', ') || '-',
            },
          ],
          'no alerts',
        );
      return 0;
    },
  },
  {
    name: 'silences list',
    usage: '-p PROJECT [--expired]',
    summary: "a project's silences (active and pending; --expired adds expired ones)",
    positionals: { min: 0, max: 0 },
    scoped: true,
    options: [{ name: 'expired', kind: 'boolean', description: 'include expired silences' }],
    async run(ctx) {
      const res = await (
        await ctx.client()
      ).get<{ items: SilenceView[] }>(
        projectPath(ctx, 'silences'),
        ctx.args.bool('expired', false) ? { expired: 'true' } : undefined,
      );
      if (ctx.out.json) ctx.out.printJson(res);
      else
        ctx.out.table(
          res.items,
          [
            { header: 'ID', value: (s) => s.id },
            { header: 'STATE', value: (s) => s.state },
            {
              header: 'MATCHERS',
              value: (s) =>
                s.matchers
                  .map((m) => `${m.name}${m.isEqual ? '' : '!'}${m.isRegex ? '=~' : '='}"${m.value}"`)
                  .join(','),
            },
            { header: 'ENDS', value: (s) => s.endsAt },
            { header: 'BY', value: (s) => s.createdBy },
            { header: 'COMMENT', value: (s) => s.comment },
          ],
          'no silences',
        );
      return 0;
    },
  },
  {
    name: 'silences add',
    usage: '-p PROJECT --match NAME=VALUE ... --duration MINUTES --comment TEXT',
    summary: 'silence alerts of the project (berth_project is always added)',
    positionals: { min: 0, max: 0 },
    scoped: true,
    options: [
      {
        name: 'match',
        kind: 'list',
        value: 'NAME=VALUE',
        description: 'a label matcher (NAME=~REGEX for a regex, NAME!=VALUE to exclude); repeat',
      },
      { name: 'duration', kind: 'string', value: 'MINUTES', description: 'how long from now' },
      { name: 'comment', kind: 'string', value: 'TEXT', description: 'why' },
    ],
    async run(ctx) {
      const matchers = ctx.args.list('match').map((m) => {
        const hit = /^([A-Za-z_][A-Za-z0-9_]*)(!=|=~|!~|=)(.*)$/.exec(m);
        if (!hit)
          throw new CliError(`--match ${m}: give NAME=VALUE (or NAME=~REGEX, NAME!=VALUE)`, { exitCode: 2 });
        const op = hit[2]!;
        return { name: hit[1], value: hit[3], isRegex: op.includes('~'), isEqual: !op.startsWith('!') };
      });
      const duration = ctx.args.string('duration');
      const body = validate(
        silenceCreateSchema,
        {
          matchers,
          durationMinutes:
            duration === undefined ? undefined : parseInteger(duration, '--duration', 1, 129600),
          comment: ctx.args.string('comment'),
        },
        'silence',
      );
      const s = await (await ctx.client()).post<SilenceView>(projectPath(ctx, 'silences'), body);
      if (ctx.out.json) ctx.out.printJson(s);
      else ctx.out.note(`silence ${s.id} until ${s.endsAt}`);
      return 0;
    },
  },
  {
    name: 'silences expire',
    usage: 'ID -p PROJECT',
    summary: 'expire a silence of the project',
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      await (await ctx.client()).delete(`${projectPath(ctx, 'silences')}/${encodeURIComponent(ctx.arg(0))}`);
      ctx.out.note(`silence ${ctx.arg(0)} expired`);
      return 0;
    },
  },
];
