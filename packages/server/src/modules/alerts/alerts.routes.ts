import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import {
  InvalidError,
  UnauthenticatedError,
  UnavailableError,
  alertsQuerySchema,
  channelCreateSchema,
  channelUpdateSchema,
  nameSchema,
  silenceCreateSchema,
} from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import { alertmanagerWebhookPath } from '../monitoring/stack';
import type { AlertsService } from './alerts.service';
import type { Silences } from './silences';

const projectParams = z.object({ project: nameSchema }).strict();
const channelParams = z.object({ project: nameSchema, channel: nameSchema }).strict();
const silenceParams = z
  .object({ project: nameSchema, silence: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a silence id') })
  .strict();
const projectScope = (p: { project: string }) => ({ kind: 'project' as const, project: p.project });
const read = { permission: 'services:read' as const, scope: projectScope };
const write = { permission: 'services:write' as const, scope: projectScope };
const deliveriesQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }).strict();
const silencesQuery = z.object({ expired: z.enum(['true', 'false']).default('false') }).strict();

/** Alertmanager's webhook payload (version 4); fields Berth does not read pass through. */
const alertmanagerPayloadSchema = z.looseObject({
  version: z.string(),
  status: z.string(),
  alerts: z
    .array(
      z.looseObject({
        status: z.string(),
        labels: z.record(z.string(), z.string()),
        annotations: z.record(z.string(), z.string()).optional(),
        startsAt: z.string(),
        endsAt: z.string().optional(),
        fingerprint: z.string().optional(),
      }),
    )
    .max(10_000),
});

/** Channels, alerts, silences (docs/alerts.md) and Alertmanager's webhook. */
export function registerAlertRoutes(
  registry: RouteRegistry,
  svc: AlertsService,
  silences: Silences,
  webhookToken: string | null,
): void {
  const channels = '/api/v1/projects/:project/channels';
  registry.add({
    id: 'channels.list',
    method: 'GET',
    url: channels,
    summary: "A project's alert channels (URLs, secrets and passwords are never shown)",
    tags: ['alerts'],
    access: read,
    params: projectParams,
    handler: async ({ params }) => ({ items: await svc.list(params.project) }),
  });
  registry.add({
    id: 'channels.create',
    method: 'POST',
    url: channels,
    summary: 'Create an alert channel: webhook (HMAC-signed), email (SMTP), Slack, DingTalk, Feishu or WeCom',
    tags: ['alerts'],
    access: write,
    params: projectParams,
    body: channelCreateSchema,
    response: { status: 201, description: 'the channel, without its secrets' },
    target: { kind: 'channel', name: (p, b) => `${p.project}/${b.name}` },
    handler: async ({ params, body, actor }) => ({
      status: 201,
      body: await svc.create(params.project, body, actor.name),
    }),
  });
  registry.add({
    id: 'channels.get',
    method: 'GET',
    url: `${channels}/:channel`,
    summary: 'An alert channel (without its secrets)',
    tags: ['alerts'],
    access: read,
    params: channelParams,
    handler: async ({ params }) => svc.view(await svc.resolve(params.project, params.channel)),
  });
  registry.add({
    id: 'channels.update',
    method: 'PUT',
    url: `${channels}/:channel`,
    summary: "Replace a channel's settings (same kind; url, secret and password left out keep their value)",
    tags: ['alerts'],
    access: write,
    params: channelParams,
    body: channelUpdateSchema,
    target: { kind: 'channel' },
    handler: ({ params, body, actor }) => svc.update(params.project, params.channel, body, actor.name),
  });
  registry.add({
    id: 'channels.delete',
    method: 'DELETE',
    url: `${channels}/:channel`,
    summary: 'Delete a channel (its delivery history stays)',
    tags: ['alerts'],
    access: write,
    params: channelParams,
    target: { kind: 'channel' },
    handler: async ({ params }) => {
      await svc.remove(params.project, params.channel);
      return { status: 204 };
    },
  });
  registry.add({
    id: 'channels.test',
    method: 'POST',
    url: `${channels}/:channel/test`,
    summary: 'Test-send: deliver a sample alert now (one attempt) and answer with the delivery record',
    tags: ['alerts'],
    access: write,
    params: channelParams,
    target: { kind: 'channel' },
    handler: ({ params, actor }) => svc.test(params.project, params.channel, actor.name),
  });
  registry.add({
    id: 'channels.deliveries',
    method: 'GET',
    url: `${channels}/:channel/deliveries`,
    summary: "A channel's deliveries, newest first, with every attempt",
    tags: ['alerts'],
    access: read,
    params: channelParams,
    query: deliveriesQuery,
    handler: async ({ params, query }) => ({
      items: await svc.deliveries(params.project, params.channel, query.limit),
    }),
  });
  registry.add({
    id: 'alerts.list',
    method: 'GET',
    url: '/api/v1/projects/:project/alerts',
    summary:
      "A project's alerts, most recently changed first: firing now or resolved, with who was told when",
    tags: ['alerts'],
    access: read,
    params: projectParams,
    query: alertsQuerySchema,
    handler: async ({ params, query }) => ({
      items: await svc.alerts(params.project, query.state, query.limit),
    }),
  });

  const silencesUrl = '/api/v1/projects/:project/silences';
  registry.add({
    id: 'silences.list',
    method: 'GET',
    url: silencesUrl,
    summary: "A project's silences in Alertmanager (active and pending; ?expired=true adds expired ones)",
    tags: ['alerts'],
    access: read,
    params: projectParams,
    query: silencesQuery,
    handler: async ({ params, query }) => ({
      items: await silences.list(params.project, query.expired === 'true'),
    }),
  });
  registry.add({
    id: 'silences.create',
    method: 'POST',
    url: silencesUrl,
    summary: 'Silence alerts of the project by matchers (berth_project="<project>" is always added)',
    tags: ['alerts'],
    access: write,
    params: projectParams,
    body: silenceCreateSchema,
    response: { status: 201, description: 'the silence' },
    target: { kind: 'silence' },
    handler: async ({ params, body, actor }) => ({
      status: 201,
      body: await silences.create(params.project, body, actor.name),
    }),
  });
  registry.add({
    id: 'silences.expire',
    method: 'DELETE',
    url: `${silencesUrl}/:silence`,
    summary: 'Expire a silence of the project',
    tags: ['alerts'],
    access: write,
    params: silenceParams,
    target: { kind: 'silence' },
    handler: async ({ params }) => {
      await silences.expire(params.project, params.silence);
      return { status: 204 };
    },
  });

  const token = webhookToken ? Buffer.from(webhookToken) : null;
  registry.add({
    id: 'monitoring.alertmanager',
    method: 'POST',
    url: alertmanagerWebhookPath,
    summary:
      "Alertmanager's webhook (Bearer: the webhook token): records the alerts per project and delivers them to the channels they name",
    tags: ['alerts'],
    // Not a user route: Alertmanager presents the webhook token, checked here; refusals are
    // audited by the route registry (401).
    access: 'public',
    // checked in the handler, after the token: a caller without it learns nothing of the format
    body: z.unknown(),
    bodyLimit: 16 * 1024 * 1024,
    target: { kind: 'alertmanager', name: () => 'webhook' },
    handler: async ({ req, body }) => {
      if (!token)
        throw new UnavailableError(
          'Monitoring is off (BERTH_MONITORING=off): Berth takes no notifications from Alertmanager.',
        );
      const header = req.headers.authorization;
      const given =
        typeof header === 'string' && /^Bearer /i.test(header) ? Buffer.from(header.slice(7).trim()) : null;
      if (!given || given.length !== token.length || !timingSafeEqual(given, token))
        throw new UnauthenticatedError(
          `${alertmanagerWebhookPath} takes only Alertmanager's notifications: send "Authorization: Bearer <webhook token>" (BERTH_ALERTMANAGER_WEBHOOK_TOKEN, or the file monitoring/alertmanager-webhook.token in $BERTH_DATA_DIR).`,
        );
      const parsed = alertmanagerPayloadSchema.safeParse(body);
      if (!parsed.success)
        throw new InvalidError(
          `Not an Alertmanager webhook payload (version 4): ${parsed.error.issues
            .slice(0, 3)
            .map((i) => `${i.path.join('.') || 'body'} ${i.message}`)
            .join('; ')}.`,
        );
      return svc.ingest(parsed.data);
    },
  });
}
