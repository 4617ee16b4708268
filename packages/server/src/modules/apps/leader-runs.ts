/**
 * Background work on app instances that only the leader does (apps.module.ts's reconciler starts
 * and stops it with the leader lease): the delete finisher and the upgrade runner. Each instance
 * runs at most once at a time; every 10 s the pending ones are listed again, so work accepted by
 * another replica of the server, or interrupted by a restart, is resumed.
 */
export class LeaderRuns {
  private readonly active = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    /** What the work is, for the log ("finishing a deletion"). */
    private readonly what: string,
    /** The instances with work pending. */
    private readonly pending: () => Promise<{ id: string }[]>,
    /** The work on one instance; it should return once `leading` is false. */
    private readonly work: (id: string) => Promise<void>,
    private readonly warn: (fields: Record<string, unknown>, message: string) => void,
  ) {}

  /** Whether this process leads (between start and stop): long work checks it to give up. */
  get leading(): boolean {
    return this.timer !== null;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sweep(), 10_000);
    this.timer.unref();
    void this.sweep();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Runs the work on `id` now, unless this process does not lead or it runs already. */
  kick(id: string): void {
    if (!this.timer || this.active.has(id)) return;
    this.active.add(id);
    void this.work(id)
      .catch((err: unknown) => this.warn({ err, instance: id }, `apps: ${this.what} failed`))
      .finally(() => this.active.delete(id));
  }

  private async sweep(): Promise<void> {
    try {
      for (const row of await this.pending()) this.kick(row.id);
    } catch (err) {
      this.warn({ err }, `apps: listing the instances pending ${this.what} failed`);
    }
  }
}
