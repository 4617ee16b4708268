/**
 * `berth fleet moves` against a real Berth on the local Podman: nothing moving is one sentence (and
 * `{"items": []}` as JSON); a service whose replica no cluster can take (its only cluster, `local`,
 * cordoned) is listed with its counts, the unplaced replica and the placer's note, and leaves the
 * list once `local` is uncordoned and the replica runs. The filters (--project, --env, --cluster)
 * keep it or leave it out, and a bad or unregistered name is refused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PlacementMove } from '@berth/shared';
import { eventually } from '../../server/test/helpers/platform';
import { platformCli } from './platform-support';

describe('berth fleet moves', () => {
  const cli = platformCli({
    dirPrefix: 'berth-cli-fleet-',
    server: { BERTH_GATEWAY_LISTEN: 'off' },
    setup: 'project',
  });
  const { berth, json } = cli;
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
    const filtered = await berth(['fleet', 'moves', '--project', 'web', '-e', 'test', '--cluster', 'local']);
    assert.equal(filtered.code, 0, filtered.err);
    assert.equal(filtered.err, 'No replicas are moving (project web, env test, cluster local).\n');
  });

  it('refuses a bad filter before asking, and an unregistered cluster as the API does', async () => {
    const bad = await berth(['fleet', 'moves', '--project', 'Web']);
    assert.equal(bad.code, 2, bad.err);
    assert.match(bad.err, /--project: "Web" must be a DNS label/);
    assert.match(bad.err, /berth fleet moves \[--project P\] \[--env E\] \[--cluster C\]/);
    const badCluster = await berth(['fleet', 'moves', '--cluster', 'x'.repeat(41)]);
    assert.equal(badCluster.code, 2, badCluster.err);
    assert.match(badCluster.err, /--cluster: "x+" must be at most 40 characters/);
    const unknown = await berth(['fleet', 'moves', '--cluster', 'nowhere']);
    assert.equal(unknown.code, 1, unknown.err);
    assert.match(unknown.err, /no cluster 'nowhere' is registered; the registered clusters are local/);
  });

  it('lists a service whose replica no cluster can take, until it runs', async () => {
    assert.equal((await berth(['clusters', 'cordon', 'local'])).code, 0);
    try {
      await cli.createSleeper('hello', 1);
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

      // the filters: the project, the environment and the cluster it waits for keep it; others do not
      const only = async (...flags: string[]) =>
        (await json<{ items: PlacementMove[] }>(['fleet', 'moves', ...flags])).items.map((m) => m.service);
      assert.deepEqual(await only('--project', 'web', '--env', 'test', '--cluster', 'local'), ['hello']);
      assert.deepEqual(await only('-p', 'web'), ['hello']);
      assert.deepEqual(await only('--project', 'other'), []);
      assert.deepEqual(await only('--env', 'prod'), []);
      const elsewhere = await berth(['fleet', 'moves', '-p', 'web', '-e', 'prod']);
      assert.equal(elsewhere.code, 0, elsewhere.err);
      assert.equal(elsewhere.out, '');
      assert.equal(elsewhere.err, 'No replicas are moving (project web, env prod).\n');
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
