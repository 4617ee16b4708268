import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRoutesSnapshot, encodeRoutesSnapshot, type RouteRow } from './gateways.repository';

const rows: RouteRow[] = Array.from({ length: 1000 }, (_, i) => ({
  id: `r${String(i).padStart(6, '0')}`,
  project: `team-${i % 7}`,
  env: 'prod',
  name: `route-${i}`,
  host: `app-${i}.example.test`,
  path_prefix: '/',
  spec: JSON.stringify({
    host: `app-${i}.example.test`,
    backends: { servers: [{ address: `127.1.${i >> 8}.${i & 255}:8080`, weight: 1 }] },
    pathPrefix: '/',
    timeouts: { connectSeconds: 5, readSeconds: 60, sendSeconds: 60 },
  }),
  canary: null,
  created_at: '2026-12-06T12:00:00.000Z',
  updated_at: '2026-12-06T12:00:00.000Z',
  created_by: 'alice',
  updated_by: 'alice',
  version: 1,
}));

describe('routes snapshots of config versions', () => {
  it('are stored compressed and read back whole', async () => {
    const stored = await encodeRoutesSnapshot(rows);
    assert.ok(stored.startsWith('gz:'));
    const plain = JSON.stringify(rows).length;
    assert.ok(stored.length * 5 < plain, `${stored.length} bytes stored for ${plain} of JSON`);
    assert.deepEqual(decodeRoutesSnapshot(stored), rows);
  });

  it('reads the plain JSON older versions hold', () => {
    assert.deepEqual(decodeRoutesSnapshot(JSON.stringify(rows.slice(0, 3))), rows.slice(0, 3));
  });
});
