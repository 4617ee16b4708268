/**
 * A TCP service behind an entry point moves with rolling updates and no new connection is dropped
 * (issue 12): each connection of the client loop connects, sends a line, reads the echo and
 * closes, while the service rolls through several releases. The stream pool lives in stream.conf,
 * so every step is a configuration version and a reload; a leaving container is stopped only
 * after the reload that drops it has finished (the drain confirmation, rollout-drain.ts).
 */
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, makeProject, testImage, waitTask, webSpec } from './helpers/platform';
import { startGatewayPlatform, tcpEntryPoint, type GatewayPlatform } from './helpers/gateway-platform';

type Obj = Record<string, unknown>;
type Event = { at: string; type: string; message: string; container: string | null };
const updates = Number(process.env.BERTH_TEST_ENTRY_POINT_UPDATES ?? 5);

/**
 * A busybox TCP echo server on port 9000: for each connection it reads one line and answers
 * "VERSION line" (nc -ll forks one handler per connection).
 */
function echoSpec(version: string, replicas = 2) {
  const base = webSpec(version, replicas);
  return {
    ...base,
    image: testImage,
    command: [
      'sh',
      '-c',
      'printf \'#!/bin/sh\\nread l; echo "$VERSION $l"\\n\' > /tmp/echo.sh && chmod +x /tmp/echo.sh && exec nc -ll -p 9000 -e /tmp/echo.sh',
    ],
    ports: [{ containerPort: 9000 }],
    readiness: { type: 'tcp', periodSeconds: 1 },
  };
}

/** One connection: connect, send a line, read the answer until the server closes. */
function echo(host: string, port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    let data = '';
    s.setTimeout(10_000, () => s.destroy(new Error('timeout')));
    s.on('connect', () => s.write(`${line}\n`));
    s.on('data', (b: Buffer) => (data += b.toString()));
    s.on('end', () => resolve(data));
    s.on('error', reject);
  });
}

interface EchoLoad {
  ok: number;
  failed: number;
  errors: string[];
  versions: Map<string, number>;
}

/** Workers opening new connections back to back; a refusal, reset or wrong answer counts as failed. */
function startEchoLoad(host: string, port: number, workers = 2): { stop(): Promise<EchoLoad> } {
  const result: EchoLoad = { ok: 0, failed: 0, errors: [], versions: new Map() };
  let running = true;
  let n = 0;
  const worker = async () => {
    while (running) {
      const line = `c${(n += 1)}`;
      try {
        const got = await echo(host, port, line);
        const m = /^(v\d+) (\S+)\n$/.exec(got);
        if (m && m[2] === line) {
          result.ok += 1;
          result.versions.set(m[1]!, (result.versions.get(m[1]!) ?? 0) + 1);
        } else {
          result.failed += 1;
          result.errors.push(`${line}: answered ${JSON.stringify(got.slice(0, 80))}`);
        }
      } catch (err) {
        result.failed += 1;
        result.errors.push(`${line}: ${(err as Error).message}`);
      }
    }
  };
  const all = Array.from({ length: workers }, worker);
  return {
    async stop() {
      running = false;
      await Promise.all(all);
      return result;
    },
  };
}

describe('a TCP entry point through rolling updates', () => {
  let p: GatewayPlatform;
  let base: string;

  before(async () => {
    p = await startGatewayPlatform();
    base = await makeProject(p.api, 'tcproll');
    const r = await p.api.post<{ task: Obj }>(base, { name: 'echo', spec: echoSpec('v0') });
    assert.equal((await waitTask(p.api, r.body.task.id as string)).state, 'succeeded');
  });
  after(async () => {
    await p?.close();
  });

  it(`drops no new connection over ${updates} rolling updates`, async () => {
    const port = await tcpEntryPoint(p.api, 'tcproll', 'echo', 9000);
    const host = p.listen.slice(0, p.listen.lastIndexOf(':'));
    await eventually(
      async () => (await echo(host, port, 'hello').catch(() => '')) === 'v0 hello\n',
      'v0 over TCP',
    );

    const load = startEchoLoad(host, port, 2);
    let result: EchoLoad;
    try {
      await new Promise((res) => setTimeout(res, 500));
      for (let i = 1; i <= updates; i += 1) {
        const up = await p.api.put<{ task: Obj }>(`${base}/echo`, { spec: echoSpec(`v${i}`) });
        assert.equal(up.status, 202, JSON.stringify(up.body));
        assert.equal((await waitTask(p.api, up.body.task.id as string)).state, 'succeeded', `update ${i}`);
      }
      await new Promise((res) => setTimeout(res, 1500));
    } finally {
      result = await load.stop();
    }
    console.log(
      `entry point rollout: ${result.ok + result.failed} connections, ${result.failed} failed, by release ${JSON.stringify([...result.versions])}`,
    );
    assert.equal(result.failed, 0, `dropped: ${result.errors.slice(0, 10).join('; ')}`);
    assert.ok(result.ok > updates * 20, `enough connections were answered (${result.ok})`);
    assert.ok(result.versions.has(`v${updates}`), 'the last release answered');

    const events = async (type: string) =>
      (await p.api.get<{ items: Event[] }>(`${base}/echo/events?type=${type}&limit=500`)).body.items;
    assert.deepEqual(await events('DrainUnconfirmed'), [], 'every removal was confirmed in time');
    assert.ok(
      (await events('RemovalConfirmed')).length >= 2 * updates,
      'a confirmation per replaced container',
    );
  });
});
