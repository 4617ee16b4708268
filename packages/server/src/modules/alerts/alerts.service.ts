import {
  ConflictError,
  InvalidError,
  NotFoundError,
  nameSchema,
  type AlertView,
  type ChannelCreate,
  type ChannelKind,
  type ChannelSettingsInput,
  type ChannelUpdate,
  type ChannelView,
  type DeliveryView,
} from '@berth/shared';
import { X509Certificate } from 'node:crypto';
import type { SecretBox } from '../../crypto/secret-box';
import type { AppContext } from '../../http/context';
import { newId, nowIso } from '../../util';
import type { AlertRow, AlertsRepository, ChannelRow, DeliveryRow } from './alerts.repository';
import { hostRefusal, urlRefusal } from './channel-fence';
import type { AddressGuard, AlertMessage, ChannelTarget, MessageAlert } from './channel-senders';
import type { DeliveryQueue } from './delivery-queue';

/** The secret fields of a channel's settings. */
const secretKeys = ['url', 'secret', 'password'] as const;
type Secrets = { url?: string; secret?: string; password?: string };

/** Alertmanager's webhook payload (version 4), as far as Berth reads it. */
export interface AlertmanagerPayload {
  version: string;
  status: string;
  alerts: Array<{
    status: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
    startsAt: string;
    endsAt?: string;
    fingerprint?: string;
  }>;
}

const defaultRateLimit = 20;

/** "0001-01-01T00:00:00Z" (Alertmanager's "not set") and absent are null. */
function timeOrNull(t: string | undefined): string | null {
  if (!t || t.startsWith('0001-')) return null;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function origin(url: string | undefined): string {
  if (!url) return '';
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

/** Channels, the alert history and what Alertmanager sends (docs/alerts.md). */
export class AlertsService {
  constructor(
    private readonly ctx: AppContext,
    private readonly repo: AlertsRepository,
    private readonly secrets: SecretBox,
    readonly queue: DeliveryQueue,
    private readonly guard: () => Promise<AddressGuard>,
  ) {}

  private get allowLoopback(): boolean {
    return this.ctx.config.allowLoopbackBackends;
  }

  view(row: ChannelRow): ChannelView {
    const settings = JSON.parse(row.settings) as Record<string, unknown>;
    const sealed = JSON.parse(row.secrets) as Record<string, string>;
    const secrets: ChannelView['secrets'] = {};
    for (const k of secretKeys) if (sealed[k]) secrets[k] = true;
    let target = '';
    if (row.kind === 'email') target = `smtp://${String(settings.host)}:${String(settings.port)}`;
    else target = origin(sealed.url ? this.secrets.open(sealed.url) : undefined);
    return {
      name: row.name,
      kind: row.kind as ChannelKind,
      description: row.description,
      rateLimitPerMinute: row.rate_limit_per_minute,
      target,
      settings,
      secrets,
      createdAt: row.created_at,
      createdBy: row.created_by,
      updatedAt: row.updated_at,
      updatedBy: row.updated_by,
    };
  }

  async list(project: string): Promise<ChannelView[]> {
    return (await this.repo.listChannels(project)).map((r) => this.view(r));
  }

  async resolve(project: string, name: string): Promise<ChannelRow> {
    const row = await this.repo.getChannel(project, name);
    if (!row)
      throw new NotFoundError(
        'NOT_FOUND',
        `Channel '${name}' does not exist in project '${project}'; list them with \`berth channels list -p ${project}\`.`,
      );
    return row;
  }

  /** The channel's settings and opened secrets, as a sender needs them. */
  target(row: ChannelRow): ChannelTarget {
    const sealed = JSON.parse(row.secrets) as Record<string, string>;
    const secrets: Secrets = {};
    for (const k of secretKeys) if (sealed[k]) secrets[k] = this.secrets.open(sealed[k]);
    return {
      kind: row.kind as ChannelKind,
      settings: JSON.parse(row.settings) as Record<string, unknown>,
      secrets,
    };
  }

  /** Splits settings into what is shown and what is sealed; checks where URLs point. */
  private async split(
    settings: ChannelSettingsInput,
    keep: Record<string, string>,
  ): Promise<{ shown: Record<string, unknown>; sealed: Record<string, string> }> {
    const shown: Record<string, unknown> = {};
    const sealed: Record<string, string> = { ...keep };
    const guard = await this.guard();
    for (const [k, v] of Object.entries(settings)) {
      if (v === undefined) continue;
      if ((secretKeys as readonly string[]).includes(k)) {
        if (k === 'url') {
          const why = urlRefusal(String(v), guard, this.allowLoopback);
          if (why)
            throw new InvalidError(`The channel URL ${why}.`, [{ path: 'settings.url', message: why }]);
        }
        sealed[k] = this.secrets.seal(String(v));
      } else if (k !== 'kind') shown[k] = v;
    }
    if (settings.kind === 'email') {
      const why = hostRefusal(settings.host, settings.port, guard, this.allowLoopback);
      if (why) throw new InvalidError(`The SMTP server ${why}.`, [{ path: 'settings.host', message: why }]);
      if (settings.caCertificate !== undefined) {
        if (settings.tls === 'none')
          throw new InvalidError(
            'A CA certificate is for tls "starttls" or "tls"; with "none" nothing checks it.',
            [{ path: 'settings.caCertificate', message: 'needs settings.tls starttls or tls' }],
          );
        try {
          new X509Certificate(settings.caCertificate);
        } catch (err) {
          const why = `is not a certificate Node can read (${err instanceof Error ? err.message : String(err)})`;
          throw new InvalidError(`The CA certificate ${why}.`, [
            { path: 'settings.caCertificate', message: why },
          ]);
        }
      }
      if (settings.user && !sealed.password && settings.password === undefined)
        throw new InvalidError('An SMTP user needs a password.', [
          { path: 'settings.password', message: 'is required with settings.user' },
        ]);
    }
    return { shown, sealed };
  }

  async create(project: string, body: ChannelCreate, actor: string): Promise<ChannelView> {
    if (await this.repo.getChannel(project, body.name))
      throw new ConflictError(
        `Channel '${body.name}' already exists in project '${project}'; pick another name.`,
        {
          fields: [{ path: 'name', message: 'already exists' }],
        },
      );
    const { shown, sealed } = await this.split(body.settings, {});
    const now = nowIso();
    const row: ChannelRow = {
      id: newId(),
      project,
      name: body.name,
      kind: body.settings.kind,
      description: body.description ?? '',
      rate_limit_per_minute: body.rateLimitPerMinute ?? defaultRateLimit,
      settings: JSON.stringify(shown),
      secrets: JSON.stringify(sealed),
      created_at: now,
      created_by: actor,
      updated_at: now,
      updated_by: actor,
    };
    await this.repo.insertChannel(row);
    return this.view(row);
  }

  async update(project: string, name: string, body: ChannelUpdate, actor: string): Promise<ChannelView> {
    const row = await this.resolve(project, name);
    if (body.settings.kind !== row.kind)
      throw new InvalidError(
        `Channel '${name}' is a ${row.kind} channel; its kind cannot change. Delete it and create a ${body.settings.kind} channel.`,
        [{ path: 'settings.kind', message: `must be "${row.kind}"` }],
      );
    const { shown, sealed } = await this.split(
      body.settings,
      JSON.parse(row.secrets) as Record<string, string>,
    );
    // email: a password left out is kept only while a user is set
    if (body.settings.kind === 'email' && !body.settings.user) delete sealed.password;
    const patch = {
      description: body.description ?? row.description,
      rate_limit_per_minute: body.rateLimitPerMinute ?? row.rate_limit_per_minute,
      settings: JSON.stringify(shown),
      secrets: JSON.stringify(sealed),
      updated_at: nowIso(),
      updated_by: actor,
    };
    await this.repo.updateChannel(row.id, patch);
    return this.view({ ...row, ...patch });
  }

  /** Who names a channel ("env/rule"), from the alert rules module; wired once both exist. */
  private channelUsers: ((project: string, channel: string) => Promise<string[]>) | null = null;

  /** A channel named by rules cannot be deleted (their alerts would go nowhere): see remove. */
  refuseDeleteWhileNamed(users: (project: string, channel: string) => Promise<string[]>): void {
    this.channelUsers = users;
  }

  async remove(project: string, name: string): Promise<void> {
    const row = await this.resolve(project, name);
    const rules = this.channelUsers ? await this.channelUsers(project, name) : [];
    if (rules.length)
      throw new ConflictError(
        `Channel '${name}' of project '${project}' is named by alert rule${rules.length > 1 ? 's' : ''} ${rules.join(', ')}; take it out of their channels (or delete them) first, then delete the channel.`,
        { rules },
        'CHANNEL_IN_USE',
      );
    await this.repo.deleteChannel(row.id);
  }

  /** The project's alerts page in the portal (per env; the first configured env when none). */
  private link(project: string, env: string): string {
    const e = env || this.ctx.config.environments[0] || 'test';
    return `${this.ctx.config.publicUrl.replace(/\/+$/, '')}/p/${project}/${e}/alerts`;
  }

  /** Test-send: a sample alert to the channel now; the delivery record. */
  async test(project: string, name: string, actor: string): Promise<DeliveryView> {
    const row = await this.resolve(project, name);
    const now = nowIso();
    const message: AlertMessage = {
      project,
      env: 'test',
      ruleName: 'test-send',
      severity: 'info',
      status: 'firing',
      title: `[TEST] Berth test alert for project ${project}`,
      test: true,
      link: this.link(project, ''),
      alerts: [
        {
          status: 'firing',
          labels: { berth_project: project, alertname: 'BerthTestSend', severity: 'info' },
          annotations: {
            summary: `A test from Berth: channel '${name}' works`,
            description: `Sent by ${actor} with the channel's test button.`,
          },
          startsAt: now,
          endsAt: null,
          fingerprint: 'test',
        },
      ],
    };
    const delivery = await this.queue.sendNow({ project, channel: row, target: this.target(row), message });
    return (await this.deliveryViews([delivery]))[0]!;
  }

  async deliveries(project: string, channel: string | null, limit: number): Promise<DeliveryView[]> {
    const id = channel ? (await this.resolve(project, channel)).id : null;
    return this.deliveryViews(await this.repo.listDeliveries(project, id, limit));
  }

  private async deliveryViews(rows: DeliveryRow[]): Promise<DeliveryView[]> {
    const attempts = await this.repo.attemptsOf(rows.map((r) => r.id));
    return rows.map((r) => ({
      id: r.id,
      channel: r.channel,
      kind: r.kind as ChannelKind,
      reason: r.reason as DeliveryView['reason'],
      status: r.status as DeliveryView['status'],
      state: r.state as DeliveryView['state'],
      attempts: attempts
        .filter((a) => a.delivery_id === r.id)
        .map((a) => ({
          attempt: a.number,
          ok: a.ok === 1,
          code: a.code,
          detail: a.detail,
          durationMs: a.duration_ms,
          at: a.at,
        })),
      nextAttemptAt: r.next_attempt_at,
      createdAt: r.created_at,
      finishedAt: r.finished_at,
    }));
  }

  async alerts(
    project: string,
    state: 'firing' | 'resolved' | undefined,
    limit: number,
  ): Promise<AlertView[]> {
    const rows = await this.repo.listAlerts(project, state, limit);
    const links = await this.repo.deliveriesOfAlerts(rows.map((r) => r.id));
    const views = await this.deliveryViews(links);
    return rows.map((r) => ({
      id: r.id,
      project: r.project,
      env: r.env,
      rule: r.rule,
      ruleName: r.rule_name,
      severity: r.severity,
      state: r.state as AlertView['state'],
      fingerprint: r.fingerprint,
      labels: JSON.parse(r.labels) as Record<string, string>,
      annotations: JSON.parse(r.annotations) as Record<string, string>,
      startsAt: r.starts_at,
      endsAt: r.ends_at,
      updatedAt: r.updated_at,
      deliveries: views.filter((_, i) => links[i]!.alert_id === r.id),
    }));
  }

  /**
   * One Alertmanager notification: per project (berth_project), history rows and a delivery to
   * each channel named in berth_channels that belongs to that project. Alerts without a valid
   * berth_project are not Berth's and are skipped. Returns what was done, for the log.
   */
  async ingest(
    payload: AlertmanagerPayload,
  ): Promise<{ alerts: number; deliveries: number; skipped: number }> {
    const byProject = new Map<string, AlertmanagerPayload['alerts']>();
    let skipped = 0;
    for (const a of payload.alerts) {
      const p = a.labels.berth_project;
      if (!p || !nameSchema.safeParse(p).success) {
        skipped += 1;
        continue;
      }
      byProject.set(p, [...(byProject.get(p) ?? []), a]);
    }
    let alerts = 0;
    let deliveries = 0;
    for (const [project, list] of byProject) {
      const now = nowIso();
      const ids: string[] = [];
      const shown: MessageAlert[] = [];
      for (const a of list) {
        const status = a.status === 'resolved' ? 'resolved' : 'firing';
        const startsAt = timeOrNull(a.startsAt) ?? now;
        const endsAt = timeOrNull(a.endsAt);
        const fingerprint = a.fingerprint ?? '';
        const row: AlertRow = {
          id: newId(),
          project,
          env: a.labels.berth_env ?? '',
          rule: a.labels.berth_rule ?? '',
          rule_name: a.labels.berth_rule_name ?? a.labels.alertname ?? '',
          severity: a.labels.severity ?? '',
          fingerprint,
          state: status,
          labels: JSON.stringify(a.labels),
          annotations: JSON.stringify(a.annotations ?? {}),
          starts_at: startsAt,
          ends_at: status === 'resolved' ? endsAt : null,
          created_at: now,
          updated_at: now,
        };
        ids.push(await this.repo.upsertAlert(row));
        shown.push({
          status,
          labels: a.labels,
          annotations: a.annotations ?? {},
          startsAt,
          endsAt: row.ends_at,
          fingerprint,
        });
        alerts += 1;
      }
      const first = list[0]!.labels;
      const firing = shown.filter((a) => a.status === 'firing').length;
      const status = firing > 0 ? 'firing' : 'resolved';
      const ruleName = first.berth_rule_name ?? first.alertname ?? 'alert';
      const message: AlertMessage = {
        project,
        env: first.berth_env ?? '',
        ruleName,
        severity: first.severity ?? '',
        status,
        title: `[${status === 'firing' ? `FIRING:${firing}` : 'RESOLVED'}] ${ruleName} (${project}${first.berth_env ? `/${first.berth_env}` : ''})${first.severity ? ` ${first.severity}` : ''}`,
        test: false,
        link: this.link(project, first.berth_env ?? ''),
        alerts: shown,
      };
      const names = new Set<string>();
      for (const a of list)
        for (const n of (a.labels.berth_channels ?? '').split(','))
          if (nameSchema.safeParse(n.trim()).success) names.add(n.trim());
      for (const name of names) {
        // only this project's channel of that name, never another project's
        const channel = await this.repo.getChannel(project, name);
        if (!channel) {
          this.ctx.log.warn({ project, channel: name }, 'an alert names a channel the project does not have');
          continue;
        }
        await this.queue.enqueue({ project, channel, message, alertIds: ids });
        deliveries += 1;
      }
    }
    return { alerts, deliveries, skipped };
  }
}
