import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigStore, configPath, normalizeUrl, resolveConnection } from '../src/config-store';
import { CliError } from '../src/errors';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-cli-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('save writes the config with mode 0600 in a 0700 directory, even over a 0644 file', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'nested', 'config.json');
  await mkdir(path.dirname(file), { mode: 0o700 });
  await writeFile(file, '{}', { mode: 0o644 });
  const store = new ConfigStore(file);
  await store.save({ url: 'http://127.0.0.1:7080', token: 'secret-token', user: 'admin' });
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.deepEqual(await store.load(), {
    url: 'http://127.0.0.1:7080',
    token: 'secret-token',
    user: 'admin',
  });
});

test('save creates missing directories with mode 0700', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'a', 'berth', 'config.json');
  await new ConfigStore(file).save({ url: 'http://h', token: 't' });
  assert.equal((await stat(path.dirname(file))).mode & 0o777, 0o700);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
});

test('load returns null without a file, and fails clearly on a broken one', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'config.json');
  assert.equal(await new ConfigStore(file).load(), null);
  await writeFile(file, 'not json');
  await assert.rejects(
    new ConfigStore(file).load(),
    (e: unknown) => e instanceof CliError && /not valid JSON/.test(e.message),
  );
  await writeFile(file, '{"url":"http://h"}');
  await assert.rejects(new ConfigStore(file).load(), /lacks "url" or "token"/);
});

test('clear removes the file', async (t) => {
  const dir = await tempDir(t);
  const store = new ConfigStore(path.join(dir, 'config.json'));
  await store.save({ url: 'http://h', token: 't' });
  assert.equal(await store.clear(), true);
  await assert.rejects(readFile(store.file), /ENOENT/);
  assert.equal(await store.clear(), false);
});

test('configPath: BERTH_CLI_CONFIG, then XDG_CONFIG_HOME, then ~/.config', () => {
  assert.equal(configPath({ BERTH_CLI_CONFIG: '/x/c.json', HOME: '/home/u' }), '/x/c.json');
  assert.equal(configPath({ XDG_CONFIG_HOME: '/xdg', HOME: '/home/u' }), '/xdg/berth/config.json');
  assert.equal(configPath({ HOME: '/home/u' }), '/home/u/.config/berth/config.json');
});

test('BERTH_URL and BERTH_TOKEN override the stored config', () => {
  const stored = { url: 'http://stored:1', token: 'stored-token' };
  assert.deepEqual(resolveConnection(stored, {}, '/f'), {
    url: 'http://stored:1',
    token: 'stored-token',
    source: '/f',
  });
  const both = resolveConnection(stored, { BERTH_URL: 'http://env:2/', BERTH_TOKEN: 'env-token' }, '/f');
  assert.deepEqual(both, { url: 'http://env:2', token: 'env-token', source: 'BERTH_URL/BERTH_TOKEN' });
  assert.equal(resolveConnection(stored, { BERTH_TOKEN: 'env-token' }, '/f').url, 'http://stored:1');
  assert.equal(resolveConnection(null, {}, '/f').token, undefined);
});

test('normalizeUrl accepts http(s) only and strips trailing slashes', () => {
  assert.equal(normalizeUrl('http://127.0.0.1:7080/'), 'http://127.0.0.1:7080');
  assert.equal(normalizeUrl('https://berth.example.com/base/'), 'https://berth.example.com/base');
  assert.throws(() => normalizeUrl('ftp://x'), /must start with http/);
  assert.throws(() => normalizeUrl('not a url'), /is not a URL/);
  assert.throws(() => normalizeUrl('http://u:p@h'), /credentials/);
});
