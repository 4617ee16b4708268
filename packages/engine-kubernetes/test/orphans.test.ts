/**
 * The sweep of orphans (src/orphans.ts) on the test API server: objects of this Berth cluster
 * whose service, volume or environment Berth no longer has go; a claim only with its volume; a
 * namespace only once no claim is left in it; another Berth cluster's objects (a second
 * registration of the same API server) never.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { OrphanKeep } from '@berth/engine-api';
import { KubeClient } from '../src/client';
import { KubernetesEngine } from '../src/kubernetes-engine';
import { canaryDeploymentName, claimName, configMapName, envSecretName, namespaceName } from '../src/names';
import { startFakeApiServer, testNamespace, testWorkload, type FakeApiServer } from '../src/testing/index';

const project = 'shop';
const env = 'prod';
const ns = namespaceName(project, env);
const owner = { project, env, instance: 'it', cluster: 'fake' };
const site = { config: 'site', version: 1, path: '/etc/site', files: { 'a.txt': 'x' } };
const volume = (name: string) => ({
  volume: name,
  path: `/${name}`,
  readOnly: false,
  sizeMiB: 16,
  accessMode: 'ReadWriteOnce' as const,
});

describe('the sweep of orphans on the test API server', () => {
  let fake: FakeApiServer;
  let engine: KubernetesEngine;
  let other: KubernetesEngine;
  let kube: KubeClient;
  const exists = async (path: string) =>
    (await kube.json('GET', path, { allow: [404], ctx: { verb: 'get', resource: 'test' } })) !== null;
  const keep = (k: Partial<OrphanKeep>) => () =>
    Promise.resolve({
      services: new Set<string>(),
      envs: new Set<string>(),
      volumes: new Set<string>(),
      configs: new Set<string>(),
      ...k,
    });

  before(async () => {
    fake = await startFakeApiServer({ bookmarkIntervalMs: 200 });
    engine = new KubernetesEngine({ cluster: 'fake', instanceId: 'it', kubeconfig: fake.kubeconfig });
    // another registration of the same API server, with its own prefix
    other = new KubernetesEngine({
      cluster: 'fake2',
      instanceId: 'it',
      kubeconfig: fake.kubeconfig,
      namespacePrefix: 'two',
    });
    kube = new KubeClient({ cluster: 'fake', kubeconfig: fake.kubeconfig });
    await engine.applyNamespace(testNamespace(owner));
    await engine.applyWorkload(
      testWorkload(
        { ...owner, service: 'web', serviceId: 'id-web' },
        { configs: [site], volumes: [volume('data')], secretVariables: { K: 'v' } },
      ),
    );
    await engine.applyWorkload(
      testWorkload(
        { ...owner, service: 'gone', serviceId: 'id-gone' },
        {
          configs: [{ ...site, config: 'only-gone' }],
          volumes: [volume('old')],
          secretVariables: { K: 'v' },
        },
      ),
    );
    // a route's canary of the deleted service (ADR 0008): it goes with the service
    await engine.applyCanaries({ project, env, service: 'gone', serviceId: 'id-gone' }, [
      testWorkload(
        { ...owner, service: 'gone', serviceId: 'id-gone' },
        { release: 2, secretVariables: { K: 'c' } },
      ),
    ]);
    const o2 = { ...owner, cluster: 'fake2' };
    await other.applyNamespace(testNamespace(o2));
    await other.applyWorkload(testWorkload({ ...o2, service: 'gone', serviceId: 'id-gone' }));
    await fake.settle();
  });
  after(async () => {
    await engine?.close();
    await other?.close();
    await fake?.close();
  });

  it("deletes a deleted service's objects and a deleted volume's claim, and nothing Berth still has", async () => {
    const gone = await engine.collectOrphans(
      keep({
        services: new Set(['id-web']),
        envs: new Set([`${project}/${env}`]),
        volumes: new Set([`${project}/${env}/data`]),
        configs: new Set([`${project}/site`]),
      }),
    );
    assert.deepEqual(gone.sort(), [
      `configmaps/${ns}/${configMapName('only-gone', 1)}`,
      `deployments/${ns}/gone`,
      `deployments/${ns}/${canaryDeploymentName('gone', 2)}`,
      `persistentvolumeclaims/${ns}/${claimName('old')}`,
      `secrets/${ns}/${envSecretName(canaryDeploymentName('gone', 2))}`,
      `secrets/${ns}/${envSecretName('gone')}`,
      `services/${ns}/gone`,
    ]);
    for (const path of [
      `/apis/apps/v1/namespaces/${ns}/deployments/web`,
      `/api/v1/namespaces/${ns}/services/web`,
      `/api/v1/namespaces/${ns}/secrets/${envSecretName('web')}`,
      `/api/v1/namespaces/${ns}/configmaps/${configMapName('site', 1)}`,
      `/api/v1/namespaces/${ns}/persistentvolumeclaims/${claimName('data')}`,
      `/api/v1/namespaces/${ns}`,
    ])
      assert.ok(await exists(path), `${path} stays`);
    // the other registration's objects of the same service id are its own to collect
    const otherNs = namespaceName(project, env, 'two');
    assert.ok(await exists(`/apis/apps/v1/namespaces/${otherNs}/deployments/gone`));
    assert.deepEqual(
      await engine.collectOrphans(
        keep({
          services: new Set(['id-web']),
          envs: new Set([`${project}/${env}`]),
          volumes: new Set([`${project}/${env}/data`]),
          configs: new Set([`${project}/site`]),
        }),
      ),
      [],
      'nothing more',
    );
  });

  it('keeps the namespace of a deleted environment while a claim of a kept volume is in it, and deletes it with the volume', async () => {
    const withVolume = await engine.collectOrphans(
      keep({ volumes: new Set([`${project}/${env}/data`]), configs: new Set([`${project}/site`]) }),
    );
    assert.ok(withVolume.includes(`deployments/${ns}/web`), withVolume.join());
    assert.ok(
      !withVolume.some((g) => g.startsWith('namespaces/')),
      'the namespace stays: its claim holds data',
    );
    assert.ok(await exists(`/api/v1/namespaces/${ns}/persistentvolumeclaims/${claimName('data')}`));
    const all = await engine.collectOrphans(keep({}));
    assert.deepEqual(all.sort(), [`namespaces/${ns}`, `persistentvolumeclaims/${ns}/${claimName('data')}`]);
    assert.equal(await exists(`/api/v1/namespaces/${ns}`), false);
    // the other cluster's namespace: untouched by this cluster's sweep
    assert.ok(await exists(`/api/v1/namespaces/${namespaceName(project, env, 'two')}`));
  });
});
