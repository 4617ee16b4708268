import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidError } from '@berth/shared';
import { parseSince } from '../src/modules/containers/container-params';
import { byTime, collectLines, formatLines } from '../src/modules/containers/log-lines';
import { renderMetrics } from '../src/modules/containers/metrics';
import {
  escapeHelp,
  escapeLabelValue,
  formatValue,
  renderFamilies,
} from '../src/modules/containers/prometheus-text';

const sample = {
  at: '2025-01-01T00:00:00.000Z',
  container: 'web-1',
  cpuPercent: 12.5,
  memoryBytes: 1048576,
  memoryLimitBytes: 33554432,
  netRxBytes: 100,
  netTxBytes: 200,
  blockReadBytes: 300,
  blockWriteBytes: 400,
};

describe('Prometheus text format', () => {
  it('escapes backslash, quote and newline in label values, and backslash and newline in HELP', () => {
    assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
    assert.equal(escapeHelp('x\\y\n"z"'), 'x\\\\y\\n"z"');
  });

  it('spells special values the way Prometheus parses them', () => {
    assert.equal(formatValue(NaN), 'NaN');
    assert.equal(formatValue(Infinity), '+Inf');
    assert.equal(formatValue(-Infinity), '-Inf');
    assert.equal(formatValue(1.5), '1.5');
    assert.equal(formatValue(0), '0');
  });

  it('writes HELP and TYPE for a family without samples and ends with a line feed', () => {
    const text = renderFamilies([{ name: 'm', help: 'h', type: 'gauge', samples: [] }]);
    assert.equal(text, '# HELP m h\n# TYPE m gauge\n');
  });

  it('renders every container metric with its labels and the replica gauges', () => {
    const text = renderMetrics({
      services: [{ id: 's1', project: 'shop', env: 'test', name: 'we"b', desired: 3, ready: 2 }],
      samples: [
        { serviceId: 's1', release: 4, cluster: 'dc1-a', sample },
        { serviceId: 'gone', release: 1, cluster: 'local', sample: { ...sample, container: 'x' } },
      ],
    });
    const labels = 'project="shop",env="test",service="we\\"b",container="web-1",release="4",cluster="dc1-a"';
    assert.match(text, /^# HELP berth_container_cpu_percent .+\n# TYPE berth_container_cpu_percent gauge\n/);
    for (const [name, type, value] of [
      ['berth_container_cpu_percent', 'gauge', '12.5'],
      ['berth_container_memory_bytes', 'gauge', '1048576'],
      ['berth_container_memory_limit_bytes', 'gauge', '33554432'],
      ['berth_container_network_receive_bytes_total', 'counter', '100'],
      ['berth_container_network_transmit_bytes_total', 'counter', '200'],
      ['berth_container_block_read_bytes_total', 'counter', '300'],
      ['berth_container_block_write_bytes_total', 'counter', '400'],
    ]) {
      assert.ok(text.includes(`# TYPE ${name} ${type}\n`), `${name} has TYPE ${type}`);
      assert.ok(text.includes(`\n${name}{${labels}} ${value}\n`), `${name} sample`);
    }
    assert.ok(
      text.includes('\nberth_service_replicas_desired{project="shop",env="test",service="we\\"b"} 3\n'),
    );
    assert.ok(
      text.includes('\nberth_service_replicas_ready{project="shop",env="test",service="we\\"b"} 2\n'),
    );
    assert.ok(!text.includes('container="x"'), 'samples of unknown services are left out');
    for (const line of text.trimEnd().split('\n')) {
      assert.match(line, /^(# (HELP|TYPE) \w+ .+|\w+\{[^}]*\} \S+)$/, `well-formed line: ${line}`);
    }
  });
});

describe('log since', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');

  it('takes relative durations before now, combined units included', () => {
    assert.equal(parseSince('10m', now), '2025-06-01T11:50:00.000Z');
    assert.equal(parseSince('1h30m', now), '2025-06-01T10:30:00.000Z');
    assert.equal(parseSince('2d', now), '2025-05-30T12:00:00.000Z');
    assert.equal(parseSince('1500ms', now), '2025-06-01T11:59:58.500Z');
  });

  it('takes RFC 3339 with any offset and normalises it to UTC', () => {
    assert.equal(parseSince('2025-06-01T14:00:00+02:00', now), '2025-06-01T12:00:00.000Z');
    assert.equal(parseSince('2025-06-01T12:00:00.5Z', now), '2025-06-01T12:00:00.500Z');
  });

  it('rejects anything else with a 400 naming the parameter', () => {
    for (const bad of ['yesterday', '10', '10 m', '-5m', '2025-06-01', '1y', '400d', '']) {
      assert.throws(
        () => parseSince(bad, now),
        (err: unknown) => err instanceof InvalidError && err.status === 400 && /since/.test(err.message),
        bad,
      );
    }
  });
});

describe('log lines', () => {
  it('orders lines of several containers by time, nanoseconds and offsets included', () => {
    const lines = [
      { stream: 'stdout' as const, at: '2025-01-01T00:00:00.000000300Z', text: 'c' },
      { stream: 'stdout' as const, at: '2025-01-01T01:00:00.000000100+01:00', text: 'a' },
      { stream: 'stderr' as const, at: '2025-01-01T00:00:00.000000200Z', text: 'b' },
      { stream: 'stdout' as const, at: '2024-12-31T23:59:59Z', text: 'first' },
    ];
    assert.deepEqual(
      byTime(lines).map((l) => l.text),
      ['first', 'a', 'b', 'c'],
    );
  });

  it('keeps the last lines when the engine sends more than asked', async () => {
    async function* many() {
      for (let i = 0; i < 25; i++)
        yield { stream: 'stdout' as const, at: '2025-01-01T00:00:00Z', text: String(i) };
    }
    const kept = await collectLines(many(), 10);
    assert.deepEqual(
      kept.map((l) => l.text),
      ['15', '16', '17', '18', '19', '20', '21', '22', '23', '24'],
    );
  });

  it('formats a download with time, stream and container', () => {
    const text = formatLines([
      { stream: 'stderr', at: '2025-01-01T00:00:00Z', text: 'boom\n', container: 'web-1' },
    ]);
    assert.equal(text, '2025-01-01T00:00:00Z stderr web-1 boom\n');
  });
});
