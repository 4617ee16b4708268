import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StatsSample } from '@berth/shared';
import { auditTime } from '../src/commands/audit';
import { cookieHeader, tokenName } from '../src/commands/auth';
import { latestSamples } from '../src/commands/containers';
import { parseScope } from '../src/commands/identity';
import { checkSince, formatLogLine } from '../src/commands/streams';
import { UsageError } from '../src/errors';

test('tokenName is a DNS label of at most 63 characters built from host and time', () => {
  const at = new Date('2025-01-31T12:34:56.789Z');
  assert.equal(tokenName('MyLaptop.local', at), 'cli-mylaptop-local-20250131123456');
  const long = tokenName('x'.repeat(100), at);
  assert.ok(long.length <= 63, long);
  assert.match(long, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  assert.equal(tokenName('___', at), 'cli-20250131123456');
});

test('cookieHeader keeps only the name=value pairs of Set-Cookie headers', () => {
  assert.equal(
    cookieHeader(['berth_session=abc; Path=/; HttpOnly', 'other=1; Max-Age=5']),
    'berth_session=abc; other=1',
  );
  assert.equal(cookieHeader([]), '');
});

test('auditTime turns durations into RFC 3339 and passes RFC 3339 through', () => {
  const now = Date.parse('2025-01-31T12:00:00Z');
  assert.equal(auditTime('90m', '--since', now), '2025-01-31T10:30:00.000Z');
  assert.equal(auditTime('1h30m', '--since', now), '2025-01-31T10:30:00.000Z');
  assert.equal(auditTime('2025-01-01T00:00:00Z', '--since', now), '2025-01-01T00:00:00Z');
  assert.throws(
    () => auditTime('yesterday', '--since', now),
    (e: unknown) => e instanceof UsageError && /--since: "yesterday"/.test(e.message),
  );
});

test('checkSince accepts durations and RFC 3339 only', () => {
  assert.equal(checkSince('10m'), '10m');
  assert.equal(checkSince('2025-01-31T12:00:00+08:00'), '2025-01-31T12:00:00+08:00');
  assert.throws(() => checkSince('10 minutes'), UsageError);
});

test('formatLogLine tags service-level lines with the container and adds one newline', () => {
  const line = { stream: 'stdout' as const, at: '2025-01-31T12:00:00Z', text: 'hello' };
  assert.equal(formatLogLine(line, false), 'hello\n');
  assert.equal(formatLogLine({ ...line, container: 'web-1' }, true), '[web-1] 2025-01-31T12:00:00Z hello\n');
  assert.equal(formatLogLine({ ...line, text: 'done\n' }, false), 'done\n');
});

test('latestSamples keeps the newest sample of each container', () => {
  const s = (container: string, at: string, cpuPercent: number): StatsSample => ({
    at,
    container,
    cpuPercent,
    memoryBytes: 0,
    memoryLimitBytes: 0,
    netRxBytes: 0,
    netTxBytes: 0,
    blockReadBytes: 0,
    blockWriteBytes: 0,
  });
  const latest = latestSamples([
    s('b', '2025-01-31T12:00:10Z', 2),
    s('a', '2025-01-31T12:00:00Z', 1),
    s('b', '2025-01-31T12:00:00Z', 9),
  ]);
  assert.deepEqual(
    latest.map((x) => [x.container, x.cpuPercent]),
    [
      ['a', 1],
      ['b', 2],
    ],
  );
});

test('parseScope splits kind and name for the shared binding schema', () => {
  assert.deepEqual(parseScope('platform'), { kind: 'platform' });
  assert.deepEqual(parseScope('team:shop'), { kind: 'team', name: 'shop' });
  assert.deepEqual(parseScope('project:web'), { kind: 'project', name: 'web' });
});
