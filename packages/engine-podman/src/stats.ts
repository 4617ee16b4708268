/**
 * Container stats from `GET /containers/stats?stream=false`. A one-shot libpod sample reports
 * CPU as the average since the container started; `podman stats` shows the usage since the
 * previous sample instead. This keeps each container's previous sample and computes the
 * same figure podman does: Δ cgroup CPU ns / Δ wall clock ns × 100 (percent of one core).
 *
 * A container without a usable previous sample (new, or its baseline too old) gets none from a
 * single call: podman's since-start average of a container started a fraction of a second ago
 * is its start-up burst over that fraction (the autoscaler once read 234 % of a 0.1-core limit
 * from it). Such a sample becomes the baseline and the container is sampled again a second later.
 */
import type { ContainerStats } from '@berth/engine-api';
import { EngineError } from '@berth/shared';
import type { LibpodClient } from './libpod-client';
import type { LibpodStats, LibpodStatsReport } from './libpod-types';

interface CpuSample {
  cpuNano: number;
  systemNano: number;
  /** The figure computed when this baseline was taken; null: it was a first sample, no rate. */
  percent: number | null;
}

/** Samples older than this are not a useful baseline: the container is sampled afresh. */
const maxBaselineAgeNs = 5 * 60 * 1e9;
/**
 * Samples closer than this keep the baseline and repeat its figure. A container under a CPU quota
 * runs in bursts (0.1 core: 10 ms of every 100 ms period), so a window of a few tens of
 * milliseconds — two readers asking one after the other — read anything from 0 to several times
 * its limit.
 */
const minWindowNs = 1e9;

/** Samples stats, remembering each container's previous CPU reading. */
export class StatsSampler {
  private readonly previous = new Map<string, CpuSample>();

  constructor(
    private readonly client: LibpodClient,
    /** Waits out the CPU window before sampling first-time containers again (tests pass a fake). */
    private readonly wait: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  async sample(idsOrNames: string[]): Promise<ContainerStats[]> {
    if (idsOrNames.length === 0) return [];
    const out: ContainerStats[] = [];
    const seen = new Set<string>();
    const first: LibpodStats[] = [];
    for (const s of await this.report(idsOrNames)) {
      seen.add(s.ContainerID);
      const cpu = this.cpuPercent(s);
      if (cpu === null) first.push(s);
      else out.push(this.toStats(s, cpu));
    }
    if (first.length > 0) out.push(...(await this.sampleAgain(first)));
    this.forgetUnless(seen, idsOrNames.length);
    return out;
  }

  /**
   * The containers that had no baseline, sampled again once a CPU window has passed since it was
   * taken, so their figure is a rate over at least a second. One that is gone by then is left out.
   */
  private async sampleAgain(first: LibpodStats[]): Promise<ContainerStats[]> {
    // a tenth more than the window: podman's clock and ours need not tick alike
    await this.wait((minWindowNs * 1.1) / 1e6);
    let again: LibpodStats[];
    try {
      again = await this.report(first.map((s) => s.ContainerID));
    } catch (err) {
      if (!(err instanceof EngineError) || first.length === 1) return [];
      // one of them is gone: ask one at a time
      const each = await Promise.all(first.map((s) => this.sampleAgain([s])));
      return each.flat();
    }
    return again.flatMap((s) => {
      const cpu = this.cpuPercent(s);
      return cpu === null ? [] : [this.toStats(s, cpu)];
    });
  }

  /** The running containers' libpod samples (a container that is not running reports all zeros). */
  private async report(idsOrNames: string[]): Promise<LibpodStats[]> {
    const report = await this.client.json<LibpodStatsReport>('GET', '/containers/stats', {
      query: { stream: false, containers: idsOrNames },
    });
    if (report?.Error) {
      // Podman serializes the Go error as {}, so its text is lost; name what was asked.
      throw new EngineError(
        `Podman could not read stats for ${idsOrNames.join(', ')}: a container is missing. Ask for one container at a time to find it.`,
        { containers: idsOrNames },
      );
    }
    return (report?.Stats ?? []).filter((s) => s.SystemNano !== 0);
  }

  /**
   * CPU percent as `podman stats` computes it between two samples; null when there is no usable
   * previous sample (this one becomes the baseline) or only one under a second old that has no
   * rate itself: a first sample has no rate.
   */
  cpuPercent(s: LibpodStats): number | null {
    const before = this.previous.get(s.ContainerID);
    const wallDelta = before ? s.SystemNano - before.systemNano : -1;
    if (!before || wallDelta < 0 || wallDelta >= maxBaselineAgeNs) {
      this.previous.set(s.ContainerID, { cpuNano: s.CPUNano, systemNano: s.SystemNano, percent: null });
      return null;
    }
    // under a window: the last rate, or still none (another caller's first sample is the baseline)
    if (wallDelta < minWindowNs) return before.percent;
    const cpuDelta = s.CPUNano - before.cpuNano;
    const percent = cpuDelta > 0 ? (cpuDelta / wallDelta) * 100 : 0;
    this.previous.set(s.ContainerID, { cpuNano: s.CPUNano, systemNano: s.SystemNano, percent });
    return percent;
  }

  private toStats(s: LibpodStats, cpuPercent: number): ContainerStats {
    return {
      id: s.ContainerID,
      name: s.Name,
      cpuPercent,
      memoryBytes: s.MemUsage,
      memoryLimitBytes: s.MemLimit,
      netRxBytes: s.NetInput,
      netTxBytes: s.NetOutput,
      blockReadBytes: s.BlockInput,
      blockWriteBytes: s.BlockOutput,
    };
  }

  /** Drops baselines of containers that are gone, so the map does not grow forever. */
  private forgetUnless(seen: Set<string>, asked: number): void {
    if (this.previous.size <= Math.max(256, asked * 2)) return;
    for (const id of this.previous.keys()) if (!seen.has(id)) this.previous.delete(id);
  }
}
