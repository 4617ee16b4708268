/** `berth services placement-preview` against a real Berth. */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { platformCli } from './platform-support';

interface Preview {
  items: { cluster: string; replicas: number; current: number; reason: string | null }[];
  placement: { clusters: unknown; division: string };
  refused: string | null;
}

describe('berth services placement-preview', () => {
  const cli = platformCli({
    dirPrefix: 'berth-cli-placement-',
    server: { BERTH_GATEWAY_LISTEN: 'off' },
    setup: 'project',
  });
  const { dir, berth, json, file } = cli;
  /** `berth services placement-preview hello -p web …`, as text or as its `-o json` answer. */
  const preview = (...args: string[]) =>
    berth(['services', 'placement-preview', 'hello', '-p', 'web', ...args]);
  const previewJson = (...args: string[]) =>
    json<Preview>(['services', 'placement-preview', 'hello', '-p', 'web', ...args]);

  before(async () => {
    await cli.createSleeper('hello', 1);
  });

  it('shows the division per cluster with the service’s own placement, or a what-if count', async () => {
    const own = await previewJson();
    assert.deepEqual(
      own.items.map((i) => [i.cluster, i.replicas]),
      [['local', 1]],
    );
    assert.deepEqual(own.placement, { clusters: [{ name: 'local', weight: 1 }], division: 'weighted' });
    const table = await preview('--replicas', '4');
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, /CLUSTER\s+REPLICAS\s+CURRENT\s+REASON/);
    assert.match(table.out, /^local\s+4\s+\d+/m);
  });

  it('takes --placement as inline JSON or a file, and checks it before sending', async () => {
    const inline = await previewJson(
      '--replicas',
      '3',
      '--placement',
      '{"clusters": "all", "division": "duplicated"}',
    );
    assert.deepEqual(inline.placement, { clusters: 'all', division: 'duplicated' });
    assert.deepEqual(
      inline.items.map((i) => [i.cluster, i.replicas]),
      [['local', 3]],
    );
    const placementFile = file(
      'placement.json',
      JSON.stringify({ clusters: [{ name: 'local', weight: 5 }], minPerCluster: 1 }),
    );
    const fromFile = await previewJson('--placement', placementFile);
    assert.deepEqual(fromFile.placement, {
      clusters: [{ name: 'local', weight: 5 }],
      division: 'weighted',
      minPerCluster: 1,
    });

    const badWeight = await preview('--placement', '{"clusters": [{"name": "local", "weight": 0}]}');
    assert.notEqual(badWeight.code, 0);
    assert.match(badWeight.err, /clusters\.0\.weight.*must be 1 to 1000/);
    const badJson = await preview('--placement', '{clusters');
    assert.notEqual(badJson.code, 0);
    assert.match(badJson.err, /--placement is not valid JSON/);
    const missing = await preview('--placement', path.join(dir, 'nope.json'));
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /cannot read/);
    const badCount = await preview('--replicas', 'many');
    assert.equal(badCount.code, 2);
    assert.match(badCount.err, /--replicas must be a whole number/);
  });

  it('reports the server’s refusal: a cluster that does not exist, a service that does not', async () => {
    const r = await preview('--placement', '{"clusters": [{"name": "dc9", "weight": 1}]}');
    assert.notEqual(r.code, 0);
    assert.match(r.err, /cluster "dc9" does not exist/);
    const none = await berth(['services', 'placement-preview', 'ghost', '-p', 'web']);
    assert.notEqual(none.code, 0);
    assert.match(none.err, /ghost/);
  });
});
