/**
 * The seed of the browser tests across clusters: a cluster of the test fleet registered and named
 * by environment `test` beside `local`, a project, and its service `web` placed 1:1 over the two
 * (two replicas, one on each), running.
 */
import assert from 'node:assert/strict';
import type { FleetCluster } from '../../packages/server/test/helpers/clusters.ts';
import {
  eventually,
  makeProject,
  waitTask,
  webSpec,
  type TestApi,
} from '../../packages/server/test/helpers/platform.ts';

export interface TwoClusterOptions {
  /** The project to create; `web` runs in its environment `test`. */
  project: string;
  /** Environment `test`'s failover grace, seconds (the server's default when absent). */
  graceSeconds?: number;
  /** Waits for the cluster's health check to find it ready before placing `web`. */
  ready?: boolean;
}

/** A container of `web`: its name and the cluster it runs on. */
export interface PlacedContainer {
  name: string;
  cluster: string;
  ready: boolean;
}

/**
 * Registers `c` (started by the caller, who also cleans it), adds it to environment `test` and
 * runs `web` of `opts.project` with one replica on `local` and one on `c`. Returns the services
 * base path and web's containers, one on each cluster (asserted).
 */
export async function placeWebOnTwoClusters(
  api: TestApi,
  c: FleetCluster,
  opts: TwoClusterOptions,
): Promise<{ base: string; containers: PlacedContainer[] }> {
  const added = await api.post('/api/v1/clusters', { name: c.name, kind: 'podman', endpoint: c.endpoint });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const env = await api.call('PATCH', '/api/v1/envs/test', {
    clusters: ['local', c.name],
    ...(opts.graceSeconds !== undefined ? { failover: { graceSeconds: opts.graceSeconds } } : {}),
  });
  assert.equal(env.status, 200, JSON.stringify(env.body));
  if (opts.ready)
    await eventually(
      async () => (await api.get<{ state: string }>(`/api/v1/clusters/${c.name}`)).body.state === 'ready',
      `cluster ${c.name} ready`,
    );
  const base = await makeProject(api, opts.project);
  const placement = {
    clusters: [
      { name: 'local', weight: 1 },
      { name: c.name, weight: 1 },
    ],
    division: 'weighted',
  };
  const created = await api.post<{ task: { id: string } }>(base, {
    name: 'web',
    spec: webSpec('v1', 2, { placement }),
  });
  assert.equal(created.status, 202, JSON.stringify(created.body));
  assert.equal((await waitTask(api, created.body.task.id)).state, 'succeeded');
  const list = await api.get<{ items: PlacedContainer[] }>(`${base}/web/containers`);
  assert.deepEqual(list.body.items.map((i) => i.cluster).sort(), [c.name, 'local'].sort());
  return { base, containers: list.body.items };
}
