/**
 * Route canaries on Kubernetes (ADR 0008) against the test API server: a canary is a Deployment
 * of its own, outside the service's Deployment (whose selector says `berth.canary DoesNotExist`)
 * and Service (its pods are `berth.rotation: canary`), with its own Secret and, with node-port
 * exposure, its own NodePort Service; a service Deployment applied before canaries gets the new
 * selector by an orphaning delete and re-apply that restarts no pod; ending the canary deletes
 * its objects and nothing of the service's.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { labelKeys, type ContainerObservation, type WorkloadRef, type WorkloadSpec } from '@berth/engine-api';
import { applyObject } from '../src/apply';
import { KubeClient } from '../src/client';
import type { Pod } from '../src/kube-types';
import { KubernetesEngine } from '../src/kubernetes-engine';
import { workloadObjects } from '../src/manifests/index';
import { canaryDeploymentName, canaryServiceName, envSecretName, namespaceName } from '../src/names';
import { startFakeApiServer, testNamespace, testWorkload, type FakeApiServer } from '../src/testing/index';

type Obj = Record<string, unknown>;
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
const ref = (service: string): WorkloadRef => ({ project, env, service, serviceId: `id-${service}` });
const spec = (service: string, over: Partial<WorkloadSpec> = {}) =>
  testWorkload({ ...owner, service, serviceId: `id-${service}` }, over);
const isCanary = (o: ContainerObservation) => o.labels[labelKeys.canary] !== undefined;

void describe('route canaries on the test API server (ADR 0008)', () => {
  let fake: FakeApiServer;
  let engine: KubernetesEngine;
  let kube: KubeClient;
  const get = (path: string) =>
    kube.json<Obj>('GET', path, { allow: [404], ctx: { verb: 'get', resource: 'test' } });
  const deployment = (name: string) => get(`/apis/apps/v1/namespaces/${ns}/deployments/${name}`);
  const live = async (service: string) =>
    (await engine.listContainers({ [labelKeys.service]: `id-${service}` })).filter((p) => !p.terminating);
  /** The service's running pods once there are `stable` of the service and `canary` of canaries, all ready. */
  const pods = (service: string, stable: number, canary: number) =>
    waitFor(`${stable} stable and ${canary} canary pods of ${service}`, async () => {
      await fake.settle();
      const all = await live(service);
      const c = all.filter(isCanary);
      const s = all.filter((p) => !isCanary(p));
      return (
        c.length === canary && s.length === stable && all.every((p) => p.ready) && { stable: s, canary: c }
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
    await engine.applyNamespace(testNamespace(owner));
  });
  after(async () => {
    await engine?.close();
    await fake?.close();
  });

  it('replaces a Deployment applied before canaries with the new selector, adopting its pods: none restarts', async () => {
    // the Deployment as Berth applied it before ADR 0008: the service id alone selects
    const old = workloadObjects(spec('legacy', { replicas: 2 })).map((o) => {
      if (o.kind !== 'Deployment') return o;
      const s = o.spec as Obj;
      return { ...o, spec: { ...s, selector: { matchLabels: { [labelKeys.service]: 'id-legacy' } } } };
    });
    for (const o of old) await applyObject(kube, o);
    const before = (await pods('legacy', 2, 0)).stable.map((p) => p.id).sort();
    const oldUid = ((await deployment('legacy'))!.metadata as Obj).uid;

    await engine.applyWorkload(spec('legacy', { replicas: 2 }));
    const d = (await deployment('legacy')) as {
      metadata: { uid: string };
      spec: { selector: Obj };
    };
    assert.notEqual(d.metadata.uid, oldUid, 'the Deployment was created again');
    assert.deepEqual(d.spec.selector, {
      matchLabels: { [labelKeys.service]: 'id-legacy' },
      matchExpressions: [{ key: labelKeys.canary, operator: 'DoesNotExist' }],
    });
    const st = await waitFor('the new Deployment to own its adopted ReplicaSet', async () => {
      await fake.settle();
      const s = await engine.workloadStatus(ref('legacy'));
      return s?.observed && s.ready === 2 && s.updated === 2 && s;
    });
    assert.equal(st.release, 1);
    const rs = (await get(`/apis/apps/v1/namespaces/${ns}/replicasets`)) as {
      items: { metadata: { labels: Record<string, string>; ownerReferences?: { uid: string }[] } }[];
    };
    const mine = rs.items.filter((r) => r.metadata.labels[labelKeys.service] === 'id-legacy');
    assert.equal(mine.length, 1, 'no new ReplicaSet: the template did not change');
    assert.equal(mine[0]!.metadata.ownerReferences?.[0]?.uid, d.metadata.uid, 'adopted');
    const after = (await pods('legacy', 2, 0)).stable.map((p) => p.id).sort();
    assert.deepEqual(after, before, 'the same pods run: none was restarted');
    // the next apply finds the selector right and does not replace it again
    await engine.applyWorkload(spec('legacy', { replicas: 2 }));
    assert.equal(((await deployment('legacy'))!.metadata as Obj).uid, d.metadata.uid);
  });

  it('runs a canary as its own Deployment and Secret, outside the service’s Deployment and Service', async () => {
    await engine.applyWorkload(spec('web', { release: 2, replicas: 2, secretVariables: { TOKEN: 'two' } }));
    const stableBefore = (await pods('web', 2, 0)).stable.map((p) => p.id).sort();
    await engine.applyCanaries(ref('web'), [
      spec('web', { release: 1, replicas: 1, secretVariables: { TOKEN: 'one' } }),
    ]);
    const { stable, canary } = await pods('web', 2, 1);
    assert.deepEqual(stable.map((p) => p.id).sort(), stableBefore, 'the service’s pods are untouched');
    const c = canary[0]!;
    assert.equal(c.labels[labelKeys.release], '1');
    assert.equal(c.labels[labelKeys.canary], 'true');
    assert.equal(c.labels['berth.rotation'], 'canary');
    assert.ok(c.ports['8080'], 'the canary pod has an address for the gateways');
    assert.ok(
      stable.every((p) => p.labels[labelKeys.release] === '2' && p.labels['berth.rotation'] === 'in'),
    );

    const name = canaryDeploymentName('web', 1);
    assert.match(name, /^web-canary-r1-[0-9a-f]{8}$/);
    const d = (await deployment(name)) as {
      metadata: { labels: Record<string, string> };
      spec: { replicas: number; selector: Obj; template: { spec: { containers: { env?: Obj[] }[] } } };
    };
    assert.equal(d.metadata.labels[labelKeys.canary], 'true');
    assert.equal(d.metadata.labels[labelKeys.service], 'id-web');
    assert.equal(d.spec.replicas, 1);
    assert.deepEqual(d.spec.selector, {
      matchLabels: { [labelKeys.service]: 'id-web', [labelKeys.canary]: 'true', [labelKeys.release]: '1' },
    });
    // its own Secret holds release 1's value; the service's keeps release 2's
    const secret = (name: string) =>
      get(`/api/v1/namespaces/${ns}/secrets/${name}`).then((s) =>
        Buffer.from((s as { data: Record<string, string> }).data.TOKEN ?? '', 'base64').toString(),
      );
    assert.equal(await secret(envSecretName(name)), 'one');
    assert.equal(await secret(envSecretName('web')), 'two');
    assert.ok(JSON.stringify(d.spec.template.spec.containers[0]!.env).includes(envSecretName(name)));

    // the service's Deployment counts its own pods only, and the stable Service selects none of the canary's
    const st = await engine.workloadStatus(ref('web'));
    assert.equal(st?.release, 2);
    assert.equal(st?.ready, 2);
    const svc = (await get(`/api/v1/namespaces/${ns}/services/web`)) as {
      spec: { selector: Record<string, string> };
    };
    const selects = (labels: Record<string, string>) =>
      Object.entries(svc.spec.selector).every(([k, v]) => labels[k] === v);
    assert.ok(stable.every((p) => selects(p.labels)));
    assert.ok(!selects(c.labels), 'the canary pod is outside the stable Service');

    // a new apply of the service (scale) leaves the canary alone: its garbage collection skips it
    await engine.applyWorkload(spec('web', { release: 2, replicas: 3, secretVariables: { TOKEN: 'two' } }));
    await pods('web', 3, 1);
    assert.ok(await deployment(name));
  });

  it('takes a canary pod out of rotation and back to `canary`, never into the stable Service', async () => {
    const [c] = (await live('web')).filter(isCanary);
    await engine.setInRotation(c!.id, false);
    await waitFor(
      'out',
      async () => (await engine.inspectContainer(c!.id))?.labels['berth.rotation'] === 'out',
    );
    await engine.setInRotation(c!.id, true);
    await waitFor(
      'back',
      async () => (await engine.inspectContainer(c!.id))?.labels['berth.rotation'] === 'canary',
    );
  });

  it('ends a canary (abort, or after a promotion) by deleting its objects and nothing of the service', async () => {
    const stable = (await pods('web', 3, 1)).stable.map((p) => p.id).sort();
    const name = canaryDeploymentName('web', 1);
    await engine.applyCanaries(ref('web'), []);
    assert.equal(await deployment(name), null, 'the canary Deployment is gone');
    assert.equal(
      await get(`/api/v1/namespaces/${ns}/secrets/${envSecretName(name)}`),
      null,
      'and its Secret',
    );
    const left = await pods('web', 3, 0);
    assert.deepEqual(left.stable.map((p) => p.id).sort(), stable);
    assert.ok(await deployment('web'));
    assert.ok(await get(`/api/v1/namespaces/${ns}/secrets/${envSecretName('web')}`));
  });

  it('node-port exposure: the canary gets its own NodePort Service, and its pods its NodePorts', async () => {
    const np = new KubernetesEngine({
      cluster: 'fake',
      instanceId: 'it',
      kubeconfig: fake.kubeconfig,
      exposure: 'node-port',
    });
    try {
      await np.applyWorkload(spec('np', { exposure: 'node-port', release: 2 }));
      await np.applyCanaries(ref('np'), [spec('np', { exposure: 'node-port', release: 1 })]);
      await fake.settle();
      const nodePort = async (name: string) =>
        (
          (await get(`/api/v1/namespaces/${ns}/services/${name}`)) as {
            spec: { type: string; ports: { nodePort: number }[] };
          }
        ).spec;
      const stableSvc = await nodePort('np');
      const canarySvc = await nodePort(canaryServiceName('np', 1));
      assert.equal(canarySvc.type, 'NodePort');
      assert.notEqual(canarySvc.ports[0]!.nodePort, stableSvc.ports[0]!.nodePort);
      const seen = await waitFor('both pods with NodePort addresses', async () => {
        const all = await np.listContainers({ [labelKeys.service]: 'id-np' });
        return all.length === 2 && all.every((o) => o.ports['8080']) && all;
      });
      assert.equal(seen.find(isCanary)!.ports['8080'], `127.0.0.1:${canarySvc.ports[0]!.nodePort}`);
      assert.equal(
        seen.find((o) => !isCanary(o))!.ports['8080'],
        `127.0.0.1:${stableSvc.ports[0]!.nodePort}`,
      );
      await np.applyCanaries(ref('np'), []);
      assert.equal(await get(`/api/v1/namespaces/${ns}/services/${canaryServiceName('np', 1)}`), null);
      assert.ok(await get(`/api/v1/namespaces/${ns}/services/np`));
    } finally {
      await np.close();
    }
  });

  it('deleting the service deletes its canaries too', async () => {
    await engine.applyCanaries(ref('web'), [spec('web', { release: 1 })]);
    await pods('web', 3, 1);
    await engine.deleteWorkload(ref('web'));
    assert.equal(await deployment(canaryDeploymentName('web', 1)), null);
    await waitFor('no pod of web left', async () => {
      await fake.settle();
      return (await live('web')).length === 0;
    });
  });
});
