import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAge, formatBytes, renderFields, renderTable, sanitize } from '../src/output';

interface Row {
  name: string;
  ready: number;
  image: string | null;
}

test('renderTable aligns columns, right-aligns numbers on request, shows - for empty cells', () => {
  const rows: Row[] = [
    { name: 'web', ready: 3, image: 'app:1' },
    { name: 'worker-long', ready: 12, image: null },
  ];
  const text = renderTable(rows, [
    { header: 'NAME', value: (r) => r.name },
    { header: 'READY', value: (r) => r.ready, align: 'right' },
    { header: 'IMAGE', value: (r) => r.image },
  ]);
  assert.equal(
    text,
    ['NAME         READY  IMAGE', 'web              3  app:1', 'worker-long     12  -', ''].join('\n'),
  );
});

test('renderTable returns nothing for no rows', () => {
  assert.equal(renderTable([], [{ header: 'NAME', value: () => 'x' }]), '');
});

test('control characters from the server cannot reach the terminal', () => {
  assert.equal(sanitize('ok\u001b[31mred\u0007'), 'ok?[31mred?');
  const text = renderTable([{ m: 'a\nb' }], [{ header: 'M', value: (r) => r.m }]);
  assert.equal(text, 'M\na b\n');
});

test('renderFields aligns values', () => {
  assert.equal(
    renderFields([
      ['name', 'web'],
      ['message', null],
    ]),
    'name:    web\nmessage: -\n',
  );
});

test('formatAge and formatBytes', () => {
  const now = Date.parse('2025-01-31T12:00:00Z');
  assert.equal(formatAge('2025-01-31T11:59:30Z', now), '30s');
  assert.equal(formatAge('2025-01-31T11:30:00Z', now), '30m');
  assert.equal(formatAge('2025-01-31T06:00:00Z', now), '6h');
  assert.equal(formatAge('2025-01-25T12:00:00Z', now), '6d');
  assert.equal(formatAge(null, now), '-');
  assert.equal(formatBytes(512), '512B');
  assert.equal(formatBytes(1536), '1.5KiB');
  assert.equal(formatBytes(128 * 1024 * 1024), '128.0MiB');
});
