/** `berth services placement-preview` against a real Berth. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cliRunner } from './test-support';
import { adminPassword, startPlatform, type TestPlatform } from '../../server/test/helpers/platform';

interface Preview {
  items: { cluster: string; replicas: number; current: number; reason: string | null }[];
  placement: { clusters: unknown; division: string };
  refused: string | null;
}

describe('berth services placement-preview', () => {
  let p: TestPlatform;
  let env: Record<string, string>;
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-cli-placement-'));
  const { berth, json } = cliRunner(() => env);

  before(async () => {
    p = await startPlatform({ BERTH_GATEWAY_LISTEN: 'off' });
    env = { BERTH_CLI_CONFIG: path.join(dir, 'config.json'), HOME: dir };
    const login = await berth(
      ['login', p.url, '--username', 'admin', '--password-stdin'],
      `${adminPassword}\n`,
    );
    assert.equal(login.code, 0, login.err);
    assert.equal((await berth(['teams', 'create', 'shop'])).code, 0);
    assert.equal((await berth(['projects', 'create', 'web', '--team', 'shop'])).code, 0);
    const created = await berth([
      'services',
      'create',
      'hello',
      '-p',
      'web',
      '--no-wait',
      '--image',
      'localhost/berth-busybox:1',
      '--replicas',
      '1',
      '--command',
      'sleep 3600',
    ]);
    assert.equal(created.code, 0, created.err);
  });
  after(async () => {
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the division per cluster with the service’s own placement, or a what-if count', async () => {
    const own = await json<Preview>(['services', 'placement-preview', 'hello', '-p', 'web']);
    assert.deepEqual(
      own.items.map((i) => [i.cluster, i.replicas]),
      [['local', 1]],
    );
    assert.deepEqual(own.placement, { clusters: [{ name: 'local', weight: 1 }], division: 'weighted' });
    const table = await berth(['services', 'placement-preview', 'hello', '-p', 'web', '--replicas', '4']);
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, /CLUSTER\s+REPLICAS\s+CURRENT\s+REASON/);
    assert.match(table.out, /^local\s+4\s+\d+/m);
  });

  it('takes --placement as inline JSON or a file, and checks it before sending', async () => {
    const inline = await json<Preview>([
      'services',
      'placement-preview',
      'hello',
      '-p',
      'web',
      '--replicas',
      '3',
      '--placement',
      '{"clusters": "all", "division": "duplicated"}',
    ]);
    assert.deepEqual(inline.placement, { clusters: 'all', division: 'duplicated' });
    assert.deepEqual(
      inline.items.map((i) => [i.cluster, i.replicas]),
      [['local', 3]],
    );
    const file = path.join(dir, 'placement.json');
    writeFileSync(file, JSON.stringify({ clusters: [{ name: 'local', weight: 5 }], minPerCluster: 1 }));
    const fromFile = await json<Preview>([
      'services',
      'placement-preview',
      'hello',
      '-p',
      'web',
      '--placement',
      file,
    ]);
    assert.deepEqual(fromFile.placement, {
      clusters: [{ name: 'local', weight: 5 }],
      division: 'weighted',
      minPerCluster: 1,
    });

    const badWeight = await berth([
      'services',
      'placement-preview',
      'hello',
      '-p',
      'web',
      '--placement',
      '{"clusters": [{"name": "local", "weight": 0}]}',
    ]);
    assert.notEqual(badWeight.code, 0);
    assert.match(badWeight.err, /clusters\.0\.weight.*must be 1 to 1000/);
    const badJson = await berth([
      'services',
      'placement-preview',
      'hello',
      '-p',
      'web',
      '--placement',
      '{clusters',
    ]);
    assert.notEqual(badJson.code, 0);
    assert.match(badJson.err, /--placement is not valid JSON/);
    const missing = await berth([
      'services',
      'placement-preview',
      'hello',
      '-p',
      'web',
      '--placement',
      path.join(dir, 'nope.json'),
    ]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /cannot read/);
    const badCount = await berth([
      'services',
      'placement-preview',
      'hello',
      '-p',
      'web',
      '--replicas',
      'many',
    ]);
    assert.equal(badCount.code, 2);
    assert.match(badCount.err, /--replicas must be a whole number/);
  });

  it('reports the server’s refusal: a cluster that does not exist, a service that does not', async () => {
    const r = await berth([
      'services',
      'placement-preview',
      'hello',
      '-p',
      'web',
      '--placement',
      '{"clusters": [{"name": "dc9", "weight": 1}]}',
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /cluster "dc9" does not exist/);
    const none = await berth(['services', 'placement-preview', 'ghost', '-p', 'web']);
    assert.notEqual(none.code, 0);
    assert.match(none.err, /ghost/);
  });
});
