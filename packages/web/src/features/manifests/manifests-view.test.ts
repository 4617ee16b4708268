import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manifestsEn } from './messages';
import { manifestsZh } from './messages.zh';
import { kubernetesChoices, manifestsFileName, pickCluster } from './manifests-view';

describe('manifests view helpers', () => {
  const clusters = [
    { name: 'local', kind: 'podman' },
    { name: 'k8s-z', kind: 'kubernetes' },
    { name: 'k8s-b', kind: 'kubernetes' },
    { name: 'k8s-a', kind: 'kubernetes' },
  ];

  it("offers only Kubernetes clusters, the environment's own first", () => {
    assert.deepEqual(kubernetesChoices(clusters, ['local', 'k8s-z']), [
      { name: 'k8s-z', inEnv: true },
      { name: 'k8s-a', inEnv: false },
      { name: 'k8s-b', inEnv: false },
    ]);
    assert.deepEqual(
      kubernetesChoices(clusters, null).map((c) => c.name),
      ['k8s-a', 'k8s-b', 'k8s-z'],
    );
    assert.deepEqual(kubernetesChoices([{ name: 'local', kind: 'podman' }], ['local']), []);
  });

  it('shows the cluster the URL asks for when offered, else the first choice, else none', () => {
    const choices = kubernetesChoices(clusters, ['k8s-z']);
    assert.equal(pickCluster(choices, 'k8s-b'), 'k8s-b');
    assert.equal(pickCluster(choices, 'local'), 'k8s-z', 'a Podman cluster is never asked for');
    assert.equal(pickCluster(choices, null), 'k8s-z');
    assert.equal(pickCluster([], 'k8s-a'), null);
  });

  it('names the download after the service and the cluster', () => {
    assert.equal(
      manifestsFileName({ project: 'shop', env: 'test', service: 'web' }, 'k8s-a'),
      'shop-test-web.k8s-a.yaml',
    );
  });

  it('has every string in both languages, with the same placeholders', () => {
    const vars = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [key, en] of Object.entries(manifestsEn)) {
      const zh = manifestsZh[key as keyof typeof manifestsEn];
      assert.ok(zh, key);
      assert.deepEqual(vars(zh), vars(en), key);
      // only product names and formats are the same in both
      if (!['manifests.yaml'].includes(key)) assert.notEqual(zh, en, key);
    }
  });
});
