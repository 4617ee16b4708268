/**
 * Non-interactive exec to completion (exec health checks): `POST /exec/{id}/start` without a
 * hijack answers 200 with the multiplexed output and ends when the process ends.
 */
import type { ExecResult } from '@berth/engine-api';
import type { LibpodClient } from './libpod-client';
import { createExec, killExecProcess, waitExecExit } from './exec-process';
import { Demuxer } from './multiplex';

/** Output kept per stream; a chatty health check must not grow memory without bound. */
const maxOutputBytes = 64 * 1024;

/** Runs `cmd` to completion; at `timeoutMs` answers exit -1 / "timed out" and kills the command. */
export async function runExec(
  client: LibpodClient,
  container: string,
  cmd: string[],
  opts: { timeoutMs: number; user?: string },
): Promise<ExecResult> {
  const execId = await createExec(client, container, { cmd, tty: false, stdin: false, user: opts.user });
  const out: Record<'stdout' | 'stderr', Buffer[]> = { stdout: [], stderr: [] };
  const size = { stdout: 0, stderr: 0 };
  const text = (s: 'stdout' | 'stderr'): string => Buffer.concat(out[s]).toString('utf8');

  const abort = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, opts.timeoutMs);

  try {
    const res = await client.open('POST', `/exec/${execId}/start`, {
      body: { Detach: false, Tty: false },
      signal: abort.signal,
      timeoutMs: 0,
    });
    const demuxer = new Demuxer();
    for await (const chunk of res) {
      for (const frame of demuxer.push(chunk as Buffer)) {
        if (frame.stream === 'stdin') continue;
        if (size[frame.stream] >= maxOutputBytes) continue;
        out[frame.stream].push(frame.payload);
        size[frame.stream] += frame.payload.length;
      }
    }
  } catch (err) {
    if (!timedOut) throw err;
  } finally {
    clearTimeout(timer);
  }

  if (timedOut) {
    // Not awaited: the caller gets its answer at the deadline, the kill happens behind it.
    void killExecProcess(client, execId);
    return { exitCode: -1, stdout: text('stdout'), stderr: 'timed out' };
  }
  const exitCode = await waitExecExit(client, execId);
  return { exitCode: exitCode ?? -1, stdout: text('stdout'), stderr: text('stderr') };
}
