import { sql } from 'kysely';
import type { Db } from '../../db/database';

/** Limits of the login limiter; fixed windows, counted in login_attempts so restarts keep them. */
export interface LoginLimits {
  windowSeconds: number;
  /** Attempts per username from one address: stops guessing one account. */
  perUserAndIp: number;
  /** Attempts per address over all usernames: stops spraying many accounts. */
  perIp: number;
}

export const defaultLoginLimits: LoginLimits = { windowSeconds: 15 * 60, perUserAndIp: 5, perIp: 50 };

export type LoginAdmission = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Counts login attempts before the password is checked, atomically, so parallel guesses cannot
 * all slip through between a check and a write. A successful login forgets its user+address
 * count and gives back its address slot, so a busy office behind one NAT is not locked out.
 */
export class LoginLimiter {
  constructor(
    private readonly db: Db,
    private readonly limits: LoginLimits = defaultLoginLimits,
  ) {}

  async admit(username: string, ip: string): Promise<LoginAdmission> {
    const now = new Date();
    const checks: Array<[string, number]> = [
      [userKey(username, ip), this.limits.perUserAndIp],
      [ipKey(ip), this.limits.perIp],
    ];
    let retryAfterMs = 0;
    for (const [key, limit] of checks) {
      const row = await this.count(key, now);
      if (row.failures > limit) {
        const until = Date.parse(row.window_start) + this.limits.windowSeconds * 1000;
        retryAfterMs = Math.max(retryAfterMs, until - now.getTime());
      }
    }
    if (retryAfterMs > 0)
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
    return { allowed: true };
  }

  /** Forgets the counted attempt of a login that succeeded, and drops stale windows. */
  async succeeded(username: string, ip: string): Promise<void> {
    await this.db.deleteFrom('login_attempts').where('key', '=', userKey(username, ip)).execute();
    await this.db
      .updateTable('login_attempts')
      .set({ failures: sql<number>`failures - 1` })
      .where('key', '=', ipKey(ip))
      .where('failures', '>', 0)
      .execute();
    const cutoff = new Date(Date.now() - this.limits.windowSeconds * 1000).toISOString();
    await this.db.deleteFrom('login_attempts').where('window_start', '<=', cutoff).execute();
  }

  private async count(key: string, now: Date): Promise<{ failures: number; window_start: string }> {
    const at = now.toISOString();
    const cutoff = new Date(now.getTime() - this.limits.windowSeconds * 1000).toISOString();
    // One statement on both dialects: start a new window when the old one ran out, else count up.
    const expired = sql<boolean>`login_attempts.window_start <= ${cutoff}`;
    return this.db
      .insertInto('login_attempts')
      .values({ key, window_start: at, failures: 1 })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          failures: sql<number>`case when ${expired} then 1 else login_attempts.failures + 1 end`,
          window_start: sql<string>`case when ${expired} then ${at} else login_attempts.window_start end`,
        }),
      )
      .returning(['failures', 'window_start'])
      .executeTakeFirstOrThrow();
  }
}

function userKey(username: string, ip: string): string {
  // Lower-cased so "Admin" and "admin" share one budget.
  return `user:${username.toLowerCase()}|ip:${ip}`;
}

function ipKey(ip: string): string {
  return `ip:${ip}`;
}
