import type { Db } from '../db/database';
import { LeaderLease, type LeaderLeaseOptions } from './leader-lease';

/**
 * A loop that drives the world towards what the store says (the service controller, the gateway
 * controller, the stats sampler, …). One lifecycle style for all: start() begins the loop and
 * returns at once; stop() ends it and resolves once no pass is running any more.
 */
export interface Reconciler {
  start(): void;
  stop(): Promise<void>;
}

/**
 * The one place reconcilers run: every reconciler of the server is handed to the host at
 * construction (the composition root, server.ts), and the host runs them all while this process
 * holds the leader lease, and none of them otherwise. Leadership changes are applied in order:
 * a start after a loss waits until every reconciler stopped.
 */
export class ControllerHost {
  private readonly lease: LeaderLease;
  private transition: Promise<void> = Promise.resolve();
  private running = false;
  private readonly opts: LeaderLeaseOptions;

  constructor(
    db: Db,
    holder: string,
    private readonly reconcilers: readonly Reconciler[],
    opts: LeaderLeaseOptions = {},
  ) {
    this.lease = new LeaderLease(db, 'controllers', holder, opts);
    this.opts = opts;
  }

  /** Whether this process holds the lease now (its reconcilers run). */
  get isLeading(): boolean {
    return this.lease.isLeading;
  }

  /** Campaigns for the lease; the reconcilers start once it is held. */
  start(): void {
    this.lease.start((leading) => this.apply(() => (leading ? this.startAll() : this.stopAll())));
  }

  /** Gives up the lease and stops every reconciler. */
  async stop(): Promise<void> {
    await this.lease.stop();
    await this.apply(() => this.stopAll());
  }

  private apply(step: () => Promise<void>): Promise<void> {
    this.transition = this.transition.then(step).catch((err: unknown) => {
      this.opts.log?.error({ err }, 'a reconciler failed to start or stop');
    });
    return this.transition;
  }

  private startAll(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.running = true;
    for (const r of this.reconcilers) r.start();
    return Promise.resolve();
  }

  private async stopAll(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    // in reverse: a reconciler may feed one started before it (the service controller kicks the gateways')
    for (const r of [...this.reconcilers].reverse()) await r.stop();
  }
}
