import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ContainerEngine, LogLine } from '@berth/engine-api';

/** What a finished attempt keeps of its output: the last 1 MiB (docs/cronjobs.md). */
export const keptLogBytes = 1024 * 1024;

/**
 * The logs of cron runs, kept after their containers are removed: one JSON-lines file per
 * attempt under `$BERTH_DATA_DIR/cronjobs/<job id>/<run id>-<attempt>.jsonl`, at most 1 MiB (the
 * oldest lines are dropped first). Ids are Berth's own (never a user's text), so paths are safe.
 */
export class CronLogs {
  constructor(private readonly dataDir: string) {}

  private dir(jobId: string): string {
    return path.join(this.dataDir, 'cronjobs', jobId);
  }

  private file(jobId: string, runId: string, attempt: number): string {
    return path.join(this.dir(jobId), `${runId}-${attempt}.jsonl`);
  }

  /** Copies a container's output (the last 1 MiB) to the store; returns the bytes kept. */
  async collect(
    engine: ContainerEngine,
    ref: string,
    jobId: string,
    runId: string,
    attempt: number,
  ): Promise<number> {
    const kept: string[] = [];
    let bytes = 0;
    for await (const line of engine.logs(ref, {})) {
      const text = JSON.stringify(line) + '\n';
      kept.push(text);
      bytes += Buffer.byteLength(text);
      while (bytes > keptLogBytes && kept.length > 0) bytes -= Buffer.byteLength(kept.shift()!);
    }
    mkdirSync(this.dir(jobId), { recursive: true, mode: 0o700 });
    writeFileSync(this.file(jobId, runId, attempt), kept.join(''), { mode: 0o600 });
    return bytes;
  }

  /** The kept lines of an attempt; null when none were kept. */
  read(jobId: string, runId: string, attempt: number): LogLine[] | null {
    let text: string;
    try {
      text = readFileSync(this.file(jobId, runId, attempt), 'utf8');
    } catch {
      return null;
    }
    return text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as LogLine);
  }

  removeRun(jobId: string, runId: string, attempts: number): void {
    for (let n = 1; n <= attempts; n++) rmSync(this.file(jobId, runId, n), { force: true });
  }

  removeJob(jobId: string): void {
    rmSync(this.dir(jobId), { recursive: true, force: true });
  }
}
