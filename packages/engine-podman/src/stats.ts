/**
 * Container stats from `GET /containers/stats?stream=false`. A one-shot libpod sample reports
 * CPU as the average since the container started; `podman stats` shows the usage since the
 * previous sample instead. This keeps each container's previous sample and computes the
 * same figure podman does: Δ cgroup CPU ns / Δ wall clock ns × 100 (percent of one core).
 */
import type { ContainerStats } from '@berth/engine-api';
import { EngineError } from '@berth/shared';
import type { LibpodClient } from './libpod-client';
import type { LibpodStats, LibpodStatsReport } from './libpod-types';

interface CpuSample {
  cpuNano: number;
  systemNano: number;
  /** The figure computed when this baseline was taken. */
  percent: number;
}

/** Samples older than this are not a useful baseline; podman's own average is used instead. */
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

  constructor(private readonly client: LibpodClient) {}

  async sample(idsOrNames: string[]): Promise<ContainerStats[]> {
    if (idsOrNames.length === 0) return [];
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
    const out: ContainerStats[] = [];
    const seen = new Set<string>();
    for (const s of report?.Stats ?? []) {
      seen.add(s.ContainerID);
      // A container that is not running reports all zeros; it has no sample to give.
      if (s.SystemNano === 0) continue;
      out.push(this.toStats(s));
    }
    this.forgetUnless(seen, idsOrNames.length);
    return out;
  }

  /** CPU percent as `podman stats` computes it between two samples. */
  cpuPercent(s: LibpodStats): number {
    const before = this.previous.get(s.ContainerID);
    const wallDelta = before ? s.SystemNano - before.systemNano : 0;
    if (before && wallDelta >= 0 && wallDelta < minWindowNs) return before.percent;
    let percent = Math.max(0, s.CPU);
    if (before && wallDelta < maxBaselineAgeNs) {
      const cpuDelta = s.CPUNano - before.cpuNano;
      percent = cpuDelta > 0 ? (cpuDelta / wallDelta) * 100 : 0;
    }
    this.previous.set(s.ContainerID, { cpuNano: s.CPUNano, systemNano: s.SystemNano, percent });
    return percent;
  }

  private toStats(s: LibpodStats): ContainerStats {
    return {
      id: s.ContainerID,
      name: s.Name,
      cpuPercent: this.cpuPercent(s),
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
