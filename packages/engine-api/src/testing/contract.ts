/**
 * The contract every ContainerEngine passes (Hono's shared-suite habit): one suite, run by each
 * engine package against the real engine. It asserts behaviour Berth relies on, not how an
 * engine gets there.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EngineError, UnavailableError } from '@berth/shared';
import {
  exitReason,
  labelKeys,
  type ContainerCreateSpec,
  type ContainerEngine,
  type EngineEvent,
} from '../index';

/** What an engine package hands the suite. */
export interface EngineContractSetup {
  engine: ContainerEngine;
  /** A busybox-based image with `sh`, `httpd`, `sleep`, `stty` and `ps`, running as root by default. */
  image: string;
  /** The same engine pointed at an address where nothing answers (tests UnavailableError). */
  unreachable?: ContainerEngine;
  /**
   * Whether the engine really runs the commands it is given (default true). An engine in memory
   * (the server's test fake) says false: the cases that need a process — a server answering on
   * its port, a shell, the lines a script prints, stats of a live process, an OOM kill — are
   * skipped, and every case about the engine's own semantics (labels, ports, states, events,
   * errors) still holds it.
   */
  runsProcesses?: boolean;
  /**
   * Makes a new image of its own (not another name of an existing one) under `name`, and gives an
   * image a further name: the engine interface has neither, and the image removal cases need both.
   * Without them those cases are skipped.
   */
  images?: {
    make(name: string): Promise<void>;
    tag(source: string, name: string): Promise<void>;
  };
  cleanup(): Promise<void>;
}

const mib = 1024 * 1024;
const noProcesses = 'the engine runs no processes (an engine in memory)';

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    await sleep(100);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`,
  );
}

function httpGet(address: string): Promise<{ status: number; body: string }> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port: Number(port), path: '/', timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET http://${address}/ timed out`)));
    req.on('error', reject);
  });
}

/** Reads a stream until its accumulated text matches `pattern`; returns all text read. */
function readUntil(stream: NodeJS.ReadableStream, pattern: RegExp, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer | string): void => {
      text += chunk.toString();
      if (pattern.test(text)) done(() => resolve(text));
    };
    const timer = setTimeout(
      () => done(() => reject(new Error(`no ${pattern} in ${JSON.stringify(text)}`))),
      timeoutMs,
    );
    const done = (then: () => void): void => {
      clearTimeout(timer);
      stream.removeListener('data', onData);
      then();
    };
    stream.on('data', onData);
  });
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/**
 * Registers the contract suite for one engine. `makeEngine` runs once before the tests; every
 * container the suite creates carries a unique prefix and label and is removed afterwards.
 */
export function runEngineContract(name: string, makeEngine: () => Promise<EngineContractSetup>): void {
  void describe(`${name}: ContainerEngine contract`, () => {
    const prefix = `berth-contract-${randomBytes(3).toString('hex')}`;
    const owned = { [labelKeys.instance]: prefix };
    let setup!: EngineContractSetup;
    let engine!: ContainerEngine;

    const spec = (suffix: string, over: Partial<ContainerCreateSpec> = {}): ContainerCreateSpec => ({
      name: `${prefix}-${suffix}`,
      image: setup.image,
      command: ['sleep', '1000'],
      env: {},
      labels: { ...owned, 'berth.contract.case': suffix },
      ports: [],
      ...over,
    });
    const exited = (ref: string, timeoutMs = 15_000) =>
      waitFor(
        `${ref} to exit`,
        async () => {
          const obs = await engine.inspectContainer(ref);
          return obs?.state === 'exited' ? obs : null;
        },
        timeoutMs,
      );

    const processes = () => setup.runsProcesses !== false;

    before(async () => {
      setup = await makeEngine();
      engine = setup.engine;
    });

    after(async () => {
      if (!setup) return;
      const left = await engine.listContainers(owned).catch(() => []);
      await Promise.all(left.map((c) => engine.removeContainer(c.id).catch(() => undefined)));
      await setup.cleanup();
    });

    void it('reports itself healthy with a version', async () => {
      const health = await engine.health();
      assert.equal(health.ok, true, health.message ?? '');
      assert.ok(health.version.length > 0);
      assert.ok(engine.cluster.length > 0);
    });

    void it('inspects a local image and reports a digest; an unknown image is null', async () => {
      const info = await engine.ensureImage(setup.image);
      assert.match(info.digest, /^sha256:[0-9a-f]{64}$/);
      assert.ok(info.sizeBytes > 0);
      assert.deepEqual(await engine.inspectImage(setup.image), info);
      assert.equal(await engine.inspectImage(`localhost/${prefix}-missing:1`), null);
    });

    void it('lists a container by all its labels, with its state, address, start and published port', async () => {
      const c = spec('listed', { ports: [{ containerPort: 8080, hostIp: '127.0.0.1', hostPort: 0 }] });
      const id = await engine.runContainer(c);
      await engine.runContainer(spec('listed-other'));
      const listed = await engine.listContainers({ ...owned, 'berth.contract.case': 'listed' });
      assert.equal(listed.length, 1, 'only the container with every label');
      const obs = listed[0]!;
      assert.equal(obs.id, id);
      assert.equal(obs.name, c.name);
      assert.deepEqual(obs.labels, c.labels);
      assert.equal(obs.state, 'running');
      assert.match(obs.ip ?? '', /^\d+\.\d+\.\d+\.\d+$/);
      assert.ok(obs.startedAt && !Number.isNaN(Date.parse(obs.startedAt)));
      assert.equal(obs.exitCode, null);
      assert.match(obs.ports['8080'] ?? '', /^127\.0\.0\.1:\d+$/);
      assert.notEqual(
        obs.ports['8080'],
        '127.0.0.1:0',
        'hostPort 0 is replaced by the port actually published',
      );
      const inspected = await engine.inspectContainer(c.name);
      assert.equal(inspected?.id, id);
      assert.deepEqual(inspected?.ports, obs.ports);
    });

    void it('runs a container with labels, env and a published port, listed by all its labels', async (t) => {
      if (!processes()) return t.skip(noProcesses);
      const web = spec('web', {
        command: [
          'sh',
          '-c',
          'mkdir -p /tmp/www && echo contract-ok > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www',
        ],
        env: { FOO: 'bar baz' },
        ports: [{ containerPort: 8080, hostIp: '127.0.0.1', hostPort: 0 }],
      });
      const other = spec('other');
      const id = await engine.runContainer(web);
      await engine.runContainer(other);

      const listed = await engine.listContainers({ ...owned, 'berth.contract.case': 'web' });
      assert.equal(listed.length, 1, 'only the container with every label');
      const obs = listed[0]!;
      assert.equal(obs.id, id);
      assert.equal(obs.name, web.name);
      assert.deepEqual(obs.labels, web.labels);
      assert.equal(obs.state, 'running');
      assert.match(obs.ip ?? '', /^\d+\.\d+\.\d+\.\d+$/);
      assert.ok(obs.startedAt && !Number.isNaN(Date.parse(obs.startedAt)));
      assert.equal(obs.exitCode, null);
      const address = obs.ports['8080'] ?? '';
      assert.match(address, /^127\.0\.0\.1:\d+$/);
      assert.notEqual(address, '127.0.0.1:0', 'hostPort 0 is replaced by the port actually published');

      const res = await waitFor('httpd to answer', () => httpGet(address).catch(() => null));
      assert.equal(res.status, 200);
      assert.equal(res.body.trim(), 'contract-ok');

      const inspected = await engine.inspectContainer(web.name);
      assert.equal(inspected?.id, id);
      assert.deepEqual(inspected?.ports, obs.ports);

      const env = await engine.execRun(id, ['sh', '-c', 'echo "$FOO"; echo to-stderr >&2; exit 7'], {
        timeoutMs: 10_000,
      });
      assert.deepEqual(env, { exitCode: 7, stdout: 'bar baz\n', stderr: 'to-stderr\n' });
    });

    void it('returns logs with timestamps and streams, honours tail', async (t) => {
      if (!processes()) return t.skip(noProcesses);
      const c = spec('logs', {
        command: [
          'sh',
          '-c',
          'for i in 1 2 3 4 5; do echo line-$i; done; sleep 0.3; echo to-stderr >&2; exec sleep 1000',
        ],
      });
      const id = await engine.runContainer(c);
      const all = await waitFor('all log lines', async () => {
        const lines = await collect(engine.logs(id, {}));
        return lines.some((l) => l.text === 'to-stderr') ? lines : null;
      });
      assert.deepEqual(
        all.map((l) => [l.stream, l.text]),
        [
          ['stdout', 'line-1'],
          ['stdout', 'line-2'],
          ['stdout', 'line-3'],
          ['stdout', 'line-4'],
          ['stdout', 'line-5'],
          ['stderr', 'to-stderr'],
        ],
      );
      for (const l of all)
        assert.ok(Math.abs(Date.parse(l.at) - Date.now()) < 120_000, `bad timestamp ${l.at}`);
      const tail = await collect(engine.logs(id, { tail: 2 }));
      assert.deepEqual(
        tail.map((l) => l.text),
        ['line-5', 'to-stderr'],
      );
    });

    void it('follows logs: yields new lines and stops on abort', async (t) => {
      if (!processes()) return t.skip(noProcesses);
      const c = spec('follow', {
        command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.2; done'],
      });
      const id = await engine.runContainer(c);
      const abort = new AbortController();
      const seen: string[] = [];
      const started = Date.now();
      const done = (async () => {
        for await (const line of engine.logs(id, { follow: true, tail: 0, signal: abort.signal })) {
          seen.push(line.text);
          if (seen.length === 3) abort.abort();
        }
      })();
      await Promise.race([done, sleep(10_000).then(() => assert.fail('follow did not end after abort'))]);
      assert.ok(seen.length >= 3 && seen.every((t) => /^tick-\d+$/.test(t)), JSON.stringify(seen));
      const n = seen.map((t) => Number(t.slice(5)));
      assert.ok(n[1]! > n[0]! && n[2]! > n[1]!, 'lines arrive in order as they are printed');
      assert.ok(Date.now() - started < 8000);

      // A silent container: abort must end the stream even before any output.
      const silentId = await engine.runContainer(spec('silent'));
      const quiet = new AbortController();
      const silent = collect(engine.logs(silentId, { follow: true, tail: 0, signal: quiet.signal }));
      await sleep(300);
      const t0 = Date.now();
      quiet.abort();
      assert.deepEqual(await silent, []);
      assert.ok(Date.now() - t0 < 2000, 'abort ends a follow promptly');
    });

    void it('opens a TTY exec: input, output, resize and exit code', async (t) => {
      if (!processes()) return t.skip(noProcesses);
      const id = await engine.runContainer(spec('tty'));
      const session = await engine.exec(id, { cmd: ['sh'], tty: true, cols: 80, rows: 24 });
      try {
        session.stream.write('echo h""i\n');
        await readUntil(session.stream, /(^|\n)hi\r?\n/);
        await session.resize(100, 30);
        session.stream.write('stty size\n');
        await readUntil(session.stream, /30 100/);
        session.stream.write('exit 3\n');
        assert.equal(await session.exitCode(), 3);
      } finally {
        session.close();
      }
    });

    void it('opens an exec without TTY: stdin EOF, stdout and stderr apart', async (t) => {
      if (!processes()) return t.skip(noProcesses);
      const id = await engine.runContainer(spec('notty'));
      const session = await engine.exec(id, {
        cmd: ['sh', '-c', 'read a; echo got:$a; echo oops >&2'],
        tty: false,
      });
      const out = readUntil(session.stream, /got:hello\n/);
      const err = readUntil(session.stderr as Readable, /oops\n/);
      session.stream.end('hello\n');
      assert.match(await out, /^got:hello\n$/);
      assert.match(await err, /^oops\n$/);
      assert.equal(await session.exitCode(), 0);
      session.close();
    });

    void it('execRun gives up at its timeout and kills the command', async (t) => {
      if (!processes()) return t.skip(noProcesses);
      const id = await engine.runContainer(spec('timeout'));
      const t0 = Date.now();
      const r = await engine.execRun(id, ['sleep', '31337'], { timeoutMs: 500 });
      assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
      assert.equal(r.exitCode, -1);
      assert.equal(r.stderr, 'timed out');
      await waitFor(
        'the timed-out command to be gone',
        async () => {
          const ps = await engine.execRun(id, ['ps', '-o', 'args'], { timeoutMs: 5000 });
          return ps.exitCode === 0 && !ps.stdout.includes('31337');
        },
        5000,
      );
    });

    void it('samples stats of a running container', async (t) => {
      if (!processes()) return t.skip(noProcesses);
      const id = await engine.runContainer(spec('stats', { memoryMiB: 64 }));
      const [s] = await engine.stats([id]);
      assert.ok(s, 'one sample');
      assert.equal(s.id, id);
      for (const v of [s.cpuPercent, s.netRxBytes, s.netTxBytes, s.blockReadBytes, s.blockWriteBytes]) {
        assert.ok(Number.isFinite(v) && v >= 0, `bad value ${v}`);
      }
      assert.ok(s.memoryBytes > 0);
      assert.equal(s.memoryLimitBytes, 64 * mib);
    });

    void it('OOM-kills a container over its memory limit (exit 137, reason OOMKilled)', async (t) => {
      if (!processes()) return t.skip(noProcesses);
      const c = spec('oom', { command: ['sh', '-c', 'x=a; while true; do x=$x$x; done'], memoryMiB: 16 });
      await engine.runContainer(c);
      const obs = await exited(c.name);
      assert.equal(obs.exitCode, 137);
      assert.equal(obs.memoryLimitBytes, 16 * mib);
      assert.equal(exitReason(obs), 'OOMKilled');
      const [listed] = await engine.listContainers({ ...owned, 'berth.contract.case': 'oom' });
      assert.equal(listed && exitReason(listed), 'OOMKilled');
      assert.ok(listed?.finishedAt && Date.parse(listed.finishedAt) >= Date.parse(listed.startedAt ?? ''));
    });

    void it('stops promptly a command that ignores SIGTERM as PID 1, and tolerates missing containers', async () => {
      // `sleep` as PID 1 would ignore SIGTERM; behind an init it is an ordinary process.
      const c = spec('stop');
      await engine.runContainer(c);
      // The init forwards SIGTERM once it runs the command; a SIGTERM before its handlers are set
      // is ignored like any PID 1's (10.2 s on a busy machine, in a full run): wait for the command.
      if (processes())
        await waitFor(
          'sleep running under the init',
          async () => {
            const ps = await engine.execRun(c.name, ['ps', '-o', 'args'], { timeoutMs: 5000 });
            return ps.exitCode === 0 && ps.stdout.includes('sleep 1000');
          },
          15_000,
        );
      const t0 = Date.now();
      await engine.stopContainer(c.name, 10);
      assert.ok(Date.now() - t0 < 5000, `stop took ${Date.now() - t0} ms`);
      const obs = await engine.inspectContainer(c.name);
      assert.equal(obs?.state, 'exited');
      await engine.stopContainer(c.name, 1);
      await engine.removeContainer(c.name);
      assert.equal(await engine.inspectContainer(c.name), null);
      await engine.removeContainer(c.name);
      await engine.stopContainer(c.name, 1);
    });

    void it('streams start and died events for containers with all given labels', async () => {
      const labels = { ...owned, 'berth.contract.case': 'events' };
      const abort = new AbortController();
      const events: EngineEvent[] = [];
      const reader = (async () => {
        for await (const e of engine.events(labels, abort.signal)) events.push(e);
      })();
      // Give the subscription a moment: events are not replayed.
      await sleep(500);
      const other = await engine.runContainer(spec('events-other'));
      const id = await engine.runContainer(spec('events'));
      await engine.stopContainer(id, 5);
      await waitFor(
        'start and died events',
        async () =>
          events.some((e) => e.containerId === id && e.type === 'start') &&
          events.some((e) => e.containerId === id && e.type === 'died'),
      );
      abort.abort();
      await reader;
      const died = events.find((e) => e.type === 'died')!;
      assert.equal(died.containerName, `${prefix}-events`);
      assert.equal(typeof died.exitCode, 'number');
      assert.ok(!Number.isNaN(Date.parse(died.at)));
      assert.deepEqual(died.labels, labels);
      assert.ok(
        !events.some((e) => e.containerId === other),
        'a container lacking one label is filtered out',
      );
    });

    void it('fails to run a missing image with an EngineError naming it, leaving nothing behind', async () => {
      const image = `localhost/${prefix}-no-such-image:1`;
      const c = spec('noimage', { image });
      await assert.rejects(engine.runContainer(c), (err: unknown) => {
        assert.ok(err instanceof EngineError, String(err));
        assert.ok(err.message.includes(image), err.message);
        return true;
      });
      assert.equal(await engine.inspectContainer(c.name), null);
    });

    void it('lists images with their names and containers, and removes them without forcing', async (t) => {
      const images = setup.images;
      if (!images || !engine.listImages || !engine.removeImage)
        return t.skip('the engine lists or removes no images, or the package cannot make one');
      const first = `localhost/${prefix}-image:1`;
      const second = `localhost/${prefix}-image:2`;
      const entry = async () =>
        (await engine.listImages!()).find((i) => i.names.includes(first) || i.names.includes(second));
      try {
        await images.make(first);
        await images.tag(first, second);
        const listed = await entry();
        assert.ok(listed, `${first} is listed`);
        assert.deepEqual([...listed.names].sort(), [first, second]);
        assert.equal(listed.containers, 0);
        assert.ok(listed.id.length > 0 && listed.sizeBytes > 0);
        assert.ok(!Number.isNaN(Date.parse(listed.createdAt)), listed.createdAt);
        const base = (await engine.listImages()).find((i) => i.names.includes(setup.image));
        assert.ok(base, `the contract's image ${setup.image} is listed under its name`);

        const c = spec('image-user', { image: first });
        await engine.runContainer(c);
        assert.equal((await entry())?.containers, 1, 'the container is counted');
        // one of two names goes, even while a container uses the image: it is only untagged
        assert.equal(await engine.removeImage(second), 'untagged');
        assert.deepEqual((await entry())?.names, [first]);
        // the last name of an image a container uses: refused, not forced, not an error
        assert.equal(await engine.removeImage(first), 'in-use');
        await engine.stopContainer(c.name, 5);
        assert.equal(await engine.removeImage(first), 'in-use', 'an exited container still uses it');
        assert.ok(await engine.inspectImage(first), 'a refused image stays');
        assert.equal((await engine.inspectContainer(c.name))?.state, 'exited', 'its container is untouched');

        await engine.removeContainer(c.name);
        assert.equal(await engine.removeImage(first), 'removed');
        assert.equal(await engine.inspectImage(first), null);
        assert.equal(await entry(), undefined, 'gone from the list');
        assert.equal(await engine.removeImage(first), 'missing');
      } finally {
        await engine.removeContainer(`${prefix}-image-user`).catch(() => undefined);
        for (const name of [second, first]) await engine.removeImage(name).catch(() => undefined);
      }
    });

    void it('reports an unreachable engine as UnavailableError', async (t) => {
      if (!setup.unreachable) return t.skip('the engine package provides no unreachable engine');
      await assert.rejects(setup.unreachable.listContainers(owned), UnavailableError);
      const health = await setup.unreachable.health();
      assert.equal(health.ok, false);
      assert.ok(health.message);
    });
  });
}
