/**
 * Parsing and mapping on real podman 4.3.1 output kept in fixtures/ (captured from the API on
 * the reference host): multiplexed exec and log streams, list and inspect JSON, events, stats.
 */
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exitReason } from '@berth/engine-api';
import { toSpecGenerator } from '../src/container-spec';
import { toEngineEvent } from '../src/events';
import { imageDigest, toImageInfo } from '../src/images';
import type { LibpodClient } from '../src/libpod-client';
import type {
  LibpodEvent,
  LibpodImage,
  LibpodInspectContainer,
  LibpodListContainer,
  LibpodStats,
  LibpodStatsReport,
} from '../src/libpod-types';
import { LogLineParser } from '../src/log-stream';
import { Demuxer, encodeFrame } from '../src/multiplex';
import { factsFromInspect, observationFromInspect, observationFromList } from '../src/observation';
import { StatsSampler } from '../src/stats';

const fixture = (name: string): Buffer => readFileSync(new URL(`fixtures/${name}`, import.meta.url));
const json = <T>(name: string): T => JSON.parse(fixture(name).toString('utf8')) as T;
const mib = 1024 * 1024;

/** Feeds a buffer one byte at a time, the worst split a socket can produce. */
function byteByByte<T>(data: Buffer, push: (b: Buffer) => T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < data.length; i++) out.push(...push(data.subarray(i, i + 1)));
  return out;
}

void describe('multiplexed stream', () => {
  const exec = fixture('exec-output.bin');

  void it('splits real exec output into stdout and stderr frames', () => {
    const frames = new Demuxer().push(exec);
    assert.deepEqual(
      frames.map((f) => [f.stream, f.payload.toString()]),
      [
        ['stdout', 'out\n'],
        ['stderr', 'err\n'],
      ],
    );
  });

  void it('gives the same frames however the bytes are split, keeping an incomplete frame', () => {
    const demuxer = new Demuxer();
    const frames = byteByByte(exec, (b) => demuxer.push(b));
    assert.deepEqual(
      frames.map((f) => f.payload.toString()),
      ['out\n', 'err\n'],
    );
    assert.equal(demuxer.push(exec.subarray(0, 10)).length, 0);
    assert.equal(demuxer.pending, 10);
  });

  void it('encodes frames the demuxer reads back', () => {
    const big = Buffer.alloc(70_000, 'x');
    const frames = new Demuxer().push(Buffer.concat([encodeFrame('stderr', big), encodeFrame('stdout', '')]));
    assert.equal(frames.length, 2);
    assert.equal(frames[0]!.stream, 'stderr');
    assert.equal(frames[0]!.payload.length, 70_000);
    assert.equal(frames[1]!.payload.length, 0);
  });
});

void describe('log lines', () => {
  const logs = fixture('logs-timestamps.bin');
  const expected = [
    { stream: 'stdout', at: '2026-11-26T23:50:37Z', text: 'out one' },
    { stream: 'stderr', at: '2026-11-26T23:50:37Z', text: 'err one' },
    // Written as "no newline", then "\n" later: podman stores two entries, Berth shows one line.
    { stream: 'stdout', at: '2026-11-26T23:50:37Z', text: 'no newline' },
    { stream: 'stdout', at: '2026-11-26T23:50:37Z', text: 'out two' },
  ];

  void it('parses timestamps, streams and partial lines of real log output', () => {
    const parser = new LogLineParser();
    assert.deepEqual([...parser.push(logs), ...parser.flush()], expected);
  });

  void it('parses the same when bytes arrive one by one', () => {
    const parser = new LogLineParser();
    assert.deepEqual([...byteByByte(logs, (b) => parser.push(b)), ...parser.flush()], expected);
  });

  void it('keeps a UTF-8 character split across partial entries whole and flushes an unfinished line', () => {
    const euro = Buffer.from('€');
    const parser = new LogLineParser();
    const lines = parser.push(
      Buffer.concat([
        encodeFrame(
          'stdout',
          Buffer.concat([Buffer.from('2026-01-01T00:00:00Z price '), euro.subarray(0, 1)]),
        ),
        encodeFrame(
          'stdout',
          Buffer.concat([Buffer.from('2026-01-01T00:00:01Z '), euro.subarray(1), Buffer.from('5\n')]),
        ),
        encodeFrame('stderr', '2026-01-01T00:00:02Z unfinished'),
      ]),
    );
    assert.deepEqual(lines, [{ stream: 'stdout', at: '2026-01-01T00:00:00Z', text: 'price €5' }]);
    assert.deepEqual(parser.flush(), [{ stream: 'stderr', at: '2026-01-01T00:00:02Z', text: 'unfinished' }]);
  });
});

void describe('container observations', () => {
  const list = json<LibpodListContainer[]>('containers-list.json');
  const running = json<LibpodInspectContainer>('inspect-running.json');
  const oom = json<LibpodInspectContainer>('inspect-oom-exited.json');
  const web = list.find((c) => c.Names?.[0] === 'fx-web')!;
  const oomEntry = list.find((c) => c.Names?.[0] === 'fx-oom')!;

  void it('maps a running list entry with inspect facts: port picked by podman, IP, limit, digest', () => {
    const obs = observationFromList(web, factsFromInspect(running), 'node-a');
    assert.equal(obs.state, 'running');
    assert.equal(obs.name, 'fx-web');
    assert.deepEqual(obs.labels, { 'berth.instance': 'fixture', 'berth.service': 'web' });
    assert.match(obs.ports['8080'] ?? '', /^127\.0\.0\.1:[1-9]\d*$/);
    assert.equal(obs.ip, running.NetworkSettings.IPAddress);
    assert.equal(obs.memoryLimitBytes, 64 * mib);
    assert.equal(obs.imageDigest, running.ImageDigest);
    assert.equal(obs.startedAt, running.State.StartedAt);
    assert.equal(obs.exitCode, null);
    assert.equal(obs.node, 'node-a');
  });

  void it('maps inspect and list alike', () => {
    const fromInspect = observationFromInspect(running, 'node-a');
    const fromList = observationFromList(web, factsFromInspect(running), 'node-a');
    assert.deepEqual(fromList, fromInspect);
  });

  void it('shows an OOM kill on cgroup v1 as exit 137 with a memory limit (OOMKilled stays false)', () => {
    const obs = observationFromInspect(oom, 'node-a');
    assert.equal(obs.state, 'exited');
    assert.equal(obs.exitCode, 137);
    assert.equal(obs.oomKilled, false);
    assert.equal(obs.memoryLimitBytes, 16 * mib);
    assert.equal(obs.ip, null);
    assert.equal(exitReason(obs), 'OOMKilled');
    const listed = observationFromList(oomEntry, factsFromInspect(oom), 'node-a');
    assert.equal(exitReason(listed), 'OOMKilled');
    assert.equal(listed.finishedAt, oom.State.FinishedAt);
  });
});

void describe('events', () => {
  const events = fixture('events.ndjson')
    .toString('utf8')
    .trim()
    .split('\n')
    .map((l) => toEngineEvent(JSON.parse(l) as LibpodEvent));

  void it('separates container labels from podman attributes and reads exit codes of deaths only', () => {
    assert.ok(events.length > 0);
    for (const e of events) {
      assert.equal(e.labels['berth.instance'], 'fixture');
      assert.deepEqual(Object.keys(e.labels).sort(), ['berth.instance', 'berth.service']);
      assert.match(e.containerId, /^[0-9a-f]{64}$/);
      assert.ok(e.containerName.startsWith('fx-'));
      assert.equal(e.exitCode === null, e.type !== 'died');
    }
    const deaths = Object.fromEntries(
      events.filter((e) => e.type === 'died').map((e) => [e.containerName, e.exitCode]),
    );
    assert.deepEqual(deaths, { 'fx-oom': 137, 'fx-web': 143 });
    assert.deepEqual([...new Set(events.map((e) => e.type))].sort(), ['cleanup', 'died', 'init', 'start']);
  });
});

void describe('stats', () => {
  const report = json<LibpodStatsReport>('stats-one-shot.json');
  const client = { json: async () => report } as unknown as LibpodClient;

  /** A podman that answers `report`, then the same containers `ms` later having used `cpuMs`. */
  const advancing = (first: LibpodStatsReport, ms: number, cpuMs: number) => {
    const asked: string[][] = [];
    const later: LibpodStatsReport = {
      ...first,
      Stats: first.Stats!.map((s) =>
        s.SystemNano === 0
          ? s
          : { ...s, CPUNano: s.CPUNano + cpuMs * 1e6, SystemNano: s.SystemNano + ms * 1e6 },
      ),
    };
    const client = {
      json: async (_m: string, _p: string, o: { query: { containers: string[] } }) => {
        asked.push(o.query.containers);
        return asked.length === 1 ? first : later;
      },
    } as unknown as LibpodClient;
    return { client, asked };
  };

  void it('returns running containers only; a first sample is sampled again after a second for its rate', async () => {
    const { client: c, asked } = advancing(report, 1100, 110);
    const waits: number[] = [];
    const stats = await new StatsSampler(c, async (ms) => void waits.push(ms)).sample(['fx-web', 'fx-oom']);
    assert.equal(stats.length, 1);
    const [s] = stats;
    const raw = report.Stats!.find((r) => r.Name === 'fx-web')!;
    assert.equal(s!.name, 'fx-web');
    assert.equal(s!.cpuPercent, 10);
    assert.equal(s!.memoryBytes, raw.MemUsage);
    assert.equal(s!.memoryLimitBytes, 64 * mib);
    assert.ok(waits.length === 1 && waits[0]! >= 1000, `waited ${waits.join(', ')} ms`);
    assert.deepEqual(asked, [['fx-web', 'fx-oom'], [raw.ContainerID]]);
  });

  void it('never reports podman’s since-start figure of a young container (234 % of a core after a start-up burst)', async () => {
    // started a fraction of a second ago: podman averages its start-up burst over that fraction
    const young: LibpodStatsReport = {
      ...report,
      Stats: [{ ...report.Stats!.find((r) => r.Name === 'fx-web')!, CPU: 234 }],
    };
    const { client: c } = advancing(young, 1000, 100);
    const [s] = await new StatsSampler(c, async () => undefined).sample(['fx-web']);
    assert.equal(s!.cpuPercent, 10);
  });

  void it('computes CPU between samples as podman stats does', () => {
    const sampler = new StatsSampler(client);
    const base = report.Stats!.find((r) => r.Name === 'fx-web')!;
    assert.equal(sampler.cpuPercent(base), null);
    const later: LibpodStats = {
      ...base,
      CPUNano: base.CPUNano + 250_000_000,
      SystemNano: base.SystemNano + 1e9,
    };
    assert.equal(sampler.cpuPercent(later), 25);
  });

  void it('repeats the last figure for a sample under a second after the baseline, keeping the baseline', () => {
    const sampler = new StatsSampler(client);
    const base = report.Stats!.find((r) => r.Name === 'fx-web')!;
    sampler.cpuPercent(base);
    const at = (ms: number, cpuMs: number): LibpodStats => ({
      ...base,
      CPUNano: base.CPUNano + cpuMs * 1e6,
      SystemNano: base.SystemNano + ms * 1e6,
    });
    assert.equal(sampler.cpuPercent(at(2000, 200)), 10);
    // 50 ms later the container ran a whole 20 ms burst: 40 % over that window, 10 % really
    assert.equal(sampler.cpuPercent(at(2050, 220)), 10);
    // the next window starts at the 2 s sample, not at the short one
    assert.equal(sampler.cpuPercent(at(3000, 300)), 10);
  });

  void it('gives a second reader under a second after a first sample no rate either, keeping the baseline', () => {
    const sampler = new StatsSampler(client);
    const base = report.Stats!.find((r) => r.Name === 'fx-web')!;
    const at = (ms: number, cpuMs: number): LibpodStats => ({
      ...base,
      CPUNano: base.CPUNano + cpuMs * 1e6,
      SystemNano: base.SystemNano + ms * 1e6,
    });
    assert.equal(sampler.cpuPercent(base), null);
    // 50 ms after the first sample, a 20 ms burst: 40 % over that window, no rate yet
    assert.equal(sampler.cpuPercent(at(50, 20)), null);
    assert.equal(sampler.cpuPercent(at(1000, 100)), 10);
  });

  void it('reports a missing container as an EngineError', async () => {
    const missing = { json: async () => ({ Error: {}, Stats: null }) } as unknown as LibpodClient;
    await assert.rejects(new StatsSampler(missing).sample(['nope']), /could not read stats for nope/);
  });
});

void describe('create spec and images', () => {
  void it('builds a SpecGenerator with init, limits that OOM-kill, and ports left for podman to pick', () => {
    const gen = toSpecGenerator({
      name: 'a',
      image: 'img',
      command: ['/bin/app'],
      args: ['--port', '8080'],
      env: { A: '1' },
      labels: { l: 'v' },
      ports: [{ containerPort: 8080, hostIp: '127.0.0.1', hostPort: 0 }],
      cpu: 0.5,
      memoryMiB: 16,
      user: '1000:1000',
      workingDir: '/app',
    });
    assert.equal(gen.init, true);
    assert.deepEqual(gen.entrypoint, ['/bin/app']);
    assert.deepEqual(gen.command, ['--port', '8080']);
    assert.deepEqual(gen.resource_limits, {
      memory: { limit: 16 * mib, swap: 16 * mib },
      cpu: { quota: 50_000, period: 100_000 },
    });
    assert.deepEqual(gen.portmappings, [
      { host_ip: '127.0.0.1', host_port: 0, container_port: 8080, protocol: 'tcp' },
    ]);
    assert.equal(gen.user, '1000:1000');
    assert.equal(gen.Networks, undefined);
    assert.deepEqual(
      toSpecGenerator({ name: 'b', image: 'i', env: {}, labels: {}, ports: [] }, 'net1').Networks,
      { net1: {} },
    );
  });

  void it('takes the image digest from its repo digests, else its id', () => {
    const image = json<LibpodImage>('image-busybox.json');
    assert.equal(imageDigest(image), image.Digest);
    assert.equal(toImageInfo(image).user, '');
    assert.equal(imageDigest({ Id: 'abc', RepoDigests: [] }), 'sha256:abc');
    assert.equal(imageDigest({ Id: 'abc', RepoDigests: ['r/x@sha256:def'] }), 'sha256:def');
    assert.deepEqual(
      toImageInfo({ Id: 'x', Config: { ExposedPorts: { '8080/tcp': {}, '53/udp': {} } } }).exposedPorts,
      [53, 8080],
    );
  });
});
