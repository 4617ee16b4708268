import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { HelperProcess } from '../src/supervisor/helper-process';
import { freePort } from './helpers/net';

function recordingLog(): { log: FastifyBaseLogger; warnings: string[] } {
  const warnings: string[] = [];
  const log = {
    info: () => undefined,
    error: () => undefined,
    warn: (msg: unknown) => void warnings.push(String(msg)),
  } as unknown as FastifyBaseLogger;
  return { log, warnings };
}

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** A helper process: a tiny HTTP server on loopback that answers with its pid. */
async function pidServer(dir: string) {
  const port = await freePort();
  const pid = async (): Promise<number | null> => {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      return Number(await res.text());
    } catch {
      return null;
    }
  };
  const { log, warnings } = recordingLog();
  const helper = new HelperProcess(
    {
      name: 'pid-server',
      command: process.execPath,
      args: [
        '-e',
        `require('node:http').createServer((q, s) => s.end(String(process.pid))).listen(${port}, '127.0.0.1')`,
      ],
      logFile: path.join(dir, `pid-server-${port}.log`),
      cwd: dir,
      ready: async () => (await pid()) !== null,
    },
    log,
  );
  return { helper, pid, warnings };
}

test('a helper that dies is restarted; once Berth shuts down (retire), an exit is final', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-helper-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { helper, pid, warnings } = await pidServer(dir);
  t.after(() => helper.stop());
  await helper.start();
  const first = await pid();
  assert.ok(first, 'the helper answers after start');

  // dies while Berth runs: restarted with back-off, a new process answers
  process.kill(first, 'SIGINT');
  await until('a restarted helper', async () => {
    const p = await pid();
    return p !== null && p !== first;
  });
  assert.match(warnings.join('\n'), /pid-server exited \(code null, signal SIGINT\); restarting in \d+ ms/);
  const second = (await pid())!;

  // Ctrl-C: the whole process group gets SIGINT while the server is still closing
  helper.retire();
  const before = warnings.length;
  process.kill(second, 'SIGINT');
  // the exit handler has run once the helper no longer owns a running child
  await until('the helper to see its exit', () => !helper.owned);
  assert.deepEqual(warnings.slice(before), [], 'no restart is scheduled after retire');
  assert.equal(await pid(), null, 'nothing answers: the helper stayed down');
});
