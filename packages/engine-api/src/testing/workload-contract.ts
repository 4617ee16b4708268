/**
 * The contract every WorkloadEngine passes (Kubernetes today): one suite, run by an engine package
 * against a test API server and, when one is configured, a real cluster. It asserts what Berth
 * relies on — a workload applied rolls out and is followed, its replicas are listed with their
 * release and an address, a new release replaces them, logs, exec, stats, events, destroy and
 * rotation work on one replica — not how the engine gets there.
 *
 * Cases that need a hook only a test API server has (breaking watches, advancing its clock,
 * refusing exec v5) are skipped on a real cluster and say so.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it as nodeIt, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { labelKeys, type ContainerEngine, type ContainerObservation, type EngineEvent } from '../index';
import type { NamespaceSpec, WorkloadEngine, WorkloadObjectEvent, WorkloadSpec } from '../workload';

/** What an engine package hands the suite. */
export interface WorkloadContractSetup {
  engine: ContainerEngine & WorkloadEngine;
  /** The cluster name the engine serves (WorkloadSpec.cluster). */
  cluster: string;
  /** The instance id the engine watches (WorkloadSpec.instance). */
  instance: string;
  /**
   * An image that serves HTTP on `port` and has a POSIX `sh`, `echo`, `cat`, `stty` (busybox). Its
   * command is `command`: it must print `log-line-1`..`log-line-3` at start and a line every
   * second after (follow), and serve HTTP on `port`.
   */
  image: string;
  command?: string[];
  port: number;
  /** The test host reaches the replicas' addresses (false on a cluster whose pod network it does not reach). */
  reachable: boolean;
  /** The cluster serves metrics.k8s.io (stats are checked; else their refusal is). */
  metrics: boolean;
  /** Hooks of a test API server; undefined on a real cluster. */
  fake?: {
    /** Waits until the simulated controllers are idle. */
    settle(): Promise<void>;
    advanceClock(seconds: number): void;
    /** Pods of `release` never become Ready (null: every pod is Ready once it runs). */
    holdReadiness(release: number | null): void;
    appendLog(pod: ContainerObservation, text: string): void;
    setUsage(pod: ContainerObservation, usage: { cpu: string; memory: string }): void;
    /** Exec accepts only v4.channel.k8s.io (true) or v5 and v4 (false). */
    execV4Only(only: boolean): void;
    /** Closes every open watch (an API server restart). */
    dropWatches(): void;
    /** Compacts the history: the next watch from an older resourceVersion is 410 Gone. */
    compact(): void;
    /** Ends every open watch with an ERROR 410 Expired event. */
    expireWatches(): void;
    /** How many times the engine listed pods (1 + relists after 410). */
    podLists(): number;
    /** What the test server knows went wrong (its controllers' failures), for a timeout's message. */
    diagnose?(): string;
  };
  /**
   * Runs last; `namespace` names the project and environment whose namespace the suite made (the
   * engine interface deletes workloads, not namespaces: a real cluster's setup deletes it here).
   */
  cleanup(namespace: { project: string; env: string }): Promise<void>;
}

/** How long a real cluster may take for one step (pulls, scheduling); the fake needs far less. */
const stepMs = 120_000;

/** Polls `fn` until it returns a truthy value or the deadline passes (no fixed sleeps). */
async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = stepMs,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value) return value;
      last = value;
    } catch (err) {
      lastError = err;
    }
    await sleep(50);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}${
      last !== undefined ? ` (last: ${JSON.stringify(last)})` : ''
    }`,
  );
}

function httpGet(address: string): Promise<{ status: number; body: string }> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: address.slice(0, i), port: Number(address.slice(i + 1)), path: '/', timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET http://${address}/ timed out`)));
    req.on('error', reject);
  });
}

/** Reads a stream until its text matches `pattern`. */
function readUntil(stream: NodeJS.ReadableStream, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
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

/** Collects items of an iterable in the background until `stop` aborts. */
function gather<T>(items: AsyncIterable<T>): T[] {
  const out: T[] = [];
  void (async () => {
    try {
      for await (const item of items) out.push(item);
    } catch {
      // the case asserts on what arrived
    }
  })();
  return out;
}

/** Registers the workload contract suite for one engine. `skip`: why it cannot run (reported as skipped). */
export function runWorkloadContract(
  name: string,
  makeSetup: () => Promise<WorkloadContractSetup>,
  opts: { skip?: string } = {},
): void {
  void describe(`${name}: WorkloadEngine contract`, () => {
    // Every case is registered, skipped with the reason when the suite cannot run, so the
    // runner counts them as skipped (a skipped describe alone shows no skipped tests).
    const it = (title: string, fn: (t: TestContext) => Promise<void>) =>
      nodeIt(title, opts.skip ? { skip: opts.skip } : {}, fn);
    const suffix = randomBytes(3).toString('hex');
    const project = `wc${suffix}`;
    const env = 'test';
    const serviceId = `svc-${suffix}`;
    let setup!: WorkloadContractSetup;
    let engine!: ContainerEngine & WorkloadEngine;
    const ref = () => ({ project, env, service: 'web', serviceId });
    const mine = () => ({ [labelKeys.service]: serviceId });

    const nsSpec = (): NamespaceSpec => ({
      project,
      env,
      instance: setup.instance,
      cluster: setup.cluster,
      quota: { cpu: null, memoryMiB: null, replicas: null, volumesGiB: null },
      defaults: { cpu: null, memoryMiB: null },
    });
    const spec = (over: Partial<WorkloadSpec> = {}): WorkloadSpec => ({
      ...ref(),
      instance: setup.instance,
      cluster: setup.cluster,
      release: 1,
      restartNonce: 0,
      replicas: 2,
      image: setup.image,
      ...(setup.command ? { command: setup.command } : {}),
      variables: { GREETING: 'hello' },
      secretVariables: { TOKEN: 's3cret' },
      ports: [{ name: 'http', containerPort: setup.port }],
      cpu: 0.1,
      memoryMiB: 64,
      readiness: {
        type: 'tcp',
        port: setup.port,
        initialDelaySeconds: 0,
        periodSeconds: 1,
        timeoutSeconds: 1,
        successThreshold: 1,
        failureThreshold: 3,
      },
      rollout: {
        maxSurge: 1,
        maxUnavailable: 0,
        progressDeadlineSeconds: 600,
        drainSeconds: 0,
        stopGraceSeconds: 5,
      },
      labels: { tier: 'web' },
      runAsUser: 1000,
      runAsGroup: 1000,
      runAsRoot: false,
      capabilities: [],
      readOnlyRootFilesystem: false,
      configs: [],
      volumes: [],
      ...over,
    });
    let current: WorkloadSpec;
    const apply = async (over: Partial<WorkloadSpec>) => {
      current = spec({ ...current, ...over });
      await engine.applyWorkload(current);
      await setup.fake?.settle();
    };
    const pods = async () => engine.listContainers(mine());
    /** Waits until the workload runs `release` with every replica ready and no other pod left. */
    const rolledOut = async (release: number, replicas: number) => {
      let seen = '';
      try {
        return await waitFor(
          `release ${release} with ${replicas} ready replicas and nothing else`,
          async () => {
            await setup.fake?.settle();
            const st = await engine.workloadStatus(ref());
            const list = (await pods()).filter((p) => !p.terminating);
            seen = JSON.stringify({
              status: st,
              pods: list.map((p) => [p.name, p.labels[labelKeys.release], p.state, p.ready]),
            });
            const ok =
              st?.observed &&
              st.release === release &&
              st.updated === replicas &&
              st.ready === replicas &&
              st.available === replicas &&
              list.length === replicas &&
              list.every(
                (p) => p.labels[labelKeys.release] === String(release) && p.state === 'running' && p.ready,
              );
            return ok ? list : null;
          },
        );
      } catch (err) {
        const server = setup.fake?.diagnose?.();
        throw new Error(
          `${err instanceof Error ? err.message : String(err)}; last seen: ${seen}${server ? `; the test server: ${server}` : ''}`,
        );
      }
    };

    before(async () => {
      if (opts.skip) return;
      setup = await makeSetup();
      engine = setup.engine;
      current = spec();
    });
    after(async () => {
      await engine?.deleteWorkload(ref()).catch(() => undefined);
      if (setup) await setup.cleanup({ project, env });
    });

    void it('health: the cluster answers ready with a version', async () => {
      const h = await engine.health();
      assert.equal(h.ok, true, h.message ?? '');
      assert.ok(h.version.length > 0);
    });

    void it('applies a namespace and a workload: the status is observed and every replica ready', async () => {
      await engine.applyNamespace(nsSpec());
      assert.equal(await engine.workloadStatus(ref()), null, 'no workload before the apply');
      await apply({});
      await rolledOut(1, 2);
      const st = await engine.workloadStatus(ref());
      assert.equal(st?.stalled, false);
      assert.equal(st?.restartNonce, 0);
      assert.equal(st?.replicas, 2);
      // Applying the same spec again changes nothing (server-side apply is idempotent).
      await apply({});
      const again = await engine.workloadStatus(ref());
      assert.equal(again?.observed, true);
      assert.equal(again?.release, 1);
    });

    void it('lists the replicas with their release, labels and a reachable address', async () => {
      const list = await rolledOut(1, 2);
      for (const p of list) {
        assert.equal(p.labels[labelKeys.release], '1');
        assert.equal(p.labels.tier, 'web', "the user's labels are on the pods");
        assert.ok(p.id && p.name && p.node, 'id, name and node');
        assert.ok(p.createdAt && p.startedAt, 'created and started times');
        assert.equal(p.memoryLimitBytes, 64 * 1024 * 1024);
        const address = p.ports[String(setup.port)];
        assert.ok(address, `pod ${p.name} publishes port ${setup.port}: ${JSON.stringify(p.ports)}`);
        if (setup.reachable) {
          const res = await httpGet(address);
          assert.equal(res.status, 200);
        }
        const inspected = await engine.inspectContainer(p.name);
        assert.equal(inspected?.id, p.id, 'inspect by name');
        assert.equal((await engine.inspectContainer(p.id))?.name, p.name, 'inspect by id');
      }
      assert.equal(await engine.inspectContainer(`nothing-${suffix}`), null);
    });

    void it('a new release rolls: every replica runs it and the old ones are gone', async () => {
      const before = new Set((await pods()).map((p) => p.id));
      await apply({ release: 2, variables: { GREETING: 'hi' } });
      const list = await rolledOut(2, 2);
      for (const p of list) assert.ok(!before.has(p.id), `pod ${p.name} is new`);
    });

    void it('a restart nonce replaces every replica under the same release', async () => {
      const before = new Set((await pods()).map((p) => p.id));
      await apply({ restartNonce: 1 });
      const list = await rolledOut(2, 2);
      for (const p of list) assert.ok(!before.has(p.id));
      assert.equal((await engine.workloadStatus(ref()))?.restartNonce, 1);
    });

    void it('scales up and down', async () => {
      await apply({ replicas: 3 });
      await rolledOut(2, 3);
      await apply({ replicas: 2 });
      await rolledOut(2, 2);
    });

    void it('destroying one replica: the pod goes, a new one replaces it, and events say so', async () => {
      const stop = new AbortController();
      const events: EngineEvent[] = gather(engine.events(mine(), stop.signal));
      try {
        const [victim] = await pods();
        await engine.removeContainer(victim!.id);
        await engine.removeContainer(`nothing-${suffix}`); // missing is fine
        await waitFor('the destroyed pod to be replaced', async () => {
          await setup.fake?.settle();
          const list = (await pods()).filter((p) => !p.terminating && p.ready);
          return list.length === 2 && !list.some((p) => p.id === victim!.id);
        });
        await waitFor('remove and create events', async () => {
          const removed = events.some((e) => e.type === 'remove' && e.containerId === victim!.id);
          const created = events.some((e) => e.type === 'create' && e.containerId !== victim!.id);
          return removed && created;
        });
        for (const e of events) assert.equal(e.labels[labelKeys.service], serviceId);
      } finally {
        stop.abort();
      }
    });

    void it('out of rotation: the pod is relabelled and left out of the Service, and stays', async () => {
      const [p] = await rolledOut(2, 2);
      const svc = engine.manifests(nsSpec(), current).find((o) => o.kind === 'Service');
      const selector = (svc?.spec as { selector?: Record<string, string> } | undefined)?.selector ?? {};
      assert.equal(selector['berth.rotation'], 'in', 'the Service selects only pods in rotation');
      await engine.setInRotation(p!.name, false);
      await waitFor(
        'the rotation label out',
        async () => (await engine.inspectContainer(p!.id))?.labels['berth.rotation'] === 'out',
      );
      await setup.fake?.settle();
      const list = await pods();
      assert.ok(
        list.some((x) => x.id === p!.id && !x.terminating),
        'the pod keeps running',
      );
      assert.equal(list.filter((x) => !x.terminating).length, 2, 'and is not replaced');
      await engine.setInRotation(p!.id, true);
      await waitFor(
        'the rotation label in',
        async () => (await engine.inspectContainer(p!.id))?.labels['berth.rotation'] === 'in',
      );
    });

    void it('logs: tail and follow, with timestamps; abort ends following', async () => {
      const [p] = await rolledOut(2, 2);
      if (setup.fake) for (const n of [1, 2, 3]) setup.fake.appendLog(p!, `log-line-${n}`);
      const tail = await waitFor('three log lines', async () => {
        const lines = [];
        for await (const l of engine.logs(p!.id, { tail: 3 })) lines.push(l);
        return lines.length >= 3 && lines;
      });
      assert.equal(tail.length, 3, 'tail 3');
      for (const l of tail) {
        assert.equal(l.stream, 'stdout');
        assert.ok(!Number.isNaN(Date.parse(l.at)), `time ${l.at}`);
      }
      if (setup.fake)
        assert.deepEqual(
          tail.map((l) => l.text),
          ['log-line-1', 'log-line-2', 'log-line-3'],
        );
      const stop = new AbortController();
      const followed = gather(engine.logs(p!.id, { follow: true, tail: 0, signal: stop.signal }));
      if (setup.fake) {
        // A line written before the follow request arrived is not "new": write until one shows.
        let n = 0;
        await waitFor(
          'a followed line',
          async () => {
            setup.fake!.appendLog(p!, `followed-line-${++n}`);
            await sleep(100);
            return followed.some((l) => l.text.startsWith('followed-line-'));
          },
          20_000,
        );
      } else {
        await waitFor('a new line while following', async () => followed.length > 0, 30_000);
      }
      stop.abort();
      if (setup.fake) setup.fake.appendLog(p!, 'after-abort');
      await sleep(200);
      assert.ok(!followed.some((l) => l.text === 'after-abort'), 'nothing after the abort');
    });

    void it('execRun: output and exit codes; exec without a TTY: stdin to EOF and separate stderr', async () => {
      const [p] = await rolledOut(2, 2);
      const hi = await engine.execRun(p!.id, ['echo', 'hi'], { timeoutMs: 30_000 });
      assert.deepEqual({ code: hi.exitCode, out: hi.stdout }, { code: 0, out: 'hi\n' });
      const three = await engine.execRun(p!.id, ['sh', '-c', 'exit 3'], { timeoutMs: 30_000 });
      assert.equal(three.exitCode, 3);
      const s = await engine.exec(p!.id, { cmd: ['cat'], tty: false });
      s.stream.write('through cat\n');
      s.stream.end();
      const out = await readUntil(s.stream, /through cat/);
      assert.match(out, /through cat/);
      assert.equal(await s.exitCode(), 0, 'cat ends at stdin EOF (v5 close signal)');
      s.close();
    });

    void it('exec with a TTY: resize and the exit code of the shell', async () => {
      const [p] = await rolledOut(2, 2);
      // A shell, so the size is asked after the terminal got it (a command run at once may
      // read the size before the first resize frame arrives, on a real cluster too).
      const s = await engine.exec(p!.id, { cmd: ['sh'], tty: true, cols: 101, rows: 33 });
      s.stream.write('stty size\n');
      assert.match(await readUntil(s.stream, /33 101/), /33 101/);
      await s.resize(120, 40);
      s.stream.write('stty size\n');
      assert.match(await readUntil(s.stream, /40 120/), /40 120/);
      s.stream.write('exit 4\n');
      assert.equal(await s.exitCode(), 4, "the shell's exit code");
      s.close();
      await assert.rejects(engine.exec(p!.id, { cmd: ['sh'], tty: true, user: '0:0' }), /cannot switch user/);
    });

    void it('exec falls back to v4.channel.k8s.io when the server does not take v5', async (t) => {
      if (!setup.fake) return t.skip('needs a test API server that refuses v5');
      const [p] = await rolledOut(2, 2);
      setup.fake.execV4Only(true);
      try {
        const r = await engine.execRun(p!.id, ['sh', '-c', 'exit 5'], { timeoutMs: 30_000 });
        assert.equal(r.exitCode, 5);
        const s = await engine.exec(p!.id, { cmd: ['echo', 'over v4'], tty: false });
        assert.match(await readUntil(s.stream, /over v4/), /over v4/);
        assert.equal(await s.exitCode(), 0);
        s.close();
      } finally {
        setup.fake.execV4Only(false);
      }
    });

    void it('stats: CPU and memory of a replica, or a clear refusal without metrics.k8s.io', async () => {
      const [p] = await rolledOut(2, 2);
      if (!setup.metrics) {
        await assert.rejects(engine.stats([p!.id]), (err: Error & { details?: { reason?: string } }) => {
          assert.equal(err.details?.reason, 'STATS_UNAVAILABLE');
          assert.match(err.message, /metrics\.k8s\.io \(install metrics-server\)/);
          return true;
        });
        return;
      }
      setup.fake?.setUsage(p!, { cpu: '250m', memory: '32Mi' });
      const [s] = await waitFor('a stats sample', async () => {
        const list = await engine.stats([p!.id]);
        return list.length ? list : null;
      });
      assert.equal(s!.id, p!.id);
      assert.ok(s!.memoryBytes > 0);
      if (setup.fake) {
        assert.equal(s!.cpuPercent, 25);
        assert.equal(s!.memoryBytes, 32 * 1024 * 1024);
      }
      assert.equal(s!.memoryLimitBytes, 64 * 1024 * 1024);
    });

    void it('objectEvents: the cluster events of the workload', async () => {
      const stop = new AbortController();
      const seen: WorkloadObjectEvent[] = gather(engine.objectEvents!(ref(), stop.signal));
      try {
        await waitFor('an event about the workload', async () => seen.length > 0, 30_000);
        for (const e of seen) {
          assert.match(e.object, /^(Deployment|ReplicaSet|Pod|Service)\//);
          assert.ok(e.type === 'Normal' || e.type === 'Warning');
          assert.ok(!Number.isNaN(Date.parse(e.at)));
        }
      } finally {
        stop.abort();
      }
    });

    void it('the pod watch survives dropped connections and 410 Gone without losing a change', async (t) => {
      if (!setup.fake) return t.skip('needs a test API server to break its watches');
      const fake = setup.fake;
      await rolledOut(2, 2);
      fake.dropWatches();
      await apply({ replicas: 3 });
      await rolledOut(2, 3);
      const lists = fake.podLists();
      // The history the engine's watch stands on is compacted and the watch told so (410 Gone
      // in the stream); changes go on meanwhile: the relist must find them.
      const [victim] = await pods();
      fake.compact();
      fake.expireWatches();
      await engine.removeContainer(victim!.id);
      await apply({ replicas: 2 });
      await waitFor('the change made across the 410 to show', async () => {
        await fake.settle();
        const list = (await pods()).filter((p) => !p.terminating && p.ready);
        return list.length === 2 && !list.some((p) => p.id === victim!.id);
      });
      await waitFor('a relist after 410 Gone', async () => fake.podLists() > lists, 10_000);
    });

    void it('stalls on the progress deadline when the new replicas never get ready', async () => {
      setup.fake?.holdReadiness(3);
      try {
        await apply({
          release: 3,
          rollout: { ...current.rollout, progressDeadlineSeconds: setup.fake ? 60 : 10 },
          // On a real cluster the replicas of release 3 never pass this probe.
          readiness: { ...current.readiness!, type: 'exec', command: ['false'], port: undefined },
        });
        setup.fake?.advanceClock(61);
        const st = await waitFor('the stalled status', async () => {
          await setup.fake?.settle();
          const s = await engine.workloadStatus(ref());
          return s?.stalled ? s : null;
        });
        assert.equal(st.release, 3);
        assert.ok(st.message, 'a stalled rollout says why');
        assert.ok(st.ready >= 2, 'maxUnavailable 0 kept the old replicas ready');
      } finally {
        setup.fake?.holdReadiness(null);
      }
      await apply({ release: 4, readiness: spec().readiness, rollout: spec().rollout });
      await rolledOut(4, 2);
    });

    void it('deleting the workload removes its objects and replicas', async () => {
      await engine.deleteWorkload(ref());
      assert.equal(await engine.workloadStatus(ref()), null);
      await waitFor('no replica left', async () => {
        await setup.fake?.settle();
        return (await pods()).length === 0;
      });
      await engine.deleteWorkload(ref()); // twice is fine
    });
  });
}
