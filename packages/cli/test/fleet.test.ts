/** How `berth fleet moves` prints a move (the command itself: fleet.it.test.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PlacementMove } from '@berth/shared';
import { moveColumns, movedReplicas } from '../src/commands/fleet';
import { renderTable } from '../src/output';

const failover: PlacementMove = {
  project: 'shop',
  env: 'prod',
  service: 'web',
  targets: { local: 4, c7: 0 },
  current: { local: 2, c7: 2 },
  failedOver: ['c7'],
  notes: ['c7: draining: its replicas move to the other clusters'],
  unplaced: 0,
  since: new Date(Date.now() - 42_000).toISOString(),
  updatedAt: new Date().toISOString(),
};

describe('berth fleet moves output', () => {
  it('prints each cluster as now→wanted in the division’s order, then clusters only running or failed over', () => {
    assert.equal(movedReplicas(failover), 'local 2→4, c7 2→0');
    assert.equal(
      movedReplicas({ ...failover, targets: { local: 3 }, current: { old: 1 }, failedOver: ['gone'] }),
      'local 0→3, old 1→0, gone 0→0',
    );
  });

  it('prints a table row per moving service', () => {
    const table = renderTable(
      [failover, { ...failover, project: 'shop', service: 'api', failedOver: [], notes: [], unplaced: 2 }],
      moveColumns,
    );
    const [header, web, api] = table.trimEnd().split('\n');
    assert.match(
      header!,
      /^SERVICE\s+ENV\s+REPLICAS \(NOW→WANTED\)\s+FAILED OVER\s+UNPLACED\s+SINCE\s+NOTES$/,
    );
    assert.match(
      web!,
      /^shop\/web\s+prod\s+local 2→4, c7 2→0\s+c7\s+0\s+4[12]s\s+c7: draining: its replicas move to the other clusters$/,
    );
    assert.match(api!, /^shop\/api\s+prod\s+local 2→4, c7 2→0\s+-\s+2\s+4[12]s\s+-$/);
  });
});
