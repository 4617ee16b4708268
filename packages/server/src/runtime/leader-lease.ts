import { hostname } from 'node:os';
import type { Db } from '../db/database';
import { nowIso } from '../util';

/** What the lease logs through (the server's pino logger fits). */
export interface LeaseLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface LeaderLeaseOptions {
  /** How long a written lease lasts (default 10 s). */
  ttlMs?: number;
  /** How often the holder renews it and others campaign (default 3 s). */
  renewMs?: number;
  /** After a failed renewal, the next try comes this soon (default 1 s, at most renewMs). */
  retryMs?: number;
  log?: LeaseLog;
}

const silent: LeaseLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One leader runs the controllers (DESIGN §2). The lease is a row with an expiry, renewed by the
 * holder. A holder on this host whose process is gone (kill -9) is taken over at once, so a
 * restarted server resumes without waiting for the lease to expire.
 *
 * A database error while renewing does not end leadership: it is logged (warn, with the error)
 * and retried soon. Leadership ends only when the lease is really lost: another holder has it,
 * or the expiry of the last lease written passed without a successful renewal (a timer watches
 * that even when a renewal hangs). That is logged at error level, with the moment it was lost.
 */
export class LeaderLease {
  private timer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private leading = false;
  private stopped = true;
  /** Expiry (ms) of the last lease this holder wrote successfully. */
  private heldUntil = 0;
  private failures = 0;
  private onChange: (leading: boolean) => void = () => undefined;
  private readonly holder: string;
  private readonly host = hostname();
  private readonly ttlMs: number;
  private readonly renewMs: number;
  private readonly retryMs: number;
  private readonly log: LeaseLog;

  constructor(
    private readonly db: Db,
    private readonly name: string,
    identity: string,
    opts: LeaderLeaseOptions = {},
  ) {
    this.holder = `${this.host}:${identity}`;
    this.ttlMs = opts.ttlMs ?? 10_000;
    this.renewMs = opts.renewMs ?? 3_000;
    this.retryMs = Math.min(opts.retryMs ?? 1_000, this.renewMs);
    this.log = opts.log ?? silent;
  }

  get isLeading(): boolean {
    return this.leading;
  }

  /** Starts campaigning; `onChange(true)` when leadership is won, `false` when lost. */
  start(onChange: (leading: boolean) => void): void {
    this.onChange = onChange;
    this.stopped = false;
    void this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.timer = null;
    this.expiryTimer = null;
    if (this.leading) {
      this.leading = false;
      await this.db
        .deleteFrom('leases')
        .where('name', '=', this.name)
        .where('holder', '=', this.holder)
        .execute();
    }
  }

  private async tick(): Promise<void> {
    let next = this.renewMs;
    const expires = Date.now() + this.ttlMs;
    try {
      const won = await this.tryAcquire(new Date(expires).toISOString());
      if (this.stopped) return;
      if (this.failures > 0 && this.leading)
        this.log.info(
          { lease: this.name, failures: this.failures },
          `renewed the leader lease '${this.name}' after ${this.failures} failed attempt(s)`,
        );
      this.failures = 0;
      if (won) {
        this.heldUntil = expires;
        this.watchExpiry();
        this.set(true);
      } else if (this.leading) {
        this.lost(`another holder has the leader lease '${this.name}'`);
      }
    } catch (err) {
      if (this.stopped) return;
      this.failures++;
      next = this.retryMs;
      if (this.leading)
        this.log.warn(
          {
            err,
            lease: this.name,
            heldUntil: new Date(this.heldUntil).toISOString(),
            attempt: this.failures,
          },
          `could not renew the leader lease '${this.name}' (attempt ${this.failures}); retrying in ${next} ms, the lease holds until ${new Date(this.heldUntil).toISOString()}`,
        );
      else if (this.failures === 1)
        this.log.warn(
          { err, lease: this.name },
          `could not campaign for the leader lease '${this.name}'; retrying`,
        );
      if (this.leading && Date.now() >= this.heldUntil)
        this.lost('its expiry passed without a successful renewal');
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), next);
  }

  /** Ends leadership when the expiry passes with no successful renewal, even if a renewal hangs. */
  private watchExpiry(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(
      () => {
        if (this.leading && !this.stopped && Date.now() >= this.heldUntil)
          this.lost('its expiry passed without a successful renewal');
      },
      Math.max(0, this.heldUntil - Date.now()) + 1,
    );
  }

  private lost(why: string): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    const at = new Date(Math.min(Date.now(), this.heldUntil || Date.now())).toISOString();
    this.log.error(
      { lease: this.name, lostAt: at, failures: this.failures },
      `lost the leader lease '${this.name}' at ${at} (${why}); controllers stopped`,
    );
    this.set(false);
  }

  private set(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.onChange(leading);
  }

  private orphaned(holder: string): boolean {
    const [host, , pid] = holder.split(':');
    return host === this.host && pid !== undefined && !pidAlive(Number(pid));
  }

  /** True when this holder has the lease until `expires`; false when another holder has it. */
  private async tryAcquire(expires: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('leases')
      .selectAll()
      .where('name', '=', this.name)
      .executeTakeFirst();
    if (!row) {
      try {
        await this.db
          .insertInto('leases')
          .values({ name: this.name, holder: this.holder, expires_at: expires })
          .execute();
        return true;
      } catch (err) {
        // Another instance inserted first: not an error of ours. Anything else is.
        const again = await this.db
          .selectFrom('leases')
          .select('holder')
          .where('name', '=', this.name)
          .executeTakeFirst();
        if (again) return false;
        throw err;
      }
    }
    if (row.holder !== this.holder && row.expires_at > nowIso() && !this.orphaned(row.holder)) return false;
    const res = await this.db
      .updateTable('leases')
      .set({ holder: this.holder, expires_at: expires })
      .where('name', '=', this.name)
      .where('holder', '=', row.holder)
      .where('expires_at', '=', row.expires_at)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }
}
