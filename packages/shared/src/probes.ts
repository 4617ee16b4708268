import { z } from 'zod';
import { alertSeverities, promDurationSchema } from './alert-rules';
import { nameSchema } from './names';

/*
 * Site monitoring (docs/probes.md): HTTP(S) and TCP probes of what a project owns, run by the
 * blackbox exporter, with uptime from Prometheus and alerts through the `probe` alert template.
 */

export const probeKinds = ['http', 'tcp'] as const;
export type ProbeKind = (typeof probeKinds)[number];

/** Status classes or codes a probe accepts: "2xx", "200", "2xx,301" … */
export const expectStatusPattern = /^([1-5]xx|[1-5][0-9]{2})(,([1-5]xx|[1-5][0-9]{2}))*$/;

/**
 * Why a regular expression would be refused by Go's regexp (RE2), which the blackbox exporter
 * compiles, or null. What JavaScript accepts but RE2 refuses: look-around, back-references,
 * atomic groups, possessive quantifiers, `(?<name>` (Go ≤ 1.21: `(?P<name>`), repeat counts over
 * 1000. The blackbox exporter's own `--config.check` runs on the server as well.
 */
export function re2Refusal(re: string): string | null {
  if (/\(\?<?[=!]/.test(re))
    return 'uses look-around ((?=, (?!, (?<=, (?<!), which Go (RE2) does not support';
  if (/\(\?>/.test(re)) return 'uses an atomic group ((?>…)), which Go (RE2) does not support';
  if (/\(\?<[A-Za-z]/.test(re))
    return 'names a group as (?<name>…); Go (RE2) of this blackbox exporter wants (?P<name>…)';
  if (/(^|[^\\])(\\\\)*\\[1-9]/.test(re))
    return 'uses a back-reference (\\1 …), which Go (RE2) does not support';
  if (/\\k</.test(re)) return 'uses a named back-reference (\\k<…>), which Go (RE2) does not support';
  if (/[*+?}][+]/.test(re.replace(/\\./g, '')))
    return 'uses a possessive quantifier (*+, ++, ?+), which Go (RE2) does not support';
  for (const m of re.matchAll(/\{(\d+)(,(\d*))?\}/g))
    if (Number(m[1]) > 1000 || (m[3] && Number(m[3]) > 1000))
      return 'repeats more than 1000 times ({n,m} above 1000), which Go (RE2) refuses';
  try {
    // RE2's syntax JavaScript lacks: (?P<name>…) and inline flags ((?i), (?s:…))
    new RegExp(
      re
        .replace(/\(\?P</g, '(?<')
        .replace(/\(\?[imsU]+\)/g, '')
        .replace(/\(\?[imsU-]+:/g, '(?:'),
    );
  } catch (err) {
    return `is not a valid regular expression (${err instanceof Error ? err.message : String(err)})`;
  }
  return null;
}

const regexSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(1000, 'must be at most 1000 characters')
  .superRefine((re, ctx) => {
    const why = re2Refusal(re);
    if (why) ctx.addIssue({ code: 'custom', message: why });
  });

/** The alert rule a probe can create with it (template `probe`). */
export const probeAlertSchema = z
  .object({
    for: promDurationSchema.default('1m'),
    severity: z.enum(alertSeverities).default('warning'),
    channels: z.array(nameSchema).max(20).default([]),
  })
  .strict();

const probeFields = {
  kind: z.enum(probeKinds),
  /** http: an http:// or https:// URL whose host the project owns. */
  url: z.string().max(2000).optional(),
  /** tcp: HOST:PORT the project owns. */
  address: z.string().max(300).optional(),
  /** http: accepted status classes or codes, comma-separated (default "2xx"). */
  expectStatus: z
    .string()
    .regex(expectStatusPattern, 'must be status classes or codes such as "2xx", "200" or "2xx,301"')
    .optional(),
  /** http: the probe fails when the body matches (e.g. "ERROR"). Go (RE2) syntax. */
  bodyMustNotMatch: regexSchema.optional(),
  /** http: the probe fails unless the body matches. Go (RE2) syntax. */
  bodyMustMatch: regexSchema.optional(),
  /** The probe fails when it takes longer (it is the blackbox module's timeout); default 10000. */
  latencyThresholdMs: z.number().int().min(100).max(60_000).optional(),
  intervalSeconds: z.number().int().min(1).max(3600).default(30),
  enabled: z.boolean().default(true),
};

function kindChecks(
  v: {
    kind: ProbeKind;
    url?: string | undefined;
    address?: string | undefined;
    expectStatus?: string | undefined;
    bodyMustMatch?: string | undefined;
    bodyMustNotMatch?: string | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  if (v.kind === 'http') {
    if (!v.url) ctx.addIssue({ code: 'custom', path: ['url'], message: 'is required for kind http' });
    else {
      let u: URL | null = null;
      try {
        u = new URL(v.url);
      } catch {
        ctx.addIssue({
          code: 'custom',
          path: ['url'],
          message: 'is not a URL (e.g. https://shop.example.com/health)',
        });
      }
      if (u && u.protocol !== 'http:' && u.protocol !== 'https:')
        ctx.addIssue({ code: 'custom', path: ['url'], message: 'must start with http:// or https://' });
      if (u && (u.username || u.password))
        ctx.addIssue({ code: 'custom', path: ['url'], message: 'must not carry a user name or password' });
    }
    if (v.address !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['address'],
        message: 'is for kind tcp; an http probe takes url',
      });
  } else {
    if (!v.address)
      ctx.addIssue({ code: 'custom', path: ['address'], message: 'is required for kind tcp (HOST:PORT)' });
    else if (
      !/^[A-Za-z0-9.-]+:\d{1,5}$/.test(v.address) ||
      Number(v.address.split(':').pop()) > 65535 ||
      Number(v.address.split(':').pop()) < 1
    )
      ctx.addIssue({ code: 'custom', path: ['address'], message: 'must be HOST:PORT (e.g. 10.0.0.5:5432)' });
    for (const k of ['url', 'expectStatus', 'bodyMustMatch', 'bodyMustNotMatch'] as const)
      if (v[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'is for kind http only' });
  }
}

/** Words of the API under …/probes/ that cannot be probe names; 57 leaves room for "probe-". */
const probeNameSchema = nameSchema.refine((n) => n.length <= 57, 'must be at most 57 characters');

export const probeCreateSchema = z
  .object({
    name: probeNameSchema,
    ...probeFields,
    /** Also create an alert rule (template probe) named "probe-<name>". */
    alert: probeAlertSchema.optional(),
  })
  .strict()
  .superRefine(kindChecks);
export type ProbeCreate = z.input<typeof probeCreateSchema>;

/** A full replacement (PUT); the name and the alert rule stay. */
export const probeUpdateSchema = z
  .object({
    ...probeFields,
    /**
     * The `updatedAt` of the probe as the editor read it: when it changed since, the PUT is a
     * 409 VERSION_CONFLICT instead of overwriting that change (left out: last writer wins).
     */
    expectedUpdatedAt: z.string().max(40).optional(),
  })
  .strict()
  .superRefine(kindChecks);
export type ProbeUpdate = z.input<typeof probeUpdateSchema>;

export const probeUptimeRangeSchema = z.enum(['1h', '6h', '24h', '7d', '30d']);
export type ProbeUptimeRange = z.infer<typeof probeUptimeRangeSchema>;

export interface SiteProbe {
  name: string;
  project: string;
  env: string;
  kind: ProbeKind;
  url: string | null;
  address: string | null;
  expectStatus: string | null;
  bodyMustMatch: string | null;
  bodyMustNotMatch: string | null;
  latencyThresholdMs: number | null;
  intervalSeconds: number;
  enabled: boolean;
  /** The alert rule made with the probe, or null. */
  alertRule: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

/** A probe in the list, with its state now (null: no result yet, or monitoring off). */
export interface SiteProbeStatus extends SiteProbe {
  up: boolean | null;
  /** Share of successful probes over the last 24 h (0..1), or null. */
  uptime24h: number | null;
  /** Duration of the last probe in seconds, or null. */
  lastDurationSeconds: number | null;
}

export interface SiteProbeUptime {
  range: ProbeUptimeRange;
  /** Share of successful probes over the range (0..1), null without data. */
  uptime: number | null;
  stepSeconds: number;
  /** [unix seconds, success 0..1 averaged over the step]. */
  success: Array<[number, number]>;
  /** [unix seconds, probe duration in seconds]. */
  latency: Array<[number, number]>;
}
