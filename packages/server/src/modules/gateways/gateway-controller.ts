import type { FastifyBaseLogger } from 'fastify';
import { sleep } from '../../util';
import type { GatewaysRepository } from './gateways.repository';
import type { GatewaysService } from './gateways.service';
import type { GatewayApplier } from './gateway-applier';

/**
 * Level-triggered: every pass (about every 500 ms, or at once when kicked) recomputes what each
 * gateway should serve from the store — routes, services of its env, serving containers — and
 * applies it only when the rendered text differs from what the node runs. Runs on the leader.
 */
export class GatewayController {
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** A kick arrived during a pass: run the next one right after it. */
  private kicked = false;

  constructor(
    private readonly repo: GatewaysRepository,
    private readonly service: GatewaysService,
    private readonly applier: GatewayApplier,
    private readonly log: FastifyBaseLogger,
    private readonly intervalMs = 500,
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

  /** Asks for a pass now (a rollout step, a container leaving rotation). */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  /** One pass over every gateway. */
  async pass(): Promise<void> {
    await this.service
      .finishPromotions()
      .catch((err: unknown) => this.log.warn({ err }, 'finishing canary promotions failed'));
    for (const gw of await this.repo.listGateways()) {
      await this.applier
        .enqueue(gw.id, async () => {
          const routes = await this.repo.routesOfEnv(gw.env);
          const fresh = (await this.repo.findGateway(gw.name)) ?? gw;
          return this.service.applyWith(fresh, routes, {
            author: 'system',
            reason: 'services changed',
            change: null,
            routesAfter: routes,
          });
        })
        .catch((err: unknown) => this.log.warn({ err, gateway: gw.name }, 'gateway apply failed'));
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.kicked = false;
      await this.pass().catch((err: unknown) => this.log.error({ err }, 'gateway controller pass failed'));
      if (!this.running) break;
      // Kicks come in bursts during rollouts: at most one pass per 20 ms on their account.
      await sleep(20);
      if (this.kicked) continue;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        void sleep(this.intervalMs).then(resolve);
      });
      this.wake = null;
    }
  }
}
