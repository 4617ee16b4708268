import type { FastifyBaseLogger } from 'fastify';
import { sleep } from '../../util';
import type { GatewaysRepository } from './gateways.repository';
import type { GatewaysService } from './gateways.service';
import type { GatewayApplier } from './gateway-applier';

/**
 * Level-triggered: every pass (at once when kicked, else on a timer) recomputes what each gateway
 * should serve from the store — routes, services of its env, serving containers — and applies it
 * only when the rendered text differs from what the node runs. Runs on the leader.
 *
 * Changes arrive as kicks (the service controller signals every endpoint change; route writes
 * apply themselves), so the timer is a safety net: 500 ms after a pass that applied something,
 * doubling after each pass that found nothing up to 5 s (an idle pass plans every route: about
 * 200 ms of CPU at 10,000 routes).
 *
 * Most passes are quick: each gateway recomputes only the pools of the services whose serving
 * endpoints differ from its last whole plan (applyEndpointChange: no routes read, nothing
 * rendered) and falls back to a whole plan when that cannot tell. A kick that needs more than
 * endpoints (`kick('all')`), and any pass `fullEveryMs` after the last whole one, plans every
 * route, so a change no kick announced (a route written through another instance) is missed for
 * at most that long (twice that while endpoint kicks keep coming: their passes stay quick).
 */
export class GatewayController {
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** A kick arrived during a pass: run the next one right after it. */
  private kicked = false;
  /** A kick that needs a whole pass (anything but an endpoint change) arrived. */
  private fullWanted = true;
  /** An endpoint kick arrived: its pass is quick even when the periodic whole pass is due. */
  private endpointsKicked = false;
  private lastFull = 0;

  constructor(
    private readonly repo: GatewaysRepository,
    private readonly service: GatewaysService,
    private readonly applier: GatewayApplier,
    private readonly log: FastifyBaseLogger,
    private readonly intervalMs = 500,
    private readonly maxIntervalMs = 5000,
    /** A whole pass at least this often (the others are quick). */
    private readonly fullEveryMs = 5000,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.loop = null;
  }

  /**
   * Asks for a pass now. `endpoints`: only serving containers may have changed (a rollout step,
   * a container leaving rotation), which a quick pass handles; anything else wants a whole pass.
   */
  kick(what: 'endpoints' | 'all' = 'all'): void {
    if (what === 'all') this.fullWanted = true;
    else this.endpointsKicked = true;
    this.kicked = true;
    this.wake?.();
  }

  /** One pass over every gateway; returns how many applied a new version. */
  async pass(quick = false): Promise<number> {
    let applied = 0;
    await this.service
      .finishPromotions()
      .catch((err: unknown) => this.log.warn({ err }, 'finishing canary promotions failed'));
    const req = { author: 'system', reason: 'services changed', change: null };
    for (const gw of await this.repo.listGateways()) {
      await this.applier
        .enqueue(gw.id, async () => {
          const fresh = (await this.repo.findGateway(gw.name)) ?? gw;
          if (quick) {
            const row = await this.service.applyEndpointChange(fresh, req);
            if (row !== undefined) return row;
          }
          const routes = await this.repo.routesOfEnv(gw.env);
          return this.service.applyWith(fresh, routes, { ...req, routesAfter: routes });
        })
        .then((row) => {
          if (row) applied += 1;
        })
        .catch((err: unknown) => this.log.warn({ err, gateway: gw.name }, 'gateway apply failed'));
    }
    return applied;
  }

  private async run(): Promise<void> {
    let idle = this.intervalMs;
    while (this.running) {
      // An endpoint change does not wait for the periodic whole pass (80–300 ms at 10,000
      // routes): that one follows on the timer, unless kicks kept it off for twice its period.
      const since = Date.now() - this.lastFull;
      const quick =
        !this.fullWanted &&
        (since < this.fullEveryMs || (this.endpointsKicked && since < 2 * this.fullEveryMs));
      this.kicked = false;
      this.endpointsKicked = false;
      if (!quick) {
        this.fullWanted = false;
        this.lastFull = Date.now();
      }
      const applied = await this.pass(quick).catch((err: unknown) => {
        this.log.error({ err }, 'gateway controller pass failed');
        return 1;
      });
      if (!this.running) break;
      idle = applied > 0 ? this.intervalMs : Math.min(this.maxIntervalMs, idle * 2);
      // Kicks come in bursts during rollouts: at most one pass per 20 ms on their account.
      await sleep(20);
      if (this.kicked) {
        idle = this.intervalMs;
        continue;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        void sleep(idle).then(resolve);
      });
      if (this.kicked) idle = this.intervalMs;
      this.wake = null;
    }
  }
}
