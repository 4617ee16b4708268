/**
 * Alert channels, alert history and silences of a project (docs/alerts.md, "Channels and
 * alerts"). A channel's URL, signing secret and SMTP password are write-only: the API never
 * returns them, an update that leaves them out keeps them.
 */
import { z } from 'zod';
import { nameSchema } from './names';

export const channelKinds = ['webhook', 'email', 'slack', 'dingtalk', 'feishu', 'wecom'] as const;
export type ChannelKind = (typeof channelKinds)[number];

export const smtpTlsModes = ['none', 'starttls', 'tls'] as const;

const noControl = (s: string) => !/[\u0000-\u001f\u007f]/.test(s);

/** An http(s) URL; where it may point is checked by the server (the fence, https outside tests). */
export const channelUrlSchema = z
  .string()
  .max(2048, 'must be at most 2048 characters')
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'https:' || u.protocol === 'http:') && u.username === '' && u.password === '';
    } catch {
      return false;
    }
  }, 'must be an https:// URL without user or password, such as https://hooks.example.com/alerts');

const secretSchema = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(512, 'must be at most 512 characters')
  .refine(noControl, 'must be one line without control characters');

const emailSchema = z
  .string()
  .max(254)
  .regex(/^[^\s@<>",;]+@[^\s@<>",;]+$/, 'must be an e-mail address such as ops@example.com');

const hostSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9.-]+$|^\[?[0-9A-Fa-f:.]+\]?$/, 'must be a host name or an IP address');

const common = {
  description: z.string().max(500).refine(noControl, 'must be one line').optional(),
  /** Deliveries per minute to this channel; more in a minute are dropped and recorded. */
  rateLimitPerMinute: z.number().int().min(1).max(600).optional(),
};

/** Per kind, the settings a channel takes. Secrets: `url`, `secret`, `password`. */
function kindSchemas(update: boolean) {
  const req = <T extends z.ZodType>(s: T) => (update ? s.optional() : s);
  return [
    z.object({ kind: z.literal('webhook'), url: req(channelUrlSchema), secret: req(secretSchema) }).strict(),
    z.object({ kind: z.literal('slack'), url: req(channelUrlSchema) }).strict(),
    z
      .object({ kind: z.literal('dingtalk'), url: req(channelUrlSchema), secret: secretSchema.optional() })
      .strict(),
    z
      .object({
        kind: z.literal('feishu'),
        url: req(channelUrlSchema),
        secret: secretSchema.optional(),
        /** "interactive" (a card, the default) or "text". */
        msgType: z.enum(['interactive', 'text']).optional(),
      })
      .strict(),
    z.object({ kind: z.literal('wecom'), url: req(channelUrlSchema) }).strict(),
    z
      .object({
        kind: z.literal('email'),
        host: hostSchema,
        port: z.number().int().min(1).max(65535),
        tls: z.enum(smtpTlsModes),
        user: z.string().max(254).refine(noControl, 'must be one line').optional(),
        password: z.string().max(512).refine(noControl, 'must be one line').optional(),
        from: emailSchema,
        to: z.array(emailSchema).min(1, 'must name at least one recipient').max(20),
        /**
         * tls starttls or tls: PEM certificate(s) to trust for this server besides the system's
         * CAs, e.g. an internal CA or the server's self-signed certificate. Not a secret.
         */
        caCertificate: z
          .string()
          .max(20_000)
          .regex(/-----BEGIN CERTIFICATE-----/, 'must be PEM: -----BEGIN CERTIFICATE----- …')
          .optional(),
      })
      .strict(),
  ] as const;
}

const createKinds = kindSchemas(false);
const updateKinds = kindSchemas(true);

export const channelCreateSchema = z
  .object({ name: nameSchema, ...common, settings: z.discriminatedUnion('kind', createKinds) })
  .strict();
export type ChannelCreate = z.output<typeof channelCreateSchema>;

/** Replaces a channel's settings; its kind cannot change; secrets left out keep their value. */
export const channelUpdateSchema = z
  .object({ ...common, settings: z.discriminatedUnion('kind', updateKinds) })
  .strict();
export type ChannelUpdate = z.output<typeof channelUpdateSchema>;
/** Settings as create or update takes them (update: secrets optional). */
export type ChannelSettingsInput = ChannelUpdate['settings'];

/** A channel as the API shows it: no URL (it holds tokens), no secret, no password. */
export interface ChannelView {
  name: string;
  kind: ChannelKind;
  description: string;
  rateLimitPerMinute: number;
  /** Where deliveries go, without path or query: "https://oapi.dingtalk.com", "smtp://mail:25". */
  target: string;
  /** The settings that are not secret (email: host, port, tls, user, from, to; feishu: msgType). */
  settings: Record<string, unknown>;
  /** Which secrets are set. */
  secrets: { url?: boolean; secret?: boolean; password?: boolean };
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

export const deliveryStates = ['pending', 'sending', 'delivered', 'failed', 'rate-limited'] as const;
export type DeliveryState = (typeof deliveryStates)[number];

export interface DeliveryAttemptView {
  attempt: number;
  ok: boolean;
  /** HTTP status, or the SMTP reply code. */
  code: number | null;
  /** The receiver's answer (HTTP body start, SMTP reply) or the error. */
  detail: string;
  durationMs: number;
  at: string;
}

export interface DeliveryView {
  id: string;
  channel: string;
  kind: ChannelKind;
  /** "alert" (Alertmanager's notification), "test" (test-send). */
  reason: 'alert' | 'test';
  /** What the notification said: firing or resolved. */
  status: 'firing' | 'resolved';
  state: DeliveryState;
  attempts: DeliveryAttemptView[];
  nextAttemptAt: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface AlertView {
  id: string;
  project: string;
  env: string;
  rule: string;
  ruleName: string;
  severity: string;
  state: 'firing' | 'resolved';
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string | null;
  updatedAt: string;
  /** Who was told, when: the deliveries that carried this alert. */
  deliveries: DeliveryView[];
}

export const alertsQuerySchema = z
  .object({
    state: z.enum(['firing', 'resolved']).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

const labelNameSchema = z
  .string()
  .regex(
    /^[a-zA-Z_][a-zA-Z0-9_]*$/,
    'must be a label name: letters, digits and "_", not starting with a digit',
  );

export const silenceMatcherSchema = z
  .object({
    name: labelNameSchema,
    value: z.string().max(1024).refine(noControl, 'must be one line'),
    isRegex: z.boolean().default(false),
    isEqual: z.boolean().default(true),
  })
  .strict();

/**
 * A silence of a project's alerts. Berth adds `berth_project="<project>"` to the matchers (one
 * naming another project is refused), so a silence never reaches another project's alerts.
 */
export const silenceCreateSchema = z
  .object({
    matchers: z.array(silenceMatcherSchema).max(20).default([]),
    /** How long from now (minutes); or give endsAt. */
    durationMinutes: z
      .number()
      .int()
      .min(1)
      .max(60 * 24 * 90)
      .optional(),
    startsAt: z.iso.datetime({ offset: true }).optional(),
    endsAt: z.iso.datetime({ offset: true }).optional(),
    comment: z.string().min(1, 'must say why').max(1000),
  })
  .strict();
export type SilenceCreate = z.output<typeof silenceCreateSchema>;

export interface SilenceView {
  id: string;
  matchers: Array<{ name: string; value: string; isRegex: boolean; isEqual: boolean }>;
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  state: 'active' | 'pending' | 'expired';
}
