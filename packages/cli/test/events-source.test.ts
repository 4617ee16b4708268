import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../src/main';
import { fakeServer, json, testIo } from './test-support';

const path = '/api/v1/projects/shop/envs/prod/services/web/events';
const base = { service: 'web', cluster: 'k8s-a', severity: 'normal' };
const items = [
  {
    ...base,
    id: '0002',
    at: '2026-12-07T01:05:00Z',
    container: 'web-7d9c-abcde',
    type: 'BackOff',
    severity: 'warning',
    message: 'Back-off restarting failed container app',
    source: 'kubernetes',
    object: 'Pod/web-7d9c-abcde',
    count: 4,
  },
  {
    ...base,
    id: '0001',
    at: '2026-12-07T01:00:00Z',
    container: null,
    type: 'WorkloadApplied',
    message: 'cluster k8s-a: applied release 1 with 2 replicas; Kubernetes rolls it out',
    source: 'berth',
  },
];

test('berth events marks the cluster’s core Events (k8s) with their object and count', async (t) => {
  const server = await fakeServer({
    [`GET ${path}`]: (_req, res) => json(res, 200, { items, nextCursor: null }),
  });
  t.after(() => server.close());
  const io = testIo({ BERTH_URL: server.url, BERTH_TOKEN: 'tok' });
  assert.equal(await run(['events', 'web', '-p', 'shop', '-e', 'prod'], io), 0, io.stderr.text);
  const lines = io.stdout.text.trim().split('\n');
  assert.match(lines[0]!, /SOURCE/);
  // oldest first: Berth's event, then the cluster's
  assert.match(lines[1]!, /WorkloadApplied.*berth.*applied release 1/);
  assert.match(
    lines[2]!,
    /BackOff.*k8s.*Pod\/web-7d9c-abcde: Back-off restarting failed container app \(x4\)/,
  );
});
