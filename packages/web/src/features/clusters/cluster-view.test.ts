import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clustersEn } from './messages';
import { clustersZh } from './messages.zh';
import {
  capacityBars,
  clusterFieldFor,
  createBody,
  formatBytes,
  labelPairs,
  normalizeLabelFilter,
  patchBody,
  registryCheckShown,
} from './cluster-view';

const gib = 1024 ** 3;

describe('clusters page view helpers', () => {
  it('shows memory used by Berth of the allocatable memory, and CPUs used of the total', () => {
    const bars = capacityBars({
      cpus: 2,
      memoryBytes: 24 * gib,
      allocatableMemoryBytes: 20 * gib,
      used: { cpus: 0.5, memoryBytes: 512 * 1024 ** 2, containers: 7 },
    });
    assert.deepEqual(bars.memory, { percent: 2.5, text: '512 MiB / 20 GiB' });
    assert.deepEqual(bars.cpu, { percent: 25, text: '0.5 / 2' });
    // Nothing allocatable (a host full of other things) is 0 %, not NaN; over-use caps at 100 %.
    const none = capacityBars({
      cpus: 0,
      memoryBytes: gib,
      allocatableMemoryBytes: 0,
      used: { cpus: 3, memoryBytes: gib, containers: 1 },
    });
    assert.equal(none.memory.percent, 0);
    assert.equal(none.cpu.percent, 0);
    assert.equal(formatBytes(1536 * 1024 ** 2), '1.5 GiB');
    assert.equal(formatBytes(25769803776), '24 GiB');
  });

  it('reads a label filter as key=value or a key, and refuses anything else', () => {
    assert.equal(normalizeLabelFilter(' dc = dc1 '), 'dc=dc1');
    assert.equal(normalizeLabelFilter('dc'), 'dc');
    assert.equal(normalizeLabelFilter(''), '');
    assert.equal(normalizeLabelFilter('dc=dc1 zone=a'), null);
    assert.deepEqual(labelPairs({ zone: 'a', dc: 'dc1' }), ['dc=dc1', 'zone=a']);
  });

  it('sends a new cluster without empty credentials or labels', () => {
    assert.deepEqual(createBody({ name: ' dc1-a ', endpoint: 'unix:///run/p.sock ', labels: [] }), {
      name: 'dc1-a',
      kind: 'podman',
      endpoint: 'unix:///run/p.sock',
    });
    assert.deepEqual(
      createBody({
        name: 'dc2',
        endpoint: 'ssh://berth@10.0.0.5/run/podman/podman.sock',
        privateKey: 'KEY',
        knownHosts: '  ',
        labels: [{ key: 'dc', value: 'dc2' }, { key: ' ' }],
      }),
      {
        name: 'dc2',
        kind: 'podman',
        endpoint: 'ssh://berth@10.0.0.5/run/podman/podman.sock',
        credentials: { privateKey: 'KEY' },
        labels: { dc: 'dc2' },
      },
    );
  });

  it('patches only what changed: a removed label is null, credentials only when typed or removed', () => {
    const before = { endpoint: 'unix:///a.sock', labels: { dc: 'dc1', zone: 'a' } };
    assert.deepEqual(
      patchBody(before, {
        name: 'x',
        endpoint: 'unix:///a.sock',
        labels: [
          { key: 'dc', value: 'dc1' },
          { key: 'zone', value: 'a' },
        ],
      }),
      {},
    );
    assert.deepEqual(
      patchBody(before, {
        name: 'x',
        endpoint: 'unix:///b.sock',
        labels: [
          { key: 'dc', value: 'dc2' },
          { key: 'rack', value: '7' },
        ],
      }),
      { endpoint: 'unix:///b.sock', labels: { zone: null, dc: 'dc2', rack: '7' } },
    );
    assert.deepEqual(
      patchBody(before, { ...before, name: 'x', labels: undefined, removeCredentials: true }),
      {
        labels: { dc: null, zone: null },
        credentials: null,
      },
    );
    assert.deepEqual(
      patchBody(before, {
        name: 'x',
        endpoint: 'unix:///a.sock',
        knownHosts: 'host ssh-ed25519 AAAA',
        removeCredentials: true,
        labels: [
          { key: 'dc', value: 'dc1' },
          { key: 'zone', value: 'a' },
        ],
      }),
      { credentials: { knownHosts: 'host ssh-ed25519 AAAA' } },
    );
  });

  it('sends the publish and registry addresses of a new cluster only when typed', () => {
    assert.deepEqual(
      createBody({
        name: 'dc3',
        endpoint: 'unix:///run/p.sock',
        publishAddress: ' 10.0.3.12 ',
        registry: ' registry.dc3.example.net:5000 ',
      }),
      {
        name: 'dc3',
        kind: 'podman',
        endpoint: 'unix:///run/p.sock',
        publishAddress: '10.0.3.12',
        registry: 'registry.dc3.example.net:5000',
      },
    );
    const untyped = createBody({
      name: 'dc3',
      endpoint: 'unix:///run/p.sock',
      publishAddress: ' ',
      registry: '',
    });
    assert.equal('publishAddress' in untyped, false, 'the server picks the default');
    assert.equal('registry' in untyped, false);
  });

  it('patches the addresses only when changed; a cleared registry is null, a cleared publish address the default', () => {
    const before = {
      endpoint: 'unix:///a.sock',
      labels: {},
      publishAddress: '10.0.3.12',
      registry: 'registry.dc3.example.net',
    };
    const same = {
      name: 'x',
      endpoint: 'unix:///a.sock',
      publishAddress: '10.0.3.12',
      registry: 'registry.dc3.example.net',
    };
    assert.deepEqual(patchBody(before, same), {});
    assert.deepEqual(
      patchBody(before, { ...same, publishAddress: ' 10.0.3.13 ', registry: 'reg.dc3:5000' }),
      {
        publishAddress: '10.0.3.13',
        registry: 'reg.dc3:5000',
      },
    );
    assert.deepEqual(patchBody(before, { ...same, publishAddress: '', registry: ' ' }), {
      publishAddress: '127.0.0.1',
      registry: null,
    });
    // A cluster on the defaults, opened and saved untouched (or read from a server without the fields).
    const defaults = { endpoint: 'unix:///a.sock', labels: {}, publishAddress: '127.0.0.1', registry: null };
    assert.deepEqual(
      patchBody(defaults, { name: 'x', endpoint: 'unix:///a.sock', publishAddress: '', registry: '' }),
      {},
    );
    assert.deepEqual(
      patchBody({ endpoint: 'unix:///a.sock', labels: {} }, { name: 'x', endpoint: 'unix:///a.sock' }),
      {},
    );
    assert.deepEqual(
      patchBody(defaults, { name: 'x', endpoint: 'unix:///a.sock', registry: '127.0.0.1:5000' }),
      {
        registry: '127.0.0.1:5000',
      },
    );
  });

  it('puts each API field error on the field that shows it', () => {
    const rows = [
      { key: 'dc', value: 'x' },
      { key: 'Bad Key', value: 'y' },
    ];
    assert.equal(clusterFieldFor('endpoint', rows), 'endpoint');
    assert.equal(clusterFieldFor('name', rows), 'name');
    assert.equal(clusterFieldFor('publishAddress', rows), 'publishAddress');
    assert.equal(clusterFieldFor('registry', rows), 'registry');
    assert.equal(clusterFieldFor('credentials.knownHosts', rows), 'knownHosts');
    assert.equal(clusterFieldFor('credentials.privateKey', rows), 'privateKey');
    assert.equal(clusterFieldFor('credentials', rows), 'privateKey');
    assert.deepEqual(clusterFieldFor('labels.Bad Key', rows, 'Invalid key in record'), ['labels', 1, 'key']);
    assert.deepEqual(clusterFieldFor('labels.dc', rows, 'label values must be at most 63 characters'), [
      'labels',
      0,
      'value',
    ]);
    const dotted = [{ key: 'topology.example/zone', value: 'a' }];
    assert.deepEqual(clusterFieldFor('labels.topology.example/zone', dotted), ['labels', 0, 'key']);
    assert.deepEqual(clusterFieldFor('labels[0]', rows), ['labels', 0, 'key']);
    assert.equal(clusterFieldFor('labels.gone', rows), null);
    assert.equal(clusterFieldFor('kind', rows), 'kind');
    assert.equal(clusterFieldFor('exposure', rows), null, 'a Podman form has no exposure field');
  });

  it("puts a Kubernetes cluster's errors on its own fields, and fields it hides in the alert", () => {
    const kube = { kind: 'kubernetes' as const };
    assert.equal(clusterFieldFor('credentials.kubeconfig', [], '', kube), 'kubeconfig');
    assert.equal(clusterFieldFor('credentials', [], '', kube), 'kubeconfig');
    assert.equal(clusterFieldFor('exposure', [], '', kube), 'exposure');
    assert.equal(clusterFieldFor('gatewayCidrs.1', [], '', kube), 'gatewayCidrs');
    assert.equal(clusterFieldFor('endpoint', [], '', kube), 'endpoint');
    // hidden for this kind (or in-cluster): no field would show them
    assert.equal(clusterFieldFor('publishAddress', [], '', kube), null);
    assert.equal(clusterFieldFor('credentials.privateKey', [], '', kube), null);
    assert.equal(clusterFieldFor('endpoint', [], '', { ...kube, inCluster: true }), null);
    assert.equal(clusterFieldFor('credentials.kubeconfig', [], '', { kind: 'podman' }), null);
  });

  it('sends a new Kubernetes cluster with its kubeconfig and exposure, and no Podman field', () => {
    const typed = {
      name: ' k8s-a ',
      kind: 'kubernetes' as const,
      endpoint: ' https://10.0.0.5:6443 ',
      kubeconfig: 'apiVersion: v1\nkind: Config\n',
      exposure: 'pod-ip' as const,
      gatewayCidrs: '10.0.8.0/24\n 10.0.9.0/24, ',
      // typed before the kind was switched: never sent for Kubernetes
      privateKey: 'KEY',
      publishAddress: '10.0.3.12',
      registry: 'reg:5000',
      labels: [{ key: 'dc', value: 'dc1' }],
    };
    assert.deepEqual(createBody(typed), {
      name: 'k8s-a',
      kind: 'kubernetes',
      endpoint: 'https://10.0.0.5:6443',
      credentials: { kubeconfig: 'apiVersion: v1\nkind: Config\n' },
      labels: { dc: 'dc1' },
      exposure: 'pod-ip',
      gatewayCidrs: ['10.0.8.0/24', '10.0.9.0/24'],
    });
    // in-cluster: the literal endpoint and no kubeconfig, whatever the hidden fields hold
    assert.deepEqual(createBody({ ...typed, inCluster: true, gatewayCidrs: '' }), {
      name: 'k8s-a',
      kind: 'kubernetes',
      endpoint: 'in-cluster',
      labels: { dc: 'dc1' },
      exposure: 'pod-ip',
    });
    // a namespace prefix, trimmed; blank sends none (the server's default: no prefix)
    assert.equal(createBody({ ...typed, namespacePrefix: ' dc2 ' }).namespacePrefix, 'dc2');
    assert.equal('namespacePrefix' in createBody({ ...typed, namespacePrefix: '  ' }), false);
    assert.equal(clusterFieldFor('namespacePrefix', [], '', { kind: 'kubernetes' }), 'namespacePrefix');
    assert.equal(clusterFieldFor('namespacePrefix', [], '', { kind: 'podman' }), null);
    // and the Podman body never carries the Kubernetes fields
    const podman = createBody({ ...typed, kind: 'podman', endpoint: 'unix:///p.sock', namespacePrefix: 'x' });
    assert.equal('exposure' in podman || 'gatewayCidrs' in podman || 'namespacePrefix' in podman, false);
    assert.deepEqual(podman.credentials, { privateKey: 'KEY' });
  });

  it('keeps a stored kubeconfig unless Replace is ticked, and patches exposure and CIDRs when changed', () => {
    const before = {
      kind: 'kubernetes' as const,
      endpoint: 'https://10.0.0.5:6443',
      labels: {},
      exposure: 'node-port' as const,
      gatewayCidrs: ['10.0.8.0/24'],
      hasCredentials: true,
    };
    const same = {
      name: 'k8s-a',
      endpoint: 'https://10.0.0.5:6443',
      exposure: 'node-port' as const,
      gatewayCidrs: '10.0.8.0/24',
    };
    assert.deepEqual(patchBody(before, same), {});
    assert.deepEqual(patchBody(before, { ...same, kubeconfig: 'NEW' }), {}, 'not replaced: kept');
    assert.deepEqual(patchBody(before, { ...same, kubeconfig: 'NEW', replaceKubeconfig: true }), {
      credentials: { kubeconfig: 'NEW' },
    });
    assert.deepEqual(patchBody(before, { ...same, exposure: 'pod-ip', gatewayCidrs: '' }), {
      exposure: 'pod-ip',
      gatewayCidrs: null,
    });
    // becoming in-cluster drops the stored kubeconfig (the service account is the credential)
    assert.deepEqual(patchBody(before, { ...same, inCluster: true }), {
      endpoint: 'in-cluster',
      credentials: null,
    });
    // an in-cluster cluster given a URL needs a kubeconfig: the one typed is sent
    assert.deepEqual(
      patchBody({ ...before, endpoint: 'in-cluster', hasCredentials: false }, { ...same, kubeconfig: 'KC' }),
      { endpoint: 'https://10.0.0.5:6443', credentials: { kubeconfig: 'KC' } },
    );
  });

  it('has every string in both languages, with the same placeholders', () => {
    for (const [key, en] of Object.entries(clustersEn)) {
      const zh = clustersZh[key as keyof typeof clustersEn];
      assert.ok(zh, key);
      const vars = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      assert.deepEqual(vars(zh), vars(en), key);
    }
  });

  it('shows the registry check as reachable, unreachable, not judged, or none, in both languages', () => {
    const at = '2026-12-06T08:00:00.000Z';
    assert.equal(registryCheckShown(null), 'none');
    assert.equal(registryCheckShown({ ok: true, registry: 'r:5000', message: 'm', checkedAt: at }), 'ok');
    assert.equal(
      registryCheckShown({ ok: false, registry: 'r:5000', message: 'm', checkedAt: at }),
      'failed',
    );
    assert.equal(
      registryCheckShown({ ok: null, registry: 'r:5000', message: 'm', checkedAt: at }),
      'skipped',
    );
    for (const key of [
      'clusters.registryCheck.ok',
      'clusters.registryCheck.failed',
      'clusters.registryCheck.skipped',
      'clusters.registryCheck.none',
      'clusters.event.RegistryUnreachable',
      'clusters.event.RegistryReachable',
      'clusters.form.warning',
    ] as const) {
      assert.ok(clustersEn[key] && clustersZh[key] && clustersEn[key] !== clustersZh[key], key);
    }
  });
});
