/**
 * One-off containers on Kubernetes (`runContainer`: a cron job's attempt) against the test API
 * server: a bare Pod with restartPolicy Never in the environment's namespace, restricted like a
 * service's pod, followed through the pod watch to its end — exit code, OOMKilled, logs — then
 * stopped or removed; the orphan sweep leaves a live one alone and deletes the left-over ones.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { exitReason, labelKeys, type ContainerCreateSpec, type OrphanKeep } from '@berth/engine-api';
import { EngineError } from '@berth/shared';
import { KubeClient } from '../src/client';
import type { Pod } from '../src/kube-types';
import { KubernetesEngine } from '../src/kubernetes-engine';
import { claimName, envSecretName, namespaceName } from '../src/names';
import { observationOf } from '../src/observation';
import { collectOrphans, oneOffKeepMs } from '../src/orphans';
import { ownershipLabels, ownershipSelector } from '../src/manifests/index';
import { startFakeApiServer, testNamespace, type FakeApiServer } from '../src/testing/index';

type Obj = Record<string, unknown>;

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v) return v;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const project = 'shop';
const env = 'prod';
const ns = namespaceName(project, env);
const owner = { project, env, instance: 'it', cluster: 'fake' };

/** A cron attempt's spec as the scheduler sends it (cron-scheduler.ts). */
const cronSpec = (name: string, over: Partial<ContainerCreateSpec> = {}): ContainerCreateSpec => ({
  name,
  image: 'localhost/berth-busybox:1',
  command: ['sh', '-c'],
  args: ['echo "$GREETING $$HOME"; exit 3'],
  env: { GREETING: 'hello', PRICE: '$5' },
  labels: {
    'berth.cron-instance': 'it',
    'berth.cronjob': 'job1',
    'berth.cron-run': `run-${name}`,
    [labelKeys.project]: project,
    [labelKeys.env]: env,
    [labelKeys.cluster]: 'fake',
    [labelKeys.service]: 'not-a-service',
  },
  ports: [],
  cpu: 0.25,
  memoryMiB: 64,
  pidsLimit: 64,
  capabilities: [],
  noNewPrivileges: true,
  readOnlyRootfs: true,
  user: '65534',
  workingDir: '/work',
  ...over,
});

describe('one-off containers (runContainer) on the test API server', () => {
  let fake: FakeApiServer;
  let engine: KubernetesEngine;
  let kube: KubeClient;
  const podOf = (name: string) =>
    kube.json<Pod & Obj>('GET', `/api/v1/namespaces/${ns}/pods/${name}`, {
      allow: [404],
      ctx: { verb: 'get', resource: 'pods' },
    });

  const secretOf = (name: string) =>
    kube.json('GET', `/api/v1/namespaces/${ns}/secrets/${name}`, {
      allow: [404],
      ctx: { verb: 'get', resource: 'secrets' },
    });

  before(async () => {
    fake = await startFakeApiServer({ bookmarkIntervalMs: 200 });
    engine = new KubernetesEngine({ cluster: 'fake', instanceId: 'it', kubeconfig: fake.kubeconfig });
    kube = new KubeClient({ cluster: 'fake', kubeconfig: fake.kubeconfig });
  });
  after(async () => {
    await engine?.close();
    await fake?.close();
  });

  it('refuses to run where the environment has no namespace yet, and without project and env labels', async () => {
    await assert.rejects(engine.runContainer(cronSpec('early')), (err: Error) => {
      assert.ok(err instanceof EngineError);
      assert.match(err.message, new RegExp(`no namespace ${ns} for shop/prod`));
      assert.match(err.message, /Deploy one there, or run this on a Podman cluster/);
      return true;
    });
    const labels = { ...cronSpec('x').labels };
    delete labels[labelKeys.env];
    await assert.rejects(
      engine.runContainer(cronSpec('nolabels', { labels })),
      /berth.project and berth.env labels/,
    );
    await engine.applyNamespace(
      testNamespace(owner, { pullSecret: { registry: 'r.example:5000', username: 'u', password: 'p' } }),
    );
  });

  it('runs a bare restricted pod that ends with its exit code, its output readable, then removes it', async () => {
    fake.setPodProgram((pod) =>
      pod.name === 'cron-a-1' ? { output: 'hello /home\nsecond line\n', exitCode: 3 } : null,
    );
    const id = await engine.runContainer(cronSpec('cron-a-1'));
    const pod = (await podOf('cron-a-1'))!;
    assert.equal(id, pod.metadata.uid, 'the id is the pod uid');
    const spec = pod.spec as Obj;
    assert.equal(spec.restartPolicy, 'Never');
    assert.deepEqual(spec.imagePullSecrets, [{ name: 'berth-pull' }]);
    assert.deepEqual(spec.securityContext, {
      runAsNonRoot: true,
      runAsUser: 65534,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const app = (spec.containers as Obj[])[0]!;
    assert.deepEqual(app.command, ['sh', '-c']);
    assert.deepEqual(app.args, ['echo "$$GREETING $$$$HOME"; exit 3'], '$ stays literal');
    // every variable from the pod's own Secret (a cron job's secrets among them), never in the spec
    const secretName = envSecretName('cron-a-1');
    assert.deepEqual(app.env, [
      { name: 'GREETING', valueFrom: { secretKeyRef: { name: secretName, key: 'GREETING' } } },
      { name: 'PRICE', valueFrom: { secretKeyRef: { name: secretName, key: 'PRICE' } } },
    ]);
    const secret = (await kube.json<{ data: Record<string, string>; metadata: Pod['metadata'] }>(
      'GET',
      `/api/v1/namespaces/${ns}/secrets/${secretName}`,
      { ctx: { verb: 'get', resource: 'secrets' } },
    ))!;
    assert.equal(Buffer.from(secret.data.PRICE!, 'base64').toString(), '$5', 'a Secret value is literal');
    assert.deepEqual(
      secret.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid]),
      [['Pod', 'cron-a-1', id]],
      'the pod owns its Secret',
    );
    // the namespace's own garbage collection leaves a one-off pod's Secret alone
    await engine.applyNamespace(
      testNamespace(owner, { pullSecret: { registry: 'r.example:5000', username: 'u', password: 'p' } }),
    );
    assert.ok(await secretOf(secretName), 'kept by applyNamespace');
    assert.equal(app.workingDir, '/work');
    assert.deepEqual(app.resources, {
      limits: { cpu: '250m', memory: '64Mi' },
      requests: { cpu: '250m', memory: '64Mi' },
    });
    assert.deepEqual(app.securityContext, {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
    });
    assert.deepEqual(
      (app.volumeMounts as Obj[]).map((m) => m.mountPath),
      ['/tmp'],
      'a writable /tmp on a read-only root',
    );
    const labels = pod.metadata.labels!;
    assert.equal(labels['berth.cron-run'], 'run-cron-a-1', "the caller's labels stay");
    assert.equal(labels[labelKeys.instance], 'it');
    assert.equal(labels['berth.one-off'], 'true');
    assert.equal(labels[labelKeys.service], undefined, 'never a service label a ReplicaSet could adopt by');
    const managers = (pod.metadata as { managedFields?: { manager: string; operation: string }[] })
      .managedFields!;
    assert.ok(
      managers.some((m) => m.manager === 'berth' && m.operation === 'Apply'),
      'server-side apply',
    );

    assert.equal(await engine.waitContainer(id), 3);
    const obs = await waitFor('the pod ended', async () => {
      const o = await engine.inspectContainer(id);
      return o?.state === 'exited' && o;
    });
    assert.equal(obs.exitCode, 3);
    assert.equal(exitReason(obs), 'Error (exit 3)');
    assert.equal((await podOf('cron-a-1'))!.status?.phase, 'Failed');
    const found = await engine.listContainers({ 'berth.cron-instance': 'it' });
    assert.deepEqual(
      found.map((c) => c.name),
      ['cron-a-1'],
    );
    const lines: string[] = [];
    for await (const l of engine.logs(id, {})) lines.push(l.text);
    assert.deepEqual(lines, ['hello /home', 'second line']);
    await engine.removeContainer(id);
    await waitFor('the pod gone', async () => (await podOf('cron-a-1')) === null);
    await waitFor('its Secret gone with it', async () => (await secretOf(secretName)) === null);
    await waitFor('the pod out of the cache', async () => (await engine.inspectContainer(id)) === null);
  });

  it('reports success, an OOM kill, and a stop of a running pod', async () => {
    fake.setPodProgram((pod) => (pod.name === 'cron-ok-1' ? { output: 'done\n', exitCode: 0 } : null));
    const ok = await engine.runContainer(cronSpec('cron-ok-1'));
    assert.equal(await engine.waitContainer(ok), 0);
    const done = await waitFor('succeeded', async () => {
      const o = await engine.inspectContainer(ok);
      return o?.state === 'exited' && o;
    });
    assert.equal(exitReason(done), 'Completed');
    assert.equal((await podOf('cron-ok-1'))!.status?.phase, 'Succeeded');

    fake.setPodProgram(null);
    const oom = await engine.runContainer(cronSpec('cron-oom-1'));
    const running = await engine.inspectContainer(oom);
    assert.equal(running?.state, 'running', 'a started one-off pod is running, not merely created');
    await waitFor('started', async () => (await podOf('cron-oom-1'))?.status?.phase === 'Running');
    fake.killContainer(ns, 'cron-oom-1', { reason: 'OOMKilled' });
    assert.equal(await engine.waitContainer(oom), 137);
    const killed = await waitFor('oom seen', async () => {
      const o = await engine.inspectContainer(oom);
      return o?.state === 'exited' && o;
    });
    assert.equal(killed.oomKilled, true);
    assert.equal(exitReason(killed), 'OOMKilled');

    const long = await engine.runContainer(cronSpec('cron-long-1'));
    const ac = new AbortController();
    const waiting = engine.waitContainer(long, ac.signal);
    await engine.stopContainer(long, 5);
    assert.equal(await waiting, null, 'gone without an end the kubelet reported');
    await waitFor('stopped pod gone', async () => (await podOf('cron-long-1')) === null);
    for (const id of [ok, oom]) await engine.removeContainer(id);
  });

  it('runs as root only when the spec asks, mounts claims, and refuses what a pod cannot do', async () => {
    await engine.runContainer(
      cronSpec('cron-root-1', {
        user: '0',
        readOnlyRootfs: false,
        volumes: [{ name: 'data', destination: '/data', readOnly: true }],
      }),
    );
    const spec = (await podOf('cron-root-1'))!.spec as Obj;
    assert.deepEqual(spec.securityContext, {
      runAsUser: 0,
      fsGroup: 0,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.deepEqual(spec.volumes, [
      { name: claimName('data'), persistentVolumeClaim: { claimName: claimName('data') } },
    ]);
    await engine.removeContainer('cron-root-1');
    await assert.rejects(
      engine.runContainer(cronSpec('cron-name-1', { user: 'nobody' })),
      /user "nobody" is a name/,
    );
    await assert.rejects(
      engine.runContainer(cronSpec('cron-bind-1', { mounts: [{ source: '/srv', destination: '/srv' }] })),
      /binds host directories \(\/srv\)/,
    );
    await assert.rejects(engine.runContainer(cronSpec('Cron_Upper')), /not a Kubernetes pod name/);
    assert.equal(await podOf('cron-name-1'), null, 'nothing was created');
  });

  it('sees a pod that cannot pull its image as never started', () => {
    const pod: Pod = {
      metadata: { name: 'p', namespace: ns, uid: 'u', labels: { 'berth.one-off': 'true' } },
      spec: { containers: [{ name: 'app', image: 'nope' }] },
      status: {
        phase: 'Pending',
        containerStatuses: [
          {
            name: 'app',
            image: 'nope',
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'ImagePullBackOff' } },
          },
        ],
      },
    };
    assert.equal(observationOf(pod, 'pod-ip', null).state, 'created');
    pod.status!.containerStatuses![0]!.state = { waiting: { reason: 'ContainerCreating' } };
    assert.equal(observationOf(pod, 'pod-ip', null).state, 'running');
    delete pod.metadata.labels!['berth.one-off'];
    assert.equal(observationOf(pod, 'pod-ip', null).state, 'created', "a service's pending pod is created");
  });

  it('the orphan sweep keeps a live one-off pod, and deletes one long ended or of a gone environment', async () => {
    fake.setPodProgram((pod) => (pod.name === 'cron-old-1' ? { exitCode: 0 } : null));
    const live = await engine.runContainer(cronSpec('cron-live-1'));
    const old = await engine.runContainer(cronSpec('cron-old-1'));
    await engine.waitContainer(old);
    const keep = (envs: string[]) => () =>
      Promise.resolve<OrphanKeep>({
        services: new Set(),
        envs: new Set(envs),
        volumes: new Set(),
        configs: new Set(),
      });
    const selector = ownershipSelector({ instance: 'it', cluster: 'fake' });
    const ownerLabels = ownershipLabels({ instance: 'it', cluster: 'fake' });
    assert.deepEqual(await collectOrphans(kube, selector, keep(['shop/prod'])), [], 'both kept for now');
    const later = Date.now() + oneOffKeepMs + 60_000;
    assert.deepEqual(await collectOrphans(kube, selector, keep(['shop/prod']), later), [
      `pods/${ns}/cron-old-1`,
    ]);
    assert.ok(await podOf('cron-live-1'), 'the running one stays, however old');
    // a Secret left without its pod (a crash between the two applies) goes after the same hour
    await kube.json('POST', `/api/v1/namespaces/${ns}/secrets`, {
      body: {
        metadata: {
          name: 'cron-lost-1-env',
          labels: {
            ...ownerLabels,
            'berth.one-off': 'true',
            [labelKeys.project]: project,
            [labelKeys.env]: env,
          },
        },
        data: { A: 'Yg==' },
      },
      ctx: { verb: 'create', resource: 'secrets' },
    });
    assert.deepEqual(
      await collectOrphans(kube, selector, keep(['shop/prod'])),
      [],
      'not while it may be in flight',
    );
    assert.deepEqual(await collectOrphans(kube, selector, keep(['shop/prod']), later), [
      `secrets/${ns}/cron-lost-1-env`,
    ]);
    assert.ok(await secretOf(envSecretName('cron-live-1')), "the live pod's Secret stays");
    const gone = await collectOrphans(kube, selector, keep([]), later);
    assert.ok(gone.includes(`pods/${ns}/cron-live-1`), gone.join());
    await waitFor('live pod gone', async () => (await engine.inspectContainer(live)) === null);
  });
});
