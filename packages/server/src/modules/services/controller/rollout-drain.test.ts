import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideDrain, type GatewayView } from './rollout-drain';

const t0 = Date.parse('2026-01-01T00:00:00.000Z');
const leftAt = new Date(t0).toISOString();
const gone = { addresses: ['127.0.0.1:4001'], leftAt, gates: {} };

function gw(installedRevision: number | null, listed: string[], nodes: [string, number | null, boolean?][]) {
  return {
    id: 'g1',
    name: 'edge',
    installedRevision,
    installedAddresses: new Set(listed),
    nodes: nodes.map(([name, appliedRevision, online]) => ({
      name,
      appliedRevision,
      online: online ?? true,
    })),
  } satisfies GatewayView;
}

describe('decideDrain', () => {
  it('confirms at once when the environment has no gateway', () => {
    const d = decideDrain(gone, [], t0, 30_000);
    assert.equal(d.outcome, 'confirmed');
    assert.deepEqual(d.pending, []);
  });

  it('waits while the installed endpoints still list the container', () => {
    const d = decideDrain(gone, [gw(7, ['127.0.0.1:4001'], [['local', 7]])], t0 + 1000, 30_000);
    assert.equal(d.outcome, 'waiting');
    assert.equal(d.gatesChanged, false);
    assert.match(d.pending[0]!, /edge\/local \(removal not yet published\)/);
  });

  it('records the first revision without the container and waits for the slow node', () => {
    const d = decideDrain(
      gone,
      [
        gw(
          8,
          ['127.0.0.1:4002'],
          [
            ['local', 8],
            ['slow', 7],
          ],
        ),
      ],
      t0,
      30_000,
    );
    assert.deepEqual(d.gates, { g1: 8 });
    assert.equal(d.gatesChanged, true);
    assert.equal(d.outcome, 'waiting');
    assert.deepEqual(d.pending, ['edge/slow (runs 7, needs 8)']);
  });

  it('keeps the recorded gate when newer revisions come (a slow node is not chased)', () => {
    const c = { ...gone, gates: { g1: 8 } };
    const d = decideDrain(
      c,
      [
        gw(
          12,
          [],
          [
            ['local', 12],
            ['slow', 9],
          ],
        ),
      ],
      t0,
      30_000,
    );
    assert.deepEqual(d.gates, { g1: 8 });
    assert.equal(d.gatesChanged, false);
    assert.equal(d.outcome, 'confirmed');
  });

  it('an offline node or one that never applied does not confirm; the bound ends the wait', () => {
    const c = { ...gone, gates: { g1: 8 } };
    const view = gw(
      8,
      [],
      [
        ['a', 9, false],
        ['b', null],
      ],
    );
    const d = decideDrain(c, [view], t0 + 29_999, 30_000);
    assert.equal(d.outcome, 'waiting');
    assert.deepEqual(d.pending, ['edge/a (offline)', 'edge/b (runs nothing, needs 8)']);
    assert.equal(decideDrain(c, [view], t0 + 30_000, 30_000).outcome, 'timeout');
  });

  it('needs every gateway of the environment', () => {
    const other = { ...gw(3, ['127.0.0.1:4001'], [['x', 3]]), id: 'g2', name: 'other' };
    const d = decideDrain(gone, [gw(8, [], [['local', 8]]), other], t0, 30_000);
    assert.equal(d.outcome, 'waiting');
    assert.deepEqual(d.gates, { g1: 8 });
    assert.deepEqual(d.pending, ['other/x (removal not yet published)']);
  });

  it('a container without published ports confirms at once', () => {
    const d = decideDrain({ ...gone, addresses: [] }, [gw(8, [], [['slow', 1]])], t0, 30_000);
    assert.equal(d.outcome, 'confirmed');
  });

  it('a gateway without nodes confirms once published', () => {
    assert.equal(decideDrain(gone, [gw(2, [], [])], t0, 30_000).outcome, 'confirmed');
  });
});
