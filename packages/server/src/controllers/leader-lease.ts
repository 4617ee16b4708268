import { hostname } from 'node:os';
import type { Db } from '../db/database';
import { nowIso } from '../util';

const ttlMs = 10_000;
const renewMs = 3_000;

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
 */
export class LeaderLease {
  private timer: NodeJS.Timeout | null = null;
  private leading = false;
  private readonly holder: string;
  private readonly host = hostname();

  constructor(
    private readonly db: Db,
    private readonly name: string,
    identity: string,
  ) {
    this.holder = `${this.host}:${identity}`;
  }

  /** Starts campaigning; `onChange(true)` when leadership is won, `false` when lost. */
  start(onChange: (leading: boolean) => void): void {
    const tick = async () => {
      let now = false;
      try {
        now = await this.tryAcquire();
      } catch {
        now = false;
      }
      if (now !== this.leading) {
        this.leading = now;
        onChange(now);
      }
    };
    void tick();
    this.timer = setInterval(() => void tick(), renewMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.leading) {
      this.leading = false;
      await this.db
        .deleteFrom('leases')
        .where('name', '=', this.name)
        .where('holder', '=', this.holder)
        .execute();
    }
  }

  private orphaned(holder: string): boolean {
    const [host, , pid] = holder.split(':');
    return host === this.host && pid !== undefined && !pidAlive(Number(pid));
  }

  private async tryAcquire(): Promise<boolean> {
    const expires = new Date(Date.now() + ttlMs).toISOString();
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
      } catch {
        return false;
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
