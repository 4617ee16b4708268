/**
 * `berth fleet moves` against a real Berth on the local Podman: nothing moving is one sentence (and
 * `{"items": []}` as JSON); a service whose replica no cluster can take (its only cluster, `local`,
 * cordoned) is listed with its counts, the unplaced replica and the placer's note, and leaves the
 * list once `local` is uncordoned and the replica runs.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PlacementMove } from '@berth/shared';
import { eventually } from '../../server/test/helpers/platform';
import { platformCli } from './platform-support';

describe('berth fleet moves', () => {
  const { berth, json } = platformCli({
    dirPrefix: 'berth-cli-fleet-',
    server: { BERTH_GATEWAY_LISTEN: 'off' },
    setup: 'project',
  });
  const moves = () => json<{ items: PlacementMove[] }>(['fleet', 'moves']);

  it('says that nothing moves, as text and as JSON', async () => {
    const text = await berth(['fleet', 'moves']);
    assert.equal(text.code, 0, text.err);
    assert.equal(text.out, '');
    assert.equal(text.err, 'No replicas are moving.\n');
    const asJson = await berth(['fleet', 'moves', '-o', 'json']);
    assert.equal(asJson.code, 0, asJson.err);
    assert.deepEqual(JSON.parse(asJson.out), { items: [] });
    const extra = await berth(['fleet', 'moves', 'web']);
    assert.equal(extra.code, 2, 'no positional arguments');
  });

  it('lists a service whose replica no cluster can take, until it runs', async () => {
    assert.equal((await berth(['clusters', 'cordon', 'local'])).code, 0);
    try {
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
      const listed = await eventually(
        async () => (await moves()).items.find((m) => m.project === 'web' && m.service === 'hello'),
        'hello listed as moving',
      );
      assert.equal(listed.env, 'test');
      assert.equal(listed.unplaced, 1);
      assert.deepEqual(listed.failedOver, []);
      assert.equal(listed.current.local ?? 0, 0);
      assert.ok(
        listed.notes.some((n) => n.startsWith('local: cordoned')),
        JSON.stringify(listed.notes),
      );

      const table = await berth(['fleet', 'moves']);
      assert.equal(table.code, 0, table.err);
      const [header, row, ...rest] = table.out.trimEnd().split('\n');
      assert.match(
        header!,
        /^SERVICE\s+ENV\s+REPLICAS \(NOW→WANTED\)\s+FAILED OVER\s+UNPLACED\s+SINCE\s+NOTES$/,
      );
      assert.deepEqual(rest, [], table.out);
      assert.match(row!, /^web\/hello\s+test\s+local 0→0\s+-\s+1\s+\d+s\s+local: cordoned/);
    } finally {
      assert.equal((await berth(['clusters', 'uncordon', 'local'])).code, 0);
    }
    // local takes the replica: settled, the service leaves the list
    await eventually(
      async () => (await moves()).items.length === 0,
      'the list empty once the replica runs',
      120_000,
    );
    const text = await berth(['fleet', 'moves']);
    assert.equal(text.err, 'No replicas are moving.\n');
  });
});
