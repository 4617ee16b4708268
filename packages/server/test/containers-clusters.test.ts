/**
 * Containers across clusters (issue 11) on real Podman: a service placed over `local` and a
 * second cluster of the test fleet shows each container's cluster in its list, history and events,
 * filters them with ?cluster=, refuses an unknown cluster at field `cluster`, and reads logs,
 * shells, files and stats of a container through its own cluster's engine. When that cluster dies, its
 * containers' logs and shells answer 503 UNAVAILABLE naming it, while the local container keeps
 * being listed live and sampled.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { PodmanEngine } from '@berth/engine-podman';
import { startCluster, stopCluster, type FleetCluster } from './helpers/clusters';
import { testDialects } from './helpers/db';
import {
  eventually,
  makeProject,
  removeInstanceContainers,
  startPlatform,
  waitTask,
  webSpec,
  type TestPlatform,
} from './helpers/platform';

interface Row {
  name: string;
  id: string | null;
  cluster: string;
  state: string;
  live: { state: string } | null;
}
interface Page<T> {
  items: T[];
  errors?: Array<{ cluster: string; code: string; message: string }>;
}
interface Event {
  container: string | null;
  cluster: string | null;
  type: string;
}
interface ErrorBody {
  error: { code: string; message: string; details?: { fields?: Array<{ path: string; message: string }> } };
}

/**
 * Clusters of their own (fleet.it uses c6/c7, fleet-crash c8/c9, engine-podman c1…c5), one per
 * dialect: a Podman service just restarted after a kill is slow to answer while it cleans up.
 */
const clusterOf = { sqlite: 'c12', postgres: 'c15' } as const;

/** Runs a command through Berth's web shell (no TTY); resolves with its output, or the HTTP refusal. */
function shell(
  url: string,
  token: string,
  cmd: string[],
): Promise<{ status: number; output: string; body: unknown }> {
  const query = new URLSearchParams([['tty', 'false'], ...cmd.map((c): [string, string] => ['cmd', c])]);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}?${query.toString()}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    let output = '';
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) output += data.toString();
    });
    ws.once('close', () => resolve({ status: 101, output, body: null }));
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, output: '', body: JSON.parse(text) }));
    });
    ws.once('error', reject);
  });
}

for (const dialect of testDialects()) {
  describe(`containers across clusters (${dialect}, real Podman, local + a second cluster)`, () => {
    let p: TestPlatform;
    let c: FleetCluster;
    let remote: PodmanEngine;
    let base: string;
    let onRemote: Row;
    let onLocal: Row;
    const clusterName = clusterOf[dialect];

    const list = async (query = '') => (await p.api.get<Page<Row>>(`${base}/web/containers${query}`)).body;

    before(async () => {
      c = await startCluster(clusterName);
      remote = new PodmanEngine({ socketPath: c.socketPath, cluster: c.name });
      p = await startPlatform(
        { BERTH_CLUSTER_CHECK_SECONDS: '1', BERTH_CLUSTER_CHECK_TIMEOUT_MS: '3000' },
        { dialect },
      );
      const r = await p.api.post('/api/v1/clusters', { name: c.name, kind: 'podman', endpoint: c.endpoint });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      // a long grace: the cluster is stopped below, and its replica must stay where it is meanwhile
      const env = await p.api.call('PATCH', '/api/v1/envs/test', {
        clusters: ['local', c.name],
        failover: { graceSeconds: 3600 },
      });
      assert.equal(env.status, 200, JSON.stringify(env.body));
      base = await makeProject(p.api, 'xc');
      const spec = webSpec('v1', 2, {
        placement: {
          clusters: [
            { name: 'local', weight: 1 },
            { name: c.name, weight: 1 },
          ],
          division: 'weighted',
        },
      });
      // says where it started, from inside the container
      spec.command = [
        'sh',
        '-c',
        'echo "booted as $(hostname)"; mkdir -p /tmp/www && echo "$VERSION" > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www',
      ];
      const created = await p.api.post<{ task: { id: string } }>(base, { name: 'web', spec });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      const task = await waitTask(p.api, created.body.task.id);
      assert.equal(task.state, 'succeeded', JSON.stringify(task));
    });

    after(async () => {
      await startCluster(clusterName).catch(() => undefined);
      await p?.close();
      if (remote && p) await removeInstanceContainers(remote, p.instanceId).catch(() => undefined);
    });

    it('lists each container with its cluster, live from that cluster’s engine', async () => {
      // live from both engines (a cluster's Podman may take a moment to answer after a restart)
      const page = await eventually(async () => {
        const got = await list();
        const live = got.items.filter((r) => r.state === 'ready' && r.live?.state === 'running');
        return live.length === 2 ? got : null;
      }, 'both containers ready and inspected live');
      const running = page.items.filter((r) => r.state === 'ready');
      assert.deepEqual(running.map((r) => r.cluster).sort(), ['local', c.name].sort(), JSON.stringify(page));
      onRemote = running.find((r) => r.cluster === c.name)!;
      onLocal = running.find((r) => r.cluster === 'local')!;
      // inspected on its cluster's engine: the local engine does not even have it
      assert.equal(onRemote.live?.state, 'running', JSON.stringify(onRemote));
      assert.equal(await p.engine.inspectContainer(onRemote.id!), null);
      assert.equal((await remote.inspectContainer(onRemote.id!))?.state, 'running');
      assert.equal(page.errors, undefined);
    });

    it('filters the list, the history and the events by ?cluster=', async () => {
      const only = await list(`?cluster=${c.name}`);
      assert.deepEqual(
        only.items.map((r) => r.name),
        [onRemote.name],
      );
      const local = await list('?cluster=local');
      assert.ok(local.items.every((r) => r.cluster === 'local'));
      assert.ok(local.items.some((r) => r.name === onLocal.name));

      const history = (await p.api.get<Page<Row>>(`${base}/web/containers/history?cluster=${c.name}`)).body;
      assert.ok(history.items.length >= 1);
      assert.ok(history.items.every((r) => r.cluster === c.name));

      const all = (await p.api.get<Page<Event>>(`${base}/web/events?limit=200`)).body.items;
      const named = all.filter((e) => e.container);
      assert.ok(named.length > 0);
      for (const e of named) {
        const expected =
          e.container === onRemote.name ? c.name : e.container === onLocal.name ? 'local' : null;
        if (expected) assert.equal(e.cluster, expected, JSON.stringify(e));
      }
      assert.ok(
        all.filter((e) => !e.container).every((e) => e.cluster === null),
        'a service event names no cluster',
      );
      const remoteEvents = (await p.api.get<Page<Event>>(`${base}/web/events?cluster=${c.name}&limit=200`))
        .body.items;
      assert.ok(remoteEvents.length > 0);
      assert.ok(remoteEvents.every((e) => e.cluster === c.name && e.container !== null));
      assert.ok(remoteEvents.some((e) => e.container === onRemote.name));
    });

    it('refuses an unknown cluster at field `cluster`, listing the registered ones', async () => {
      for (const path of [
        `${base}/web/containers?cluster=nope`,
        `${base}/web/containers/history?cluster=nope`,
        `${base}/web/events?cluster=nope`,
        `${base}/web/logs?cluster=nope`,
        `${base}/web/stats?cluster=nope`,
      ]) {
        const r = await p.api.get<ErrorBody>(path);
        assert.equal(r.status, 422, `${path}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.details?.fields?.[0]?.path, 'cluster');
        assert.match(r.body.error.message, new RegExp(`local, ${clusterName}`));
      }
      // the OpenAPI document lists the parameter
      const doc = (
        await p.api.get<{ paths: Record<string, { get?: { parameters?: Array<{ name: string }> } }> }>(
          '/api/openapi.json',
        )
      ).body;
      const params = Object.entries(doc.paths)
        .filter(([path]) =>
          /\/services\/\{service\}\/(containers|containers\/history|events|logs|stats)$/.test(path),
        )
        .map(([path, item]) => [path, item.get?.parameters?.some((q) => q.name === 'cluster')]);
      assert.equal(params.length, 5, JSON.stringify(params));
      assert.ok(
        params.every(([, has]) => has === true),
        JSON.stringify(params),
      );
    });

    it('reads logs, shells and stats of a container through its cluster’s engine', async () => {
      // the line the container printed, as its cluster's own engine has it
      const own: string[] = [];
      for await (const l of remote.logs(onRemote.id!, { tail: 50 })) own.push(l.text);
      const booted = own.find((t) => t.startsWith('booted as '));
      assert.ok(booted, `${c.name} has the boot line: ${JSON.stringify(own)}`);
      const logs = await p.api.get<{ items: Array<{ text: string }> }>(
        `${base}/web/containers/${onRemote.name}/logs`,
      );
      assert.equal(logs.status, 200, JSON.stringify(logs.body));
      assert.ok(
        logs.body.items.some((l) => l.text === booted),
        JSON.stringify(logs.body),
      );
      // the service's logs of the second cluster only: that container's lines and no other
      const svc = await p.api.get<{ items: Array<{ container: string; text: string }> }>(
        `${base}/web/logs?cluster=${c.name}`,
      );
      assert.equal(svc.status, 200, JSON.stringify(svc.body));
      assert.ok(svc.body.items.some((l) => l.text === booted));
      assert.ok(svc.body.items.every((l) => l.container === onRemote.name));

      // a file written in the container through its cluster's own engine is what Berth's shell reads
      const marker = `written-on-${c.name}-${Date.now()}`;
      const wrote = await remote.execRun(onRemote.id!, ['sh', '-c', `echo ${marker} > /tmp/where`], {
        timeoutMs: 10_000,
      });
      assert.equal(wrote.exitCode, 0);
      const out = await shell(`${p.url}${base}/web/containers/${onRemote.name}/shell`, p.api.token!, [
        'cat',
        '/tmp/where',
      ]);
      assert.equal(out.status, 101, JSON.stringify(out.body));
      assert.equal(out.output.trim(), marker);
      // and what the files API reads through that cluster's archive API (docs/file-logs.md)
      const file = await p.api.get<{ text: string }>(
        `${base}/web/containers/${onRemote.name}/files/content?path=/tmp/where`,
      );
      assert.equal(file.status, 200, JSON.stringify(file.body));
      assert.equal(file.body.text.trim(), marker);

      // the sampler samples the second cluster's container through its engine
      await eventually(async () => {
        const s = await p.api.get<Page<{ container: string; memoryBytes: number }>>(
          `${base}/web/stats?container=${onRemote.name}`,
        );
        return s.body.items.some((x) => x.memoryBytes > 0);
      }, `a stats sample of ${onRemote.name}`);
      const byCluster = await p.api.get<Page<{ container: string }>>(`${base}/web/stats?cluster=${c.name}`);
      assert.equal(byCluster.status, 200, JSON.stringify(byCluster.body));
      assert.ok(byCluster.body.items.length > 0);
      assert.ok(byCluster.body.items.every((x) => x.container === onRemote.name));
    });

    it('answers 503 UNAVAILABLE naming the cluster while it is down; the rest keeps working', async () => {
      await stopCluster(c.name);
      try {
        const logs = await eventually(async () => {
          const r = await p.api.get<ErrorBody>(`${base}/web/containers/${onRemote.name}/logs`);
          return r.status === 503 ? r : null;
        }, 'logs of the dead cluster to answer 503');
        assert.equal(logs.body.error.code, 'UNAVAILABLE');
        assert.match(logs.body.error.message, new RegExp(`Cluster '${clusterName}' is unreachable`));
        assert.match(logs.body.error.message, new RegExp(`GET /api/v1/clusters/${clusterName}`));

        const sh = await shell(`${p.url}${base}/web/containers/${onRemote.name}/shell`, p.api.token!, [
          'true',
        ]);
        assert.equal(sh.status, 503, JSON.stringify(sh.body));
        assert.match(
          (sh.body as ErrorBody).error.message,
          new RegExp(`Cluster '${clusterName}' is unreachable`),
        );

        // the list still answers: the dead cluster's container without live state and an error naming it
        const page = await list();
        const remoteRow = page.items.find((r) => r.name === onRemote.name);
        assert.equal(remoteRow?.live, null);
        assert.equal(page.items.find((r) => r.name === onLocal.name)?.live?.state, 'running');
        assert.deepEqual(
          page.errors?.map((e) => [e.cluster, e.code]),
          [[c.name, 'CLUSTER_UNREACHABLE']],
        );
        // the service's logs keep the local container's lines and say which cluster failed
        const svc = await p.api.get<{
          items: Array<{ container: string }>;
          errors?: Array<{ cluster: string }>;
        }>(`${base}/web/logs`);
        assert.equal(svc.status, 200, JSON.stringify(svc.body));
        assert.ok(svc.body.items.some((l) => l.container === onLocal.name));
        assert.deepEqual(
          svc.body.errors?.map((e) => e.cluster),
          [c.name],
        );

        // the local container is still sampled while the dead cluster is skipped
        const since = new Date().toISOString();
        await eventually(async () => {
          const s = await p.api.get<Page<{ container: string; at: string }>>(
            `${base}/web/stats?container=${onLocal.name}&since=${since}`,
          );
          return s.body.items.length > 0;
        }, 'a new stats sample of the local container');
      } finally {
        await startCluster(c.name);
      }
    });
  });
}
