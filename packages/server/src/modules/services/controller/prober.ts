import http from 'node:http';
import net from 'node:net';
import type { ContainerEngine } from '@berth/engine-api';
import type { Probe } from '@berth/shared';
import type { Engines } from '../../../runtime/engines';

export interface ProbeTarget {
  name: string;
  /** The cluster the container runs on: exec checks run through its engine. */
  cluster: string;
  engineId: string;
  /** container port → "host:port" where it is published. */
  endpoints: Record<string, string>;
  readiness: Probe | null;
  liveness: Probe | null;
  defaultPort: number | null;
}

export type ProbeOutcome = 'ready' | 'not-ready' | 'unhealthy';

/** The readiness check used when a service with ports declares none: a TCP connect to the first port. */
export function implicitReadiness(ports: { containerPort: number }[]): Probe | null {
  const first = ports[0];
  if (!first) return null;
  return {
    type: 'tcp',
    port: first.containerPort,
    initialDelaySeconds: 0,
    periodSeconds: 1,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: 3,
  };
}

function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i), port: Number(address.slice(i + 1)) };
}

/** Runs one check; resolves true on success. */
export async function runCheck(engine: ContainerEngine, t: ProbeTarget, probe: Probe): Promise<boolean> {
  const timeoutMs = probe.timeoutSeconds * 1000;
  if (probe.type === 'exec') {
    const r = await engine.execRun(t.engineId, probe.command ?? [], { timeoutMs });
    return r.exitCode === 0;
  }
  const port = probe.port ?? t.defaultPort;
  const address = port === null ? undefined : t.endpoints[String(port)];
  if (!address) return false;
  const { host, port: hostPort } = splitAddress(address);
  if (probe.type === 'tcp') {
    return new Promise((resolve) => {
      const sock = net.connect({ host, port: hostPort });
      const done = (ok: boolean) => {
        sock.destroy();
        resolve(ok);
      };
      sock.setTimeout(timeoutMs, () => done(false));
      sock.once('connect', () => done(true));
      sock.once('error', () => done(false));
    });
  }
  return new Promise((resolve) => {
    const req = http.get(
      {
        host,
        port: hostPort,
        path: probe.path ?? '/',
        agent: false,
        timeout: timeoutMs,
        headers: { 'User-Agent': 'berth-probe' },
      },
      (res) => {
        res.resume();
        resolve((res.statusCode ?? 500) >= 200 && (res.statusCode ?? 500) < 400);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

interface Loop {
  timer: NodeJS.Timeout | null;
  stopped: boolean;
}

/**
 * Health checks for running containers, one loop per container and kind. It reports
 * transitions only: ready / not-ready (readiness) and unhealthy (liveness threshold reached).
 */
export class Prober {
  private readonly loops = new Map<string, { readiness: Loop | null; liveness: Loop | null; key: string }>();

  constructor(
    private readonly engines: Engines,
    private readonly report: (container: string, outcome: ProbeOutcome, detail: string) => void,
  ) {}

  /** Starts loops for new targets and stops loops of containers no longer listed. */
  sync(targets: ProbeTarget[]): void {
    const seen = new Set<string>();
    for (const t of targets) {
      seen.add(t.name);
      const key = JSON.stringify([t.engineId, t.endpoints, t.readiness, t.liveness]);
      const existing = this.loops.get(t.name);
      if (existing?.key === key) continue;
      if (existing) this.halt(t.name);
      this.loops.set(t.name, {
        key,
        readiness: t.readiness ? this.loop(t, t.readiness, 'readiness') : null,
        liveness: t.liveness ? this.loop(t, t.liveness, 'liveness') : null,
      });
      if (!t.readiness) this.report(t.name, 'ready', 'no readiness check: ready once running');
    }
    for (const name of [...this.loops.keys()]) if (!seen.has(name)) this.halt(name);
  }

  stopAll(): void {
    for (const name of [...this.loops.keys()]) this.halt(name);
  }

  private halt(name: string): void {
    const l = this.loops.get(name);
    for (const loop of [l?.readiness, l?.liveness]) {
      if (!loop) continue;
      loop.stopped = true;
      if (loop.timer) clearTimeout(loop.timer);
    }
    this.loops.delete(name);
  }

  private loop(t: ProbeTarget, probe: Probe, kind: 'readiness' | 'liveness'): Loop {
    const loop: Loop = { timer: null, stopped: false };
    let successes = 0;
    let failures = 0;
    let state: boolean | null = null;
    const run = async () => {
      if (loop.stopped) return;
      let ok = false;
      try {
        const engine = probe.type === 'exec' ? await this.engines.get(t.cluster) : this.engines.local;
        ok = await runCheck(engine, t, probe);
      } catch {
        ok = false;
      }
      if (loop.stopped) return;
      if (ok) {
        successes += 1;
        failures = 0;
      } else {
        failures += 1;
        successes = 0;
      }
      const what = `${probe.type} ${kind} check`;
      if (kind === 'readiness') {
        if (ok && successes >= probe.successThreshold && state !== true) {
          state = true;
          this.report(t.name, 'ready', `${what} passed`);
        } else if (!ok && failures >= probe.failureThreshold && state !== false) {
          state = false;
          this.report(t.name, 'not-ready', `${what} failed ${failures} times`);
        }
      } else if (!ok && failures >= probe.failureThreshold) {
        this.report(t.name, 'unhealthy', `${what} failed ${failures} times in a row`);
        failures = 0;
      }
      // Until the first verdict, retry quickly so a fresh container joins as soon as it answers.
      const next = state === null ? Math.min(probe.periodSeconds * 1000, 250) : probe.periodSeconds * 1000;
      loop.timer = setTimeout(() => void run(), next);
    };
    loop.timer = setTimeout(() => void run(), probe.initialDelaySeconds * 1000);
    return loop;
  }
}
