/**
 * The Kubernetes engine against the workload contract (engine-api/testing/workload):
 * (a) the test API server of src/testing (always), (b) a real cluster when BERTH_TEST_KUBECONFIG
 * names a kubeconfig file (docs/kubernetes-testing.md: kind or k3s) — otherwise reported as
 * skipped, never as passed. Plus what only this engine has: its errors, and stats on a cluster
 * without metrics.k8s.io.
 *
 * The container-level `runEngineContract` is not run here: it is about `runContainer`, which a
 * Kubernetes cluster refuses (services run as Deployments; ADR 0007).
 */
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { labelKeys, type ContainerObservation } from '@berth/engine-api';
import { runWorkloadContract } from '@berth/engine-api/testing/workload';
import { EngineError, UnavailableError } from '@berth/shared';
import { KubeClient } from '../src/client';
import { KubernetesEngine } from '../src/kubernetes-engine';
import { namespaceName } from '../src/names';
import type { Pod } from '../src/kube-types';
import { startFakeApiServer, type FakeApiServer } from '../src/testing/index';

/** The test API server's pods listen on loopback ports it writes in an annotation (its top comment). */
const fakePodAddress = (pod: Pod, port: number): string | null => {
  const host = pod.metadata.annotations?.[`fake.berth.dev/port-${port}`];
  return host ? `127.0.0.1:${host}` : null;
};

const nsOf = (p: ContainerObservation) =>
  namespaceName(p.labels[labelKeys.project]!, p.labels[labelKeys.env]!);

runWorkloadContract('kubernetes (test API server)', async () => {
  const fake = await startFakeApiServer({ metrics: true, bookmarkIntervalMs: 200 });
  const engine = new KubernetesEngine({
    cluster: 'fake',
    instanceId: 'contract',
    kubeconfig: fake.kubeconfig,
    podAddress: fakePodAddress,
  });
  return {
    engine,
    cluster: 'fake',
    instance: 'contract',
    image: 'localhost/berth-busybox:1',
    port: 8080,
    reachable: true,
    metrics: true,
    fake: {
      settle: () => fake.settle(),
      advanceClock: (s) => fake.advanceClock(s),
      holdReadiness: (release) =>
        fake.setReadinessPolicy(
          release === null
            ? 'immediate'
            : (pod) =>
                (pod.metadata as { labels?: Record<string, string> }).labels?.[labelKeys.release] !==
                String(release),
        ),
      appendLog: (p, text) => fake.appendPodLog(nsOf(p), p.name, text),
      setUsage: (p, usage) => fake.setPodUsage(nsOf(p), p.name, usage),
      execV4Only: (only) =>
        fake.setExecProtocols(only ? ['v4.channel.k8s.io'] : ['v5.channel.k8s.io', 'v4.channel.k8s.io']),
      dropWatches: () => fake.dropWatches(),
      compact: () => fake.compact(),
      expireWatches: () => fake.expireWatches(),
      podLists: () => engine.podLists,
      diagnose: () => JSON.stringify(fake.errors.map((e) => e.message)),
    },
    cleanup: async () => {
      await engine.close();
      await fake.close();
    },
  };
});

const kubeconfigFile = process.env.BERTH_TEST_KUBECONFIG;
runWorkloadContract(
  'kubernetes (real cluster)',
  async () => {
    const cluster = 'real';
    const instance = `contract-${process.pid}`;
    const engine = new KubernetesEngine({
      cluster,
      instanceId: instance,
      kubeconfig: readFileSync(kubeconfigFile!, 'utf8'),
      exposure: process.env.BERTH_TEST_KUBE_EXPOSURE === 'node-port' ? 'node-port' : 'pod-ip',
    });
    return {
      engine,
      cluster,
      instance,
      image: process.env.BERTH_TEST_KUBE_IMAGE ?? 'busybox:1.36',
      command: [
        'sh',
        '-c',
        'echo log-line-1; echo log-line-2; echo log-line-3; mkdir -p /tmp/www && echo ok > /tmp/www/index.html; (while true; do echo tick; sleep 1; done) & exec httpd -f -p 8080 -h /tmp/www',
      ],
      port: 8080,
      reachable: process.env.BERTH_TEST_KUBE_REACHABLE === '1',
      metrics: process.env.BERTH_TEST_KUBE_METRICS === '1',
      cleanup: async ({ project, env }) => {
        await engine.close();
        // The suite's namespace (and with it whatever a failed case left) goes too.
        const client = new KubeClient({ cluster, kubeconfig: readFileSync(kubeconfigFile!, 'utf8') });
        await client.json('DELETE', `/api/v1/namespaces/${namespaceName(project, env)}`, {
          allow: [404],
          ctx: { verb: 'delete', resource: 'namespaces' },
        });
      },
    };
  },
  kubeconfigFile ? {} : { skip: 'BERTH_TEST_KUBECONFIG is not set' },
);

void describe('kubernetes engine: errors and a cluster without metrics', () => {
  let fake: FakeApiServer;
  let engine: KubernetesEngine;
  before(async () => {
    fake = await startFakeApiServer({ metrics: false });
    engine = new KubernetesEngine({ cluster: 'plain', instanceId: 'errors', kubeconfig: fake.kubeconfig });
  });
  after(async () => {
    await engine?.close();
    await fake?.close();
  });

  it('a wrong token is a clear 401 without the token in the message', async () => {
    const bad = new KubernetesEngine({
      cluster: 'plain',
      instanceId: 'errors',
      kubeconfig: fake.kubeconfig.replace(fake.token, 'wrong-token-value'),
    });
    try {
      await assert.rejects(bad.listContainers({}), (err: Error) => {
        assert.ok(err instanceof EngineError, err.message);
        assert.match(err.message, /rejected Berth's credentials \(401/);
        assert.doesNotMatch(err.message, /wrong-token-value/);
        assert.doesNotMatch(err.message, new RegExp(fake.token));
        return true;
      });
    } finally {
      await bad.close();
    }
  });

  it('an unreachable API server is UnavailableError, at once', async () => {
    const gone = new KubernetesEngine({
      cluster: 'gone',
      instanceId: 'errors',
      kubeconfig: fake.kubeconfig.replace(fake.url, 'https://127.0.0.1:1'),
    });
    try {
      await assert.rejects(gone.health(), UnavailableError);
      await assert.rejects(gone.listContainers({}), UnavailableError);
    } finally {
      await gone.close();
    }
  });

  it('health names a node that is not Ready and a failing /readyz', async () => {
    fake.setNodeReady('fake-node-2', false);
    const h = await engine.health();
    assert.equal(h.ok, true);
    assert.match(h.message ?? '', /node fake-node-2: not Ready/);
    fake.setHealthy(false);
    try {
      const down = await engine.health();
      assert.equal(down.ok, false);
      assert.match(down.message ?? '', /not ready \(\/readyz 500/);
    } finally {
      fake.setHealthy(true);
      fake.setNodeReady('fake-node-2', true);
    }
  });

  it('capacity: the nodes allocatable, nothing used yet', async () => {
    const c = await engine.capacity();
    assert.equal(c.cpus, 8);
    assert.equal(c.memoryBytes, 16 * 1024 ** 3);
    assert.equal(c.used.containers, 0);
  });

  it('stats without metrics.k8s.io: STATS_UNAVAILABLE saying to install metrics-server', async () => {
    const { podStats } = await import('../src/stats');
    const { KubeClient } = await import('../src/client');
    const client = new KubeClient({ cluster: 'plain', kubeconfig: fake.kubeconfig });
    const pod = { metadata: { name: 'x', namespace: 'default' }, status: { phase: 'Running' } } as Pod;
    await assert.rejects(podStats(client, [pod]), (err: EngineError) => {
      assert.equal(err.details?.reason, 'STATS_UNAVAILABLE');
      assert.match(err.message, /this cluster has no metrics\.k8s\.io \(install metrics-server\)/);
      return true;
    });
  });

  it('runContainer without a project and env is refused (no namespace is its), and images are unknown', async () => {
    await assert.rejects(
      engine.runContainer({ name: 'x', image: 'busybox', env: {}, labels: {}, ports: [] }),
      /has no berth.project and berth.env labels/,
    );
    assert.equal(await engine.inspectImage('busybox'), null);
  });
});
