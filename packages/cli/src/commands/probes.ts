import {
  probeCreateSchema,
  probeUpdateSchema,
  probeUptimeRangeSchema,
  type SiteProbe,
  type SiteProbeStatus,
  type SiteProbeUptime,
} from '@berth/shared';
import { parseInteger } from '../args';
import type { CommandContext, CommandDef } from '../context';
import { validate } from '../errors';

const base = (ctx: CommandContext) =>
  `/api/v1/projects/${encodeURIComponent(ctx.project())}/envs/${encodeURIComponent(ctx.env())}/probes`;

/** The flags that describe what a probe checks: `probes add` and `probes edit` take the same. */
const probeOptions: NonNullable<CommandDef['options']> = [
  { name: 'url', kind: 'string', value: 'URL', description: 'HTTP(S) probe of this URL' },
  { name: 'tcp', kind: 'string', value: 'HOST:PORT', description: 'TCP connect probe' },
  { name: 'expect', kind: 'string', value: 'CODES', description: 'accepted status, e.g. 2xx or 200,301' },
  {
    name: 'body-must-not-match',
    kind: 'string',
    value: 'RE',
    description: 'fail when the body matches (Go regexp)',
  },
  { name: 'body-must-match', kind: 'string', value: 'RE', description: 'fail unless the body matches' },
  { name: 'latency-ms', kind: 'string', value: 'N', description: 'fail when slower (default 10000)' },
  { name: 'interval', kind: 'string', value: 'SECONDS', description: 'how often (default 30)' },
];

const percent = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(2)}%`);

/** berth probes …: site monitoring, HTTP(S) and TCP probes of an environment (docs/probes.md). */
export const probeCommands: CommandDef[] = [
  {
    name: 'probes list',
    usage: '-p PROJECT [-e ENV]',
    summary: "list an environment's probes with up/down now and uptime over 24 h",
    positionals: { min: 0, max: 0 },
    scoped: true,
    async run(ctx) {
      const res = await (await ctx.client()).get<{ items: SiteProbeStatus[] }>(base(ctx));
      if (ctx.out.json) ctx.out.printJson(res);
      else
        ctx.out.table(
          res.items,
          [
            { header: 'NAME', value: (r) => r.name },
            { header: 'KIND', value: (r) => r.kind },
            { header: 'TARGET', value: (r) => r.url ?? r.address ?? '-' },
            {
              header: 'NOW',
              value: (r) => (!r.enabled ? 'disabled' : r.up === null ? '-' : r.up ? 'up' : 'down'),
            },
            { header: 'UPTIME 24H', value: (r) => percent(r.uptime24h) },
            {
              header: 'LAST',
              value: (r) =>
                r.lastDurationSeconds === null ? '-' : `${Math.round(r.lastDurationSeconds * 1000)}ms`,
            },
            { header: 'EVERY', value: (r) => `${r.intervalSeconds}s` },
            { header: 'ALERT RULE', value: (r) => r.alertRule ?? '-' },
          ],
          'no probes',
        );
      return 0;
    },
  },
  {
    name: 'probes add',
    usage:
      'NAME -p PROJECT [-e ENV] (--url URL | --tcp HOST:PORT) [--expect 2xx] [--body-must-not-match RE] [--body-must-match RE] [--latency-ms N] [--interval N] [--alert [--alert-for 1m] [--severity S]]',
    summary: 'add an HTTP(S) or TCP probe of a target the project owns (a refusal names the field)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [
      ...probeOptions,
      { name: 'alert', kind: 'boolean', description: 'also create alert rule probe-NAME' },
      { name: 'alert-for', kind: 'string', value: 'DURATION', description: 'the rule’s for (default 1m)' },
      { name: 'severity', kind: 'string', value: 'S', description: 'the rule’s severity (default warning)' },
    ],
    async run(ctx) {
      const url = ctx.args.string('url');
      const tcp = ctx.args.string('tcp');
      if ((url === undefined) === (tcp === undefined))
        throw ctx.usageError('give --url URL or --tcp HOST:PORT');
      const latency = ctx.args.string('latency-ms');
      const interval = ctx.args.string('interval');
      const body = validate(
        probeCreateSchema,
        {
          name: ctx.arg(0),
          kind: url !== undefined ? 'http' : 'tcp',
          url,
          address: tcp,
          expectStatus: ctx.args.string('expect'),
          bodyMustNotMatch: ctx.args.string('body-must-not-match'),
          bodyMustMatch: ctx.args.string('body-must-match'),
          latencyThresholdMs:
            latency === undefined ? undefined : parseInteger(latency, '--latency-ms', 100, 60_000),
          intervalSeconds: interval === undefined ? undefined : parseInteger(interval, '--interval', 1, 3600),
          alert: ctx.args.bool('alert')
            ? { for: ctx.args.string('alert-for'), severity: ctx.args.string('severity') }
            : undefined,
        },
        'probe',
      );
      const r = await (
        await ctx.client()
      ).post<SiteProbe & { reload: { reloaded: boolean; error?: string } }>(base(ctx), body);
      if (ctx.out.json) ctx.out.printJson(r);
      else {
        ctx.out.line(`probe ${r.name} added (${r.kind} ${r.url ?? r.address}, every ${r.intervalSeconds}s)`);
        if (r.alertRule) ctx.out.line(`alert rule ${r.alertRule} added`);
        if (!r.reload.reloaded)
          ctx.out.line(`not running yet: ${r.reload.error ?? 'the monitoring stack did not reload'}`);
      }
      return 0;
    },
  },
  {
    name: 'probes edit',
    usage:
      'NAME -p PROJECT [-e ENV] [--url URL | --tcp HOST:PORT] [--expect 2xx] [--body-must-not-match RE] [--body-must-match RE] [--latency-ms N] [--interval N] [--enable | --disable]',
    summary:
      'change a probe: only the flags given change (an empty RE removes that check); its alert rule stays (berth alert-rules)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [
      ...probeOptions,
      { name: 'enable', kind: 'boolean', description: 'probe again' },
      { name: 'disable', kind: 'boolean', description: 'stop probing (kept, with its history)' },
    ],
    async run(ctx) {
      const name = ctx.arg(0);
      const url = ctx.args.string('url');
      const tcp = ctx.args.string('tcp');
      if (url !== undefined && tcp !== undefined)
        throw ctx.usageError('give --url URL or --tcp HOST:PORT, not both');
      if (ctx.args.bool('enable') && ctx.args.bool('disable'))
        throw ctx.usageError('give --enable or --disable, not both');
      const client = await ctx.client();
      const path = `${base(ctx)}/${encodeURIComponent(name)}`;
      // read, change what was given, PUT with the updatedAt read: a change made meanwhile is a 409
      const cur = await client.get<SiteProbe>(path);
      const kind = url !== undefined ? 'http' : tcp !== undefined ? 'tcp' : cur.kind;
      const http = kind === 'http';
      const keep = (flag: string, now: string | null) => {
        const v = ctx.args.string(flag);
        if (v === undefined) return http ? (now ?? undefined) : undefined;
        return v === '' ? undefined : v;
      };
      const latency = ctx.args.string('latency-ms');
      const interval = ctx.args.string('interval');
      const body = validate(
        probeUpdateSchema,
        {
          kind,
          url: http ? (url ?? cur.url ?? undefined) : undefined,
          address: http ? undefined : (tcp ?? cur.address ?? undefined),
          expectStatus: keep('expect', cur.expectStatus),
          bodyMustNotMatch: keep('body-must-not-match', cur.bodyMustNotMatch),
          bodyMustMatch: keep('body-must-match', cur.bodyMustMatch),
          latencyThresholdMs:
            latency === undefined
              ? (cur.latencyThresholdMs ?? undefined)
              : parseInteger(latency, '--latency-ms', 100, 60_000),
          intervalSeconds:
            interval === undefined ? cur.intervalSeconds : parseInteger(interval, '--interval', 1, 3600),
          enabled: ctx.args.bool('enable') ? true : ctx.args.bool('disable') ? false : cur.enabled,
          expectedUpdatedAt: cur.updatedAt,
        },
        'probe',
      );
      const r = await client.put<SiteProbe & { reload: { reloaded: boolean; error?: string } }>(path, body);
      if (ctx.out.json) ctx.out.printJson(r);
      else {
        ctx.out.line(
          `probe ${r.name} changed (${r.kind} ${r.url ?? r.address}, every ${r.intervalSeconds}s${r.enabled ? '' : ', disabled'})`,
        );
        if (!r.reload.reloaded)
          ctx.out.line(`not running yet: ${r.reload.error ?? 'the monitoring stack did not reload'}`);
      }
      return 0;
    },
  },
  {
    name: 'probes rm',
    usage: 'NAME -p PROJECT [-e ENV]',
    summary: 'delete a probe and the alert rule made with it',
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      await (await ctx.client()).delete(`${base(ctx)}/${encodeURIComponent(ctx.arg(0))}`);
      if (!ctx.out.json) ctx.out.line(`probe ${ctx.arg(0)} deleted`);
      return 0;
    },
  },
  {
    name: 'probes uptime',
    usage: 'NAME -p PROJECT [-e ENV] [--range 1h|6h|24h|7d|30d]',
    summary: "a probe's uptime and latency over a range, from Prometheus",
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [
      { name: 'range', kind: 'string', value: 'RANGE', description: '1h, 6h, 24h (default), 7d or 30d' },
    ],
    async run(ctx) {
      const range = validate(probeUptimeRangeSchema, ctx.args.string('range') ?? '24h', 'range');
      const r = await (
        await ctx.client()
      ).get<SiteProbeUptime>(`${base(ctx)}/${encodeURIComponent(ctx.arg(0))}/uptime?range=${range}`);
      if (ctx.out.json) ctx.out.printJson(r);
      else {
        const lat = r.latency.map(([, v]) => v).filter((v) => Number.isFinite(v));
        ctx.out.line(`uptime over ${r.range}: ${percent(r.uptime)}`);
        ctx.out.line(
          lat.length
            ? `latency: avg ${((lat.reduce((a, b) => a + b, 0) / lat.length) * 1000).toFixed(0)} ms, max ${(Math.max(...lat) * 1000).toFixed(0)} ms (${lat.length} steps of ${r.stepSeconds}s)`
            : 'latency: no results yet',
        );
      }
      return 0;
    },
  },
];
