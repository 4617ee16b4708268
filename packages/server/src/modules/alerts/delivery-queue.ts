import type { FastifyBaseLogger } from 'fastify';
import type { Reconciler } from '../../runtime/controller-host';
import { newId, nowIso } from '../../util';
import type { AlertsRepository, DeliveryRow } from './alerts.repository';
import {
  deliverOnce,
  type AddressGuard,
  type AlertMessage,
  type AttemptResult,
  type ChannelTarget,
} from './channel-senders';

/*
 * The delivery queue (docs/alerts.md, "Delivery"). Every delivery is a row: pending with its
 * next attempt time, taken by one sender at a time (a conditional update, so two Berth processes
 * never send the same attempt), every attempt a row of its own. A failed attempt is retried with
 * exponential back-off up to maxAttempts. The process that enqueues sends at once; the leader's
 * reconciler sends what is due after a restart (a sender that died mid-attempt lets its claim run
 * out, and the attempt is made again: at least once).
 */

export interface DeliveryQueueOptions {
  /** Attempts per delivery, the first included (default 5). */
  maxAttempts?: number;
  /** Delay before the second attempt; doubled each time (default 1 s). */
  baseDelayMs?: number;
  /** Longest delay between attempts (default 60 s). */
  maxDelayMs?: number;
  /** How often the leader looks for due deliveries (default 5 s). */
  scanMs?: number;
}

/** What the queue needs from the rest of the module. */
export interface DeliveryPorts {
  /** The channel with its opened secrets; null when it was deleted since. */
  target(channelId: string): Promise<ChannelTarget | null>;
  /** The fence, as it is now (Berth's listeners change with gateways). */
  guard(): Promise<AddressGuard>;
}

const claimMs = 60_000;

/** Not worth another attempt: the fence refused, or the receiver said the request is wrong. */
function retryable(r: AttemptResult): boolean {
  if (r.ok) return false;
  if (/EFENCED|a listener of Berth itself|metadata|link-local/.test(r.detail)) return false;
  if (/refused it: code/.test(r.detail)) return false;
  if (r.code !== null && r.code >= 400 && r.code < 500 && r.code !== 408 && r.code !== 429) return false;
  return true;
}

export class DeliveryQueue implements Reconciler {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly scanMs: number;
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private scan: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly repo: AlertsRepository,
    private readonly ports: DeliveryPorts,
    private readonly log: FastifyBaseLogger,
    opts: DeliveryQueueOptions = {},
  ) {
    this.maxAttempts = opts.maxAttempts ?? 5;
    this.baseDelayMs = opts.baseDelayMs ?? 1000;
    this.maxDelayMs = opts.maxDelayMs ?? 60_000;
    this.scanMs = opts.scanMs ?? 5000;
  }

  /** Delay after the n-th failed attempt. */
  delayAfter(attempt: number): number {
    return Math.min(this.baseDelayMs * 2 ** (attempt - 1), this.maxDelayMs);
  }

  /**
   * Queues a notification to a channel, unless the channel had rateLimit deliveries in the last
   * minute: then it is recorded as rate-limited and not sent.
   */
  async enqueue(input: {
    project: string;
    channel: { id: string; name: string; kind: string; rate_limit_per_minute: number };
    message: AlertMessage;
    alertIds: string[];
  }): Promise<DeliveryRow> {
    const now = new Date();
    const recent = await this.repo.countRecent(
      input.channel.id,
      new Date(now.getTime() - 60_000).toISOString(),
    );
    const limited = recent >= input.channel.rate_limit_per_minute;
    const row: DeliveryRow = {
      id: newId(),
      project: input.project,
      channel_id: input.channel.id,
      channel: input.channel.name,
      kind: input.channel.kind,
      reason: 'alert',
      status: input.message.status,
      message: JSON.stringify(input.message),
      state: limited ? 'rate-limited' : 'pending',
      attempts: 0,
      next_attempt_at: limited ? null : now.toISOString(),
      claimed_until: null,
      created_at: now.toISOString(),
      finished_at: limited ? now.toISOString() : null,
    };
    await this.repo.insertDelivery(row, input.alertIds);
    if (limited)
      this.log.warn(
        {
          project: input.project,
          channel: input.channel.name,
          perMinute: input.channel.rate_limit_per_minute,
        },
        'alert delivery dropped: the channel is over its rate limit',
      );
    else this.kick();
    return row;
  }

  /** A test-send: one attempt now, recorded, not retried. */
  async sendNow(input: {
    project: string;
    channel: { id: string; name: string; kind: string };
    target: ChannelTarget;
    message: AlertMessage;
  }): Promise<DeliveryRow> {
    const now = nowIso();
    const row: DeliveryRow = {
      id: newId(),
      project: input.project,
      channel_id: input.channel.id,
      channel: input.channel.name,
      kind: input.channel.kind,
      reason: 'test',
      status: input.message.status,
      message: JSON.stringify(input.message),
      state: 'sending',
      attempts: 0,
      next_attempt_at: null,
      claimed_until: new Date(Date.now() + claimMs).toISOString(),
      created_at: now,
      finished_at: null,
    };
    await this.repo.insertDelivery(row, []);
    const result = await deliverOnce(input.target, input.message, await this.ports.guard());
    await this.record(row, result, false);
    return (await this.repo.getDelivery(row.id))!;
  }

  /** Sends what is due now (in the background); safe to call any time. */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((err: unknown) => this.log.error({ err }, 'alert delivery pass failed'))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        } else void this.scheduleNext();
      });
  }

  /** The leader's loop: due deliveries after a restart, and any another process left. */
  start(): void {
    if (this.scan) return;
    this.scan = setInterval(() => this.kick(), this.scanMs);
    this.scan.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    if (this.scan) clearInterval(this.scan);
    this.scan = null;
    await this.running;
  }

  /** Stops every timer and waits for the attempt going on (server close). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.stop();
  }

  private async scheduleNext(): Promise<void> {
    if (this.closed) return;
    const due = await this.repo.nextDue().catch(() => null);
    if (!due || this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), Math.max(0, Date.parse(due) - Date.now()) + 5);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const now = new Date();
      const due = await this.repo.dueDeliveries(now.toISOString(), 20);
      if (due.length === 0) return;
      const taken: DeliveryRow[] = [];
      for (const row of due)
        if (await this.repo.claim(row, now.toISOString(), new Date(now.getTime() + claimMs).toISOString()))
          taken.push(row);
      if (taken.length === 0) return;
      await Promise.all(taken.map((row) => this.attempt(row)));
    }
  }

  private async attempt(row: DeliveryRow): Promise<void> {
    const target = await this.ports.target(row.channel_id);
    const message = JSON.parse(row.message) as AlertMessage;
    const result: AttemptResult = target
      ? await deliverOnce(target, message, await this.ports.guard())
      : { ok: false, code: null, detail: `channel '${row.channel}' was deleted`, durationMs: 0 };
    await this.record(row, result, target !== null);
  }

  private async record(row: DeliveryRow, result: AttemptResult, mayRetry: boolean): Promise<void> {
    const number = row.attempts + 1;
    const at = nowIso();
    const retry = mayRetry && retryable(result) && number < this.maxAttempts;
    await this.repo.recordAttempt(
      {
        delivery_id: row.id,
        number,
        ok: result.ok ? 1 : 0,
        code: result.code,
        detail: result.detail,
        duration_ms: result.durationMs,
        at,
      },
      {
        state: result.ok ? 'delivered' : retry ? 'pending' : 'failed',
        attempts: number,
        next_attempt_at: retry ? new Date(Date.now() + this.delayAfter(number)).toISOString() : null,
        finished_at: result.ok || !retry ? at : null,
      },
    );
    if (!result.ok)
      this.log.warn(
        { project: row.project, channel: row.channel, attempt: number, detail: result.detail, retry },
        'alert delivery attempt failed',
      );
  }
}
