import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { movesEn } from './moves-messages';
import { movesZh } from './moves-messages.zh';
import {
  clustersOfMoves,
  filterNames,
  moveClusters,
  moveKey,
  moveServicePath,
  moveText,
  movesApiRoutes,
  movesQuery,
  parseNote,
  type PlacementMove,
} from './moves-view';

const failover: PlacementMove = {
  project: 'shop',
  env: 'test',
  service: 'web',
  targets: { local: 4, c7: 0 },
  current: { local: 2, c7: 2 },
  failedOver: ['c7'],
  notes: ['c7: draining: its replicas move to the other clusters'],
  unplaced: 0,
  since: '2026-12-06T04:00:00.000Z',
  updatedAt: '2026-12-06T04:00:05.000Z',
};

describe('fleet view helpers', () => {
  it('shows each cluster as now → wanted, the failed-over one marked', () => {
    const clusters = moveClusters(failover);
    assert.deepEqual(clusters, [
      { cluster: 'local', current: 2, target: 4, failedOver: false },
      { cluster: 'c7', current: 2, target: 0, failedOver: true },
    ]);
    assert.deepEqual(clusters.map(moveText), ['local 2 → 4', 'c7 2 → 0']);
  });

  it('keeps clusters that only run replicas now, or are only failed over, with 0 for what is absent', () => {
    const clusters = moveClusters({
      ...failover,
      targets: { local: 3 },
      current: { local: 1, old: 2 },
      failedOver: ['gone'],
    });
    assert.deepEqual(
      clusters.map((c) => [moveText(c), c.failedOver]),
      [
        ['local 1 → 3', false],
        ['old 2 → 0', false],
        ['gone 0 → 0', true],
      ],
    );
    // a cluster named twice is listed once
    assert.equal(moveClusters({ ...failover, current: { c7: 1 }, failedOver: ['c7'] }).length, 2);
  });

  it("splits a placer's note into its cluster and the division's reason", () => {
    assert.deepEqual(parseNote('c7: draining: its replicas move to the other clusters'), {
      cluster: 'c7',
      reason: 'draining: its replicas move to the other clusters',
    });
    assert.deepEqual(parseNote('dc-1a: no capacity: only 2 fit'), {
      cluster: 'dc-1a',
      reason: 'no capacity: only 2 fit',
    });
    // a note without a cluster is kept whole
    assert.deepEqual(parseNote('something else happened'), {
      cluster: null,
      reason: 'something else happened',
    });
    assert.deepEqual(parseNote('Not A Cluster: x'), { cluster: null, reason: 'Not A Cluster: x' });
  });

  it("links to the service's page and keys rows by project, environment and service", () => {
    assert.equal(moveServicePath(failover), '/p/shop/test/s/web/overview');
    assert.equal(moveKey(failover), 'shop/test/web');
    assert.notEqual(moveKey(failover), moveKey({ ...failover, project: 'shop2' }));
    assert.deepEqual(Object.values(movesApiRoutes), ['GET /api/v1/fleet/moves']);
  });

  it('asks the API only for the filters set', () => {
    assert.deepEqual(movesQuery({}), {});
    assert.deepEqual(movesQuery({ project: 'shop', env: undefined, cluster: '' }), { project: 'shop' });
    assert.deepEqual(movesQuery({ cluster: 'c7', env: 'prod', project: 'shop' }), {
      project: 'shop',
      env: 'prod',
      cluster: 'c7',
    });
  });

  it('offers each known or listed name once, the selected one always, `local` first', () => {
    assert.deepEqual(filterNames(['c7', 'local', 'b'], ['c7', 'gone'], undefined, 'local'), [
      'local',
      'b',
      'c7',
      'gone',
    ]);
    // a selection the lists do not know (a project's moves all settled) stays selectable
    assert.deepEqual(filterNames([], [], 'shop'), ['shop']);
    assert.deepEqual(
      clustersOfMoves([failover, { ...failover, targets: { c9: 1 }, current: {}, failedOver: [] }]),
      ['local', 'c7', 'c9'],
    );
  });

  it('has every string in both languages, with the same placeholders', () => {
    assert.deepEqual(Object.keys(movesZh).sort(), Object.keys(movesEn).sort());
    for (const [key, en] of Object.entries(movesEn)) {
      const zh = movesZh[key as keyof typeof movesEn];
      assert.ok(zh, key);
      const vars = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      assert.deepEqual(vars(zh), vars(en), key);
    }
    assert.equal(movesEn['clusters.moves.empty'], 'No replicas are moving.');
  });
});
