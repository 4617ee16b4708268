import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, parseInteger, splitCommandWords, type OptionSpec } from '../src/args';
import { UsageError } from '../src/errors';

const specs: OptionSpec[] = [
  { name: 'image', kind: 'string', description: '' },
  { name: 'port', kind: 'list', description: '' },
  { name: 'command', kind: 'list', description: '' },
  { name: 'interactive', short: 'i', kind: 'boolean', description: '' },
  { name: 'tty', short: 't', kind: 'boolean', description: '' },
  { name: 'output', short: 'o', kind: 'string', description: '' },
  { name: 'wait', kind: 'boolean', negatable: true, description: '' },
];

test('long options take values with a space or =, lists repeat, positionals stay in order', () => {
  const a = parseArgs(['web', '--image', 'app:1', '--port=8080', '--port', '9090', 'extra'], specs);
  assert.deepEqual(a.positionals, ['web', 'extra']);
  assert.equal(a.string('image'), 'app:1');
  assert.deepEqual(a.list('port'), ['8080', '9090']);
  assert.equal(a.rest, null);
});

test('a value is taken as is even when it starts with a dash', () => {
  const a = parseArgs(['--command', 'sh', '--command', '-c', '--command', 'echo hi'], specs);
  assert.deepEqual(a.list('command'), ['sh', '-c', 'echo hi']);
});

test('short boolean clusters, attached short values and -o json', () => {
  const a = parseArgs(['-it', '-ojson'], specs);
  assert.equal(a.bool('interactive'), true);
  assert.equal(a.bool('tty'), true);
  assert.equal(a.string('output'), 'json');
  assert.equal(parseArgs(['-o', 'json'], specs).string('output'), 'json');
});

test('-- ends options and keeps the rest apart', () => {
  const a = parseArgs(['web', '-i', '--', 'sh', '-c', '--image'], specs);
  assert.deepEqual(a.positionals, ['web']);
  assert.deepEqual(a.rest, ['sh', '-c', '--image']);
  assert.equal(a.has('image'), false);
  assert.deepEqual(a.withRestAsPositionals().positionals, ['web', 'sh', '-c', '--image']);
});

test('--no-wait negates a negatable boolean; absent booleans use the fallback', () => {
  assert.equal(parseArgs(['--no-wait'], specs).bool('wait', true), false);
  assert.equal(parseArgs([], specs).bool('wait', true), true);
  assert.throws(() => parseArgs(['--no-tty'], specs), /unknown option --no-tty/);
});

test('unknown options, missing values and values for booleans are usage errors', () => {
  assert.throws(
    () => parseArgs(['--imgae', 'x'], specs),
    (e: unknown) => e instanceof UsageError && e.exitCode === 2 && /unknown option --imgae/.test(e.message),
  );
  assert.throws(() => parseArgs(['-x'], specs), /unknown option -x/);
  assert.throws(() => parseArgs(['--image'], specs), /--image needs a value/);
  assert.throws(() => parseArgs(['-o'], specs), /-o needs a value/);
  assert.throws(() => parseArgs(['--tty=yes'], specs), /--tty takes no value/);
});

test('a lone dash is a positional', () => {
  assert.deepEqual(parseArgs(['-'], specs).positionals, ['-']);
});

test('splitCommandWords skips the values of global options', () => {
  const globals: OptionSpec[] = [
    { name: 'project', short: 'p', kind: 'string', description: '' },
    { name: 'output', short: 'o', kind: 'string', description: '' },
  ];
  const r = splitCommandWords(['-p', 'shop', '-o', 'json', 'services', 'list', '--limit', '5'], globals, 2);
  assert.deepEqual(r.words, ['services', 'list']);
  assert.deepEqual(r.argv, ['-p', 'shop', '-o', 'json', '--limit', '5']);
  const one = splitCommandWords(['scale', 'web', '3'], globals, 1);
  assert.deepEqual(one.words, ['scale']);
  assert.deepEqual(one.argv, ['web', '3']);
  assert.deepEqual(splitCommandWords(['exec', '--', 'sh'], globals, 2).words, ['exec']);
});

test('parseInteger names the flag and the range', () => {
  assert.equal(parseInteger('3', '--replicas', 0, 100), 3);
  assert.throws(
    () => parseInteger('three', '--replicas', 0, 100),
    /--replicas must be a whole number, got "three"/,
  );
  assert.throws(() => parseInteger('1.5', '--replicas', 0, 100), /whole number/);
  assert.throws(() => parseInteger('101', '--replicas', 0, 100), /between 0 and 100, got 101/);
});
