/**
 * Two Berth clusters on one Kubernetes API server — namespaces-as-clusters, each with its own
 * namespace prefix — through Berth's API, end to end: deploy a service placed on both, roll it,
 * scale it, open a shell in a pod, fail over from one to the other when its API connection dies,
 * and back when it returns (issue 14, docs/kubernetes-testing.md).
 *
 * The same cases run twice:
 * - against the test API server (`startFakeApiServer`), always — what it does not model is in
 *   docs/kubernetes-testing.md: here notably no image is pulled and no process runs (the pods'
 *   answers and exec are simulated), and NetworkPolicies are not enforced;
 * - against a real cluster when `BERTH_TEST_KUBECONFIG` is the path of a kubeconfig, with the image
 *   `BERTH_TEST_KUBE_IMAGE` (default busybox:1.36, run as `httpd -f -p 8080`); without it every case
 *   is reported skipped, never passing.
 *
 * "A cluster dies" is its API connection dying: the second registration reaches the API server
 * through a TCP relay in this process, which the test cuts and restores. On a real cluster the
 * pods of the "dead" cluster keep running (as on a partitioned cluster); Berth stops counting them.
 */
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { namespaceName } from '@berth/engine-kubernetes';
import { KubeClient, startFakeApiServer, type FakeApiServer } from '@berth/engine-kubernetes/testing';
import {
  eventually,
  makeProject,
  startPlatform,
  testImage,
  waitTask,
  type TestPlatform,
} from './helpers/platform';

type Obj = Record<string, unknown>;
interface Container {
  name: string;
  cluster: string;
  release: number;
  state: string;
}

/** A TCP relay to the API server that the test cuts (a dead cluster) and restores. */
interface Relay {
  url: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

async function startRelay(target: URL): Promise<Relay> {
  const sockets = new Set<net.Socket>();
  const port = Number(target.port || 443);
  const server = net.createServer((client) => {
    const upstream = net.connect(port, target.hostname.replace(/^\[|\]$/g, ''));
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  let listenPort = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listenPort, '127.0.0.1', () => {
        listenPort = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });
  await listen();
  return {
    url: `${target.protocol}//127.0.0.1:${listenPort}`,
    cut: stop,
    restore: listen,
    close: stop,
  };
}

/** The kubeconfig's current cluster reached at `server` instead (TLS still names the original host). */
function viaServer(kubeconfig: string, server: string): { kubeconfig: string; original: URL } {
  const doc = parseYaml(kubeconfig) as {
    'current-context': string;
    contexts: { name: string; context: { cluster: string } }[];
    clusters: { name: string; cluster: Record<string, unknown> }[];
  };
  const ctx = doc.contexts.find((c) => c.name === doc['current-context']) ?? doc.contexts[0]!;
  const cluster = doc.clusters.find((c) => c.name === ctx.context.cluster)!.cluster;
  const original = new URL(String(cluster.server));
  cluster.server = server;
  if (!net.isIP(original.hostname.replace(/^\[|\]$/g, '')) && cluster['tls-server-name'] === undefined)
    cluster['tls-server-name'] = original.hostname;
  return { kubeconfig: stringifyYaml(doc), original };
}

/** The test API server's pods listen on loopback ports it writes in an annotation. */
const podAddress = (pod: { metadata: { annotations?: Record<string, string> } }, port: number) => {
  const host = pod.metadata.annotations?.[`fake.berth.dev/port-${port}`];
  return host ? `127.0.0.1:${host}` : null;
};

const realKubeconfig = process.env.BERTH_TEST_KUBECONFIG;
const targets = [
  { name: 'the test API server', real: false, skip: false as const },
  {
    name: 'a real cluster (BERTH_TEST_KUBECONFIG)',
    real: true,
    skip: realKubeconfig ? (false as const) : 'BERTH_TEST_KUBECONFIG is not set',
  },
];

for (const target of targets) {
  const { skip } = target;
  describe(`two Berth clusters on one API server: ${target.name}`, () => {
    let fake: FakeApiServer | undefined;
    let relay: Relay;
    let p: TestPlatform;
    let base: string;
    let kube: KubeClient;
    // a project of its own per run: a real cluster keeps namespaces between runs
    const project = target.real ? `e2e${Date.now().toString(36)}` : 'e2e';
    const grace = 10;
    const image = target.real ? (process.env.BERTH_TEST_KUBE_IMAGE ?? 'busybox:1.36') : testImage;
    const spec = (greeting: string, replicas: number) => ({
      image,
      command: ['httpd', '-f', '-p', '8080'],
      user: '1000',
      ports: [{ containerPort: 8080 }],
      replicas,
      placement: {
        clusters: [
          { name: 'ka', weight: 1 },
          { name: 'kb', weight: 1 },
        ],
        division: 'weighted',
      },
      env: [{ name: 'GREETING', value: greeting }],
      rollout: { progressDeadlineSeconds: target.real ? 300 : 60 },
    });
    const containers = async () =>
      (await p.api.get<{ items: Container[] }>(`${base}/web/containers`)).body.items;
    /** Exactly `want` ready containers of `release` per cluster, and nothing else. */
    const runningAs = async (release: number, want: Record<string, number>, timeoutMs = 120_000) => {
      let last: Container[] = [];
      try {
        return await eventually(
          async () => {
            const all = (last = await containers());
            const ok =
              all.every((c) => c.release === release && c.state === 'ready') &&
              Object.entries(want).every(([k, n]) => all.filter((c) => c.cluster === k).length === n) &&
              all.length === Object.values(want).reduce((a, b) => a + b, 0);
            return ok ? all : null;
          },
          `ready containers of release ${release}: ${JSON.stringify(want)}`,
          timeoutMs,
        );
      } catch (err) {
        const seen = last.map((c) => `${c.cluster}/${c.name} r${c.release} ${c.state}`).join(', ');
        throw new Error(`${(err as Error).message}; last seen: ${seen || 'none'}`);
      }
    };
    /** The Deployment `web` of a namespace as the API server holds it (null: none). */
    const deployment = (ns: string) =>
      kube.json<{ spec: { replicas: number } }>('GET', `/apis/apps/v1/namespaces/${ns}/deployments/web`, {
        allow: [404],
        ctx: { verb: 'get', resource: 'deployments', namespace: ns, name: 'web' },
      });
    const nsA = () => namespaceName(project, 'test', 'ka');
    const nsB = () => namespaceName(project, 'test', 'kb');

    before(async () => {
      if (skip) return;
      let kubeconfig: string;
      if (target.real) kubeconfig = readFileSync(realKubeconfig!, 'utf8');
      else {
        fake = await startFakeApiServer({ bookmarkIntervalMs: 200 });
        kubeconfig = fake.kubeconfig;
      }
      kube = new KubeClient({ cluster: 'test', kubeconfig });
      const direct = viaServer(kubeconfig, 'https://placeholder.invalid').original;
      relay = await startRelay(direct);
      p = await startPlatform(
        {
          BERTH_CLUSTER_CHECK_SECONDS: '1',
          BERTH_CLUSTER_CHECK_TIMEOUT_MS: '3000',
          BERTH_FAILOVER_STABLE_SECONDS: '5',
        },
        target.real ? {} : { build: { kubernetes: { podAddress } } },
      );
      const register = async (name: string, endpoint: string, kc: string) => {
        const r = await p.api.post('/api/v1/clusters', {
          name,
          kind: 'kubernetes',
          endpoint,
          credentials: { kubeconfig: kc },
          exposure: 'pod-ip',
          namespacePrefix: name,
        });
        assert.equal(r.status, 201, JSON.stringify(r.body));
      };
      await register('ka', direct.origin, kubeconfig);
      await register('kb', relay.url, viaServer(kubeconfig, relay.url).kubeconfig);
      const env = await p.api.call('PATCH', '/api/v1/envs/test', {
        clusters: ['ka', 'kb'],
        failover: { graceSeconds: grace },
      });
      assert.equal(env.status, 200, JSON.stringify(env.body));
      base = await makeProject(p.api, project);
    });

    after(async () => {
      if (skip) return;
      await relay?.restore().catch(() => undefined);
      // a real cluster keeps nothing of the run but its two (empty) namespaces
      if (p && target.real) {
        const d = await p.api.call<{ task?: Obj }>('DELETE', `${base}/web`).catch(() => null);
        if (d?.body.task) await waitTask(p.api, d.body.task.id as string).catch(() => undefined);
      }
      await p?.close();
      await relay?.close();
      await fake?.close();
    });

    it(
      'deploys a service placed on both: each cluster runs its share in its own namespace and sees only its pods',
      { skip },
      async () => {
        const r = await p.api.post<{ task: Obj }>(base, { name: 'web', spec: spec('hello', 2) });
        assert.equal(r.status, 202, JSON.stringify(r.body));
        assert.equal((await waitTask(p.api, r.body.task.id as string)).state, 'succeeded');
        const all = await runningAs(1, { ka: 1, kb: 1 });
        assert.notEqual(all[0]!.name, all[1]!.name);
        // one Deployment per Berth cluster, each in its cluster's prefixed namespace
        assert.notEqual(nsA(), nsB());
        assert.equal((await deployment(nsA()))?.spec.replicas, 1);
        assert.equal((await deployment(nsB()))?.spec.replicas, 1);
        // each registration counts only its own pod as Berth's
        for (const c of ['ka', 'kb'])
          await eventually(async () => {
            const got = await p.api.get<{ capacity: { used: { containers: number } } | null }>(
              `/api/v1/clusters/${c}`,
            );
            return got.body.capacity?.used.containers === 1;
          }, `${c} counts one pod of Berth's`);
        const m = await p.api.get<{ namespace: string }>(`${base}/web/manifests?cluster=kb`);
        assert.equal(m.body.namespace, nsB());
      },
    );

    it(
      'collects a Deployment and Secret of a service deleted while Berth was down, never another Berth’s',
      { skip },
      async () => {
        const make = async (kind: 'deployments' | 'secrets', name: string, instance: string) => {
          const labels = {
            'app.kubernetes.io/managed-by': 'berth',
            'berth.instance': instance,
            'berth.cluster': 'ka',
            'berth.project': project,
            'berth.env': 'test',
            'berth.service': 'svc-deleted-while-down',
          };
          const body =
            kind === 'secrets'
              ? { apiVersion: 'v1', kind: 'Secret', metadata: { name, labels }, data: { K: 'dg==' } }
              : {
                  apiVersion: 'apps/v1',
                  kind: 'Deployment',
                  metadata: { name, labels },
                  spec: {
                    replicas: 0,
                    selector: { matchLabels: { 'berth.service': 'svc-deleted-while-down' } },
                    template: {
                      metadata: { labels },
                      spec: { containers: [{ name: 'app', image }] },
                    },
                  },
                };
          const prefix = kind === 'secrets' ? '/api/v1' : '/apis/apps/v1';
          await kube.json('POST', `${prefix}/namespaces/${nsA()}/${kind}`, {
            body,
            ctx: { verb: 'create', resource: kind, namespace: nsA() },
          });
          return `${prefix}/namespaces/${nsA()}/${kind}/${name}`;
        };
        const orphan = await make('deployments', 'left-behind', p.instanceId);
        const secret = await make('secrets', 'left-behind-env', p.instanceId);
        const foreign = await make('deployments', 'another-berths', 'another-berth-instance');
        const get = (path: string) =>
          kube.json('GET', path, { allow: [404], ctx: { verb: 'get', resource: 'test' } });
        await eventually(
          async () => (await get(orphan)) === null && (await get(secret)) === null,
          'the orphans are collected',
        );
        assert.notEqual(await get(foreign), null, "another Berth's Deployment stays");
        assert.notEqual(await deployment(nsA()), null, "the service's own Deployment stays");
        await kube.json('DELETE', foreign, {
          allow: [404],
          ctx: { verb: 'delete', resource: 'deployments' },
        });
      },
    );

    it('rolls a new release out on both clusters', { skip }, async () => {
      const u = await p.api.put<{ task: Obj }>(`${base}/web`, { spec: spec('hello again', 2) });
      assert.equal(u.status, 202, JSON.stringify(u.body));
      assert.equal((await waitTask(p.api, u.body.task.id as string)).state, 'succeeded');
      await runningAs(2, { ka: 1, kb: 1 });
    });

    it('scales across both clusters', { skip }, async () => {
      const s = await p.api.post<{ task: Obj }>(`${base}/web/scale`, { replicas: 4 });
      assert.equal(s.status, 202, JSON.stringify(s.body));
      assert.equal((await waitTask(p.api, s.body.task.id as string)).state, 'succeeded');
      await runningAs(2, { ka: 2, kb: 2 });
      assert.equal((await deployment(nsB()))?.spec.replicas, 2);
    });

    it('opens a shell in a pod of the second cluster', { skip }, async () => {
      const pod = (await containers()).find((c) => c.cluster === 'kb')!;
      const url = `${p.url.replace('http', 'ws')}${base}/web/containers/${pod.name}/shell?cmd=echo&cmd=hello-from-kb&tty=false`;
      const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${p.api.token}` } });
      let output = '';
      let exit: unknown = null;
      ws.on('message', (data: Buffer, binary) => {
        if (binary) output += data.toString();
        else {
          const m = JSON.parse(data.toString()) as { type: string; code?: number };
          if (m.type === 'exit') exit = m.code;
        }
      });
      await new Promise<void>((resolve, reject) => {
        ws.once('close', () => resolve());
        ws.once('error', reject);
        ws.once('unexpected-response', (_req, res) => reject(new Error(`shell answered ${res.statusCode}`)));
      });
      assert.match(output, /hello-from-kb/);
      assert.equal(exit, 0);
    });

    it(
      'fails over to the other cluster when one cluster dies, and back when it returns',
      { skip },
      async () => {
        await relay.cut();
        const state = async (c: string) =>
          (await p.api.get<{ state: string }>(`/api/v1/clusters/${c}`)).body.state;
        await eventually(async () => (await state('kb')) === 'unreachable', 'kb unreachable');
        // after the grace, kb's share runs on ka (its Deployment holds all four)
        await runningAs(2, { ka: 4 }, (grace + 90) * 1000);
        assert.equal((await deployment(nsA()))?.spec.replicas, 4);
        await relay.restore();
        await eventually(async () => (await state('kb')) === 'ready', 'kb ready again');
        // stable for the window: the division returns to 2/2
        await runningAs(2, { ka: 2, kb: 2 }, 120_000);
        assert.equal((await deployment(nsA()))?.spec.replicas, 2);
        assert.equal((await deployment(nsB()))?.spec.replicas, 2);
      },
    );
  });
}
