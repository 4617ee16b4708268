/**
 * What only the Kubernetes engine does, against the test API server with the real HTTP path:
 * hand edits reported by server-side apply, garbage collection (a ConfigMap kept while old pods
 * mount it, claims never collected, namespace objects no longer wanted), an OOM kill seen as
 * such, NodePort addresses, exec's timeout and v4 stdin semantics; and the pure parts (Status
 * mapping, log lines, exit codes, pod transitions) without a server.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { labelKeys, type EngineEvent, type NamespaceSpec, type WorkloadSpec } from '@berth/engine-api';
import { EngineError } from '@berth/shared';
import { sharedFields } from '../src/apply';
import { KubeClient } from '../src/client';
import { kubeError } from '../src/errors';
import { checkExecUser, exitCodeOf, wrapCommand } from '../src/exec';
import { parseQuantity, type Pod } from '../src/kube-types';
import { KubernetesEngine } from '../src/kubernetes-engine';
import { parseLogLine, sinceTime } from '../src/logs';
import { configMapName, claimName, deploymentName, namespaceName } from '../src/names';
import { podTransitions } from '../src/observation';
import { startFakeApiServer, testNamespace, testWorkload, type FakeApiServer } from '../src/testing/index';

const podAddress = (pod: Pod, port: number): string | null => {
  const host = pod.metadata.annotations?.[`fake.berth.dev/port-${port}`];
  return host ? `127.0.0.1:${host}` : null;
};

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}

const project = 'shop';
const env = 'prod';
const ns = namespaceName(project, env);

const owner = { project, env, instance: 'it', cluster: 'fake' };
const nsSpec = (over: Partial<NamespaceSpec> = {}) => testNamespace(owner, over);
const spec = (service: string, over: Partial<WorkloadSpec> = {}) =>
  testWorkload({ ...owner, service, serviceId: `id-${service}` }, over);

void describe('KubernetesEngine on the test API server', () => {
  let fake: FakeApiServer;
  let engine: KubernetesEngine;
  let kube: KubeClient;
  const get = (path: string) =>
    kube.json<Record<string, unknown>>('GET', path, { allow: [404], ctx: { verb: 'get', resource: 'test' } });
  const ready = async (service: string, release: number, replicas = 1) =>
    waitFor(`${service} at release ${release}`, async () => {
      await fake.settle();
      const st = await engine.workloadStatus({ project, env, service, serviceId: `id-${service}` });
      const pods = (await engine.listContainers({ [labelKeys.service]: `id-${service}` })).filter(
        (p) => !p.terminating,
      );
      return (
        st?.observed &&
        st.release === release &&
        st.ready === replicas &&
        st.updated === replicas &&
        pods.length === replicas &&
        pods.every((p) => p.labels[labelKeys.release] === String(release)) &&
        pods
      );
    });

  before(async () => {
    fake = await startFakeApiServer({ bookmarkIntervalMs: 200 });
    engine = new KubernetesEngine({
      cluster: 'fake',
      instanceId: 'it',
      kubeconfig: fake.kubeconfig,
      podAddress,
    });
    kube = new KubeClient({ cluster: 'fake', kubeconfig: fake.kubeconfig });
    await engine.applyNamespace(nsSpec());
  });
  after(async () => {
    await engine?.close();
    await fake?.close();
  });

  it("a hand edit of a field Berth sets is overridden and named in the workload's status", async () => {
    await engine.applyWorkload(spec('edited', { replicas: 2 }));
    await ready('edited', 1, 2);
    // `kubectl scale` writes spec.replicas as its own field manager.
    await kube.json('PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/${deploymentName('edited')}`, {
      query: { fieldManager: 'kubectl-scale' },
      body: { spec: { replicas: 5 } },
      contentType: 'application/merge-patch+json',
      ctx: { verb: 'patch', resource: 'deployments.apps' },
    });
    await engine.applyWorkload(spec('edited', { replicas: 2 }));
    const d = (await get(`/apis/apps/v1/namespaces/${ns}/deployments/${deploymentName('edited')}`)) as {
      spec: { replicas: number };
    };
    assert.equal(d.spec.replicas, 2, "Berth's value wins");
    const st = await engine.workloadStatus({ project, env, service: 'edited', serviceId: 'id-edited' });
    assert.match(st?.message ?? '', /kubectl-scale/);
    assert.match(st?.message ?? '', /replicas/);
    // The next clean apply has nothing to report.
    await engine.applyWorkload(spec('edited', { replicas: 2 }));
    const clean = await engine.workloadStatus({ project, env, service: 'edited', serviceId: 'id-edited' });
    assert.doesNotMatch(clean?.message ?? '', /took over/);
  });

  it('garbage collection keeps a ConfigMap old pods mount until they are gone, and never a claim', async () => {
    const cfg = (version: number) => ({
      config: 'site',
      version,
      path: '/etc/site',
      files: { 'index.html': `v${version}` },
    });
    const vol = {
      volume: 'data',
      path: '/data',
      readOnly: false,
      sizeMiB: 64,
      accessMode: 'ReadWriteOnce' as const,
    };
    await engine.applyWorkload(spec('gc', { configs: [cfg(1)], volumes: [vol] }));
    await ready('gc', 1);
    const cm = (v: number) => get(`/api/v1/namespaces/${ns}/configmaps/${configMapName('site', v)}`);
    // Release 2 mounts version 2 and never gets ready: the release 1 pod keeps running, mounting v1.
    fake.setReadinessPolicy(
      (pod) => (pod.metadata as { labels?: Record<string, string> }).labels?.[labelKeys.release] !== '2',
    );
    try {
      await engine.applyWorkload(spec('gc', { release: 2, configs: [cfg(2)], volumes: [] }));
      await fake.settle();
      assert.ok(await cm(1), 'v1 stays while a pod mounts it');
      assert.ok(await cm(2));
    } finally {
      fake.setReadinessPolicy('immediate');
    }
    await engine.applyWorkload(spec('gc', { release: 3, configs: [cfg(2)], volumes: [] }));
    await ready('gc', 3);
    // No further apply: the engine collects v1 by itself once the pods mounting it are gone.
    await waitFor('v1 collected once no pod mounts it', async () => {
      await fake.settle();
      return (await cm(1)) === null;
    });
    assert.ok(await cm(2));
    assert.ok(
      await get(`/api/v1/namespaces/${ns}/persistentvolumeclaims/${claimName('data')}`),
      'the claim stays',
    );
  });

  it("the namespace's objects no longer wanted are deleted", async () => {
    await engine.applyNamespace(
      nsSpec({ quota: { cpu: 4, memoryMiB: 4096, replicas: 10, volumesGiB: null } }),
    );
    const quotas = async () =>
      (await kube.json<{ items: unknown[] }>('GET', `/api/v1/namespaces/${ns}/resourcequotas`, {
        ctx: { verb: 'list', resource: 'resourcequotas' },
      }))!.items.length;
    assert.equal(await quotas(), 1);
    await engine.applyNamespace(nsSpec());
    assert.equal(await quotas(), 0);
  });

  it('an OOM kill: the observation says OOMKilled with exit 137, and events say oom then died', async () => {
    await engine.applyWorkload(spec('oom'));
    const [p] = await ready('oom', 1);
    const stop = new AbortController();
    const events: EngineEvent[] = [];
    void (async () => {
      for await (const e of engine.events({ [labelKeys.service]: 'id-oom' }, stop.signal)) events.push(e);
    })();
    await sleep(50);
    fake.killContainer(ns, p!.name, { reason: 'OOMKilled', exitCode: 137, restart: false });
    try {
      const obs = await waitFor('the OOM kill observed', async () => {
        const o = await engine.inspectContainer(p!.id);
        return o?.oomKilled && o;
      });
      assert.equal(obs.exitCode, 137);
      await waitFor('oom and died events', async () =>
        events.some((e) => e.type === 'died' && e.exitCode === 137),
      );
      const types = events.filter((e) => e.containerId === p!.id).map((e) => e.type);
      assert.ok(types.indexOf('oom') >= 0 && types.indexOf('oom') < types.indexOf('died'), types.join());
    } finally {
      stop.abort();
    }
  });

  it('exec: execRun answers at its timeout; under v4 ending stdin does not end the process, closing does', async () => {
    await engine.applyWorkload(spec('exec'));
    const [p] = await ready('exec', 1);
    const started = Date.now();
    const r = await engine.execRun(p!.id, ['sleep', '30'], { timeoutMs: 300 });
    assert.deepEqual({ code: r.exitCode, err: r.stderr }, { code: -1, err: 'timed out' });
    assert.ok(Date.now() - started < 10_000);
    // Much more output than a stream buffers, read slowly: the socket pauses, nothing is lost.
    const big = Buffer.alloc(512 * 1024, 'x');
    const s5 = await engine.exec(p!.id, { cmd: ['cat'], tty: false });
    s5.stream.end(big);
    let got = 0;
    for await (const chunk of s5.stream) {
      got += (chunk as Buffer).length;
      if (got < 64 * 1024) await sleep(5);
    }
    assert.equal(got, big.length);
    assert.equal(await s5.exitCode(), 0);
    fake.setExecProtocols(['v4.channel.k8s.io']);
    try {
      const s = await engine.exec(p!.id, { cmd: ['cat'], tty: false });
      s.stream.write('x');
      s.stream.end();
      const exit = s.exitCode();
      const first = await Promise.race([exit.then(() => 'exited'), sleep(500).then(() => 'running')]);
      assert.equal(first, 'running', 'v4 cannot close stdin alone');
      s.close();
      assert.equal(await exit, null, 'closed without a Status');
    } finally {
      fake.setExecProtocols(['v5.channel.k8s.io', 'v4.channel.k8s.io']);
    }
    await assert.rejects(
      engine.execRun(p!.id, ['id', '-u'], { timeoutMs: 5000, user: '2000' }),
      /runs as uid 1000/,
    );
    const id = await engine.execRun(p!.id, ['id', '-u'], { timeoutMs: 5000, user: '1000:1000' });
    assert.equal(id.stdout.trim(), '1000');
  });

  it('node-port exposure: a replica is reached on its node InternalIP and the Service NodePort', async () => {
    const np = new KubernetesEngine({
      cluster: 'fake',
      instanceId: 'it',
      kubeconfig: fake.kubeconfig,
      exposure: 'node-port',
    });
    try {
      await np.applyWorkload(spec('np', { exposure: 'node-port' }));
      await fake.settle();
      const svc = (await get(`/api/v1/namespaces/${ns}/services/np`)) as {
        spec: { type: string; ports: { nodePort: number }[] };
      };
      assert.equal(svc.spec.type, 'NodePort');
      const obs = await waitFor('the NodePort address', async () => {
        const [o] = await np.listContainers({ [labelKeys.service]: 'id-np' });
        return o?.ports['8080'] ? o : null;
      });
      assert.equal(obs.ports['8080'], `127.0.0.1:${svc.spec.ports[0]!.nodePort}`);
    } finally {
      await np.close();
    }
  });

  it('capacity counts Berth pods as used', async () => {
    const c = await engine.capacity();
    assert.ok(c.used.containers >= 1);
    assert.ok(c.used.memoryBytes >= 64 * 1024 * 1024);
    assert.ok(c.allocatableMemoryBytes <= c.memoryBytes);
  });
});

for (const expiredWatchAs of ['event', 'status'] as const) {
  void describe(`the pod watch across a compaction (410 Gone as ${expiredWatchAs === 'event' ? 'an ERROR event' : 'the HTTP status'})`, () => {
    let fake: FakeApiServer;
    let engine: KubernetesEngine;
    before(async () => {
      fake = await startFakeApiServer({ expiredWatchAs, bookmarkIntervalMs: 60_000 });
      engine = new KubernetesEngine({
        cluster: 'fake',
        instanceId: 'it',
        kubeconfig: fake.kubeconfig,
        podAddress,
      });
      await engine.applyNamespace(nsSpec());
    });
    after(async () => {
      await engine?.close();
      await fake?.close();
    });

    it('a change made while the watch was down, behind a compaction, is relisted and its events handed on', async () => {
      await engine.applyWorkload(spec('gap'));
      const [p] = await waitFor('a running pod', async () => {
        await fake.settle();
        const list = await engine.listContainers({ [labelKeys.service]: 'id-gap' });
        return list.length === 1 && list[0]!.ready && list;
      });
      const stop = new AbortController();
      const events: EngineEvent[] = [];
      void (async () => {
        for await (const e of engine.events({ [labelKeys.service]: 'id-gap' }, stop.signal)) events.push(e);
      })();
      await sleep(10);
      const lists = engine.podLists;
      // In one turn: the watch is cut, the container dies unseen, the history is compacted past
      // the engine's resourceVersion. Reconnecting from it must be 410, and the relist must tell.
      fake.dropWatches();
      fake.killContainer(ns, p!.name, { exitCode: 3, restart: false });
      fake.compact();
      try {
        const obs = await waitFor('the death seen after the relist', async () => {
          const o = await engine.inspectContainer(p!.id);
          return o?.exitCode === 3 && o;
        });
        assert.equal(obs.exitCode, 3);
        assert.ok(engine.podLists > lists, 'the engine listed again');
        await waitFor('the died event from the relist', async () =>
          events.some((e) => e.type === 'died' && e.exitCode === 3 && e.containerId === p!.id),
        );
      } finally {
        stop.abort();
      }
    });
  });
}

void describe('Kubernetes engine pure parts', () => {
  it('Status answers map to errors naming the RBAC verb, the fields, and never credentials', () => {
    const forbidden = kubeError(
      403,
      { message: 'pods is forbidden: User "system:serviceaccount:berth:berth" cannot list resource "pods"' },
      { verb: 'list', resource: 'pods', namespace: 'a' },
      'prod',
    );
    assert.match(forbidden.message, /does not allow Berth to list pods in namespace a \(403 Forbidden\)/);
    assert.match(forbidden.message, /Grant the verb "list" on "pods"/);
    const invalid = kubeError(
      422,
      {
        reason: 'Invalid',
        details: { causes: [{ field: 'spec.template.spec.containers[0].image', message: 'Required value' }] },
      },
      { verb: 'patch', resource: 'deployments.apps', namespace: 'a', name: 'web' },
      'prod',
    );
    assert.deepEqual(invalid.details?.fields, [
      { path: 'spec.template.spec.containers[0].image', message: 'Required value' },
    ]);
    assert.match(invalid.message, /spec\.template\.spec\.containers\[0\]\.image: Required value/);
    assert.equal(
      kubeError(409, { reason: 'Conflict' }, { verb: 'patch', resource: 'x' }, 'c').code,
      'CONFLICT',
    );
    assert.equal(kubeError(503, undefined, { verb: 'get', resource: 'x' }, 'c').code, 'UNAVAILABLE');
  });

  it('log lines: RFC 3339 prefix parsed, since as unix seconds', () => {
    assert.deepEqual(parseLogLine('2026-01-02T03:04:05.123456789Z hello world', 'x'), {
      stream: 'stdout',
      at: '2026-01-02T03:04:05.123456789Z',
      text: 'hello world',
    });
    assert.deepEqual(parseLogLine('no time here', 'prev'), {
      stream: 'stdout',
      at: 'prev',
      text: 'no time here',
    });
    assert.equal(sinceTime('1767322800'), '2026-01-02T03:00:00.000Z');
    assert.equal(sinceTime(undefined), undefined);
  });

  it('exec: exit codes from the Status, users, env and working directory', () => {
    assert.equal(exitCodeOf({ status: 'Success' }).code, 0);
    assert.equal(
      exitCodeOf({
        status: 'Failure',
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: '42' }] },
      }).code,
      42,
    );
    assert.equal(exitCodeOf({ status: 'Failure', message: 'executable file not found in $PATH' }).code, 127);
    const pod = {
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'app', image: 'x' }], securityContext: { runAsUser: 1000 } },
    } as Pod;
    assert.throws(() => checkExecUser(pod, '0:0'), /cannot switch user/);
    assert.throws(() => checkExecUser(pod, 'root'), /cannot switch user/);
    assert.doesNotThrow(() => checkExecUser(pod, '1000'));
    assert.doesNotThrow(() => checkExecUser(pod, undefined));
    const imageUser = { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'x' }] } } as Pod;
    assert.doesNotThrow(() => checkExecUser(imageUser, '65534:65534'), "the image's user: unknown, passes");
    assert.deepEqual(wrapCommand({ cmd: ['sh'], env: { TERM: 'xterm' }, workingDir: '/app' }), [
      'sh',
      '-c',
      'cd -- "$0" && exec "$@"',
      '/app',
      'env',
      'TERM=xterm',
      'sh',
    ]);
  });

  it('pod transitions: create/start, a restart is died + start, deletion is remove', () => {
    const base: Pod = {
      metadata: { name: 'p', uid: 'u1', labels: { a: 'b' }, creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: { containers: [{ name: 'app', image: 'x' }] },
      status: {
        phase: 'Pending',
        containerStatuses: [{ name: 'app', image: 'x', restartCount: 0, state: { waiting: {} } }],
      },
    };
    assert.deepEqual(
      podTransitions(undefined, base).map((e) => e.type),
      ['create'],
    );
    const running: Pod = {
      ...base,
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'app',
            image: 'x',
            restartCount: 0,
            state: { running: { startedAt: '2026-01-01T00:00:01Z' } },
          },
        ],
      },
    };
    assert.deepEqual(
      podTransitions(base, running).map((e) => e.type),
      ['start'],
    );
    const restarted: Pod = {
      ...base,
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'app',
            image: 'x',
            restartCount: 1,
            state: { running: { startedAt: '2026-01-01T00:00:09Z' } },
            lastState: {
              terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: '2026-01-01T00:00:08Z' },
            },
          },
        ],
      },
    };
    const ev = podTransitions(running, restarted);
    assert.deepEqual(
      ev.map((e) => [e.type, e.exitCode]),
      [
        ['oom', null],
        ['died', 137],
        ['start', null],
      ],
    );
    assert.deepEqual(
      podTransitions(restarted, undefined).map((e) => e.type),
      ['died', 'remove'],
    );
  });

  it("managedFields: other managers owning fields of Berth's apply are named", () => {
    const managed = [
      {
        manager: 'berth',
        operation: 'Apply' as const,
        fieldsV1: {
          'f:spec': { 'f:replicas': {}, 'f:template': { 'f:metadata': { 'f:labels': { 'f:app': {} } } } },
        },
      },
      { manager: 'kubectl-edit', operation: 'Update' as const, fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
      {
        manager: 'other',
        operation: 'Update' as const,
        fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:x': {} } } },
      },
      {
        manager: 'kube-controller-manager',
        operation: 'Update' as const,
        subresource: 'status',
        fieldsV1: { 'f:spec': { 'f:replicas': {} } },
      },
    ];
    assert.deepEqual(sharedFields(managed), ['kubectl-edit: .spec.replicas']);
    assert.deepEqual(sharedFields(undefined), []);
  });

  it('a broken kubeconfig is an EngineError that does not quote it', () => {
    assert.throws(
      () =>
        new KubeClient({ cluster: 'c', kubeconfig: 'users:\n- name: u\n  user: {token: "sekret-token"\n' }),
      (err: Error) =>
        err instanceof EngineError &&
        /kubeconfig cannot be read/.test(err.message) &&
        !/sekret/.test(err.message),
    );
    assert.throws(
      () => new KubeClient({ cluster: 'c', kubeconfig: 'apiVersion: v1\nkind: Config\n' }),
      /no current context/,
    );
  });

  it('quantities', () => {
    assert.equal(parseQuantity('250m'), 0.25);
    assert.equal(parseQuantity('64Mi'), 64 * 1024 * 1024);
    assert.equal(parseQuantity('1G'), 1e9);
    assert.equal(parseQuantity('2'), 2);
    assert.ok(Math.abs(parseQuantity('12345n') - 12345e-9) < 1e-15);
  });
});
