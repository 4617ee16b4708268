/**
 * What a one-off pod needs before it runs (`prepareOneOff`), and a volume's data on Kubernetes
 * (`exportVolumeData`, `importVolumeData`, `volumeDataUsage`) against the test API server: the
 * namespace is applied for an environment without services and left to its services otherwise;
 * a run's ConfigMaps and claims are the services' objects by the same names; a tools pod mounting
 * the claim streams tar in and out over pods/exec, byte for byte, measures with du, is restricted
 * and is deleted after (claim-data.ts models what a claim holds).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { WorkloadVolumeMount } from '@berth/engine-api';
import { KubeClient } from '../src/client';
import { KubernetesEngine } from '../src/kubernetes-engine';
import { claimName, namespaceName } from '../src/names';
import { claimDataHandler } from '../src/testing/claim-data';
import { startFakeApiServer, testNamespace, testWorkload, type FakeApiServer } from '../src/testing/index';

type Obj = Record<string, unknown>;
type Meta = { name: string; labels?: Record<string, string> };

const owner = { project: 'shop', env: 'prod', instance: 'it', cluster: 'fake' };
const ns = namespaceName('shop', 'prod');
const claim: WorkloadVolumeMount = {
  volume: 'data',
  path: '/data',
  readOnly: false,
  sizeMiB: 32,
  accessMode: 'ReadWriteOnce',
};

async function drain(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

describe('one-off preparation and volume data on the test API server', () => {
  let fake: FakeApiServer;
  let engine: KubernetesEngine;
  let kube: KubeClient;
  const claims = claimDataHandler();
  /** The pods the tools commands ran in, as the exec saw them. */
  const execPods: Obj[] = [];
  const get = (path: string) =>
    kube.json<Obj>('GET', path, { allow: [404], ctx: { verb: 'get', resource: 'x' } });
  const list = async (path: string, labelSelector: string) =>
    (await kube.json<{ items: { metadata: Meta }[] }>('GET', path, {
      query: { labelSelector },
      ctx: { verb: 'list', resource: 'x' },
    }))!.items;

  before(async () => {
    fake = await startFakeApiServer({ bookmarkIntervalMs: 200 });
    fake.setExecHandler((ctx) => {
      execPods.push(ctx.pod);
      return claims.handler(ctx);
    });
    engine = new KubernetesEngine({
      cluster: 'fake',
      instanceId: 'it',
      kubeconfig: fake.kubeconfig,
      volumeToolsImage: 'localhost/berth-volume-tools:1',
    });
    kube = new KubeClient({ cluster: 'fake', kubeconfig: fake.kubeconfig });
  });
  after(async () => {
    await engine?.close();
    await fake?.close();
  });

  it('prepareOneOff applies the namespace of an environment without services, and the ConfigMaps and claims of the mounts', async () => {
    const config = { config: 'app', version: 2, path: '/etc/app', files: { 'app.conf': 'a=1\n' } };
    await engine.prepareOneOff(
      testNamespace(owner, { quota: { cpu: 2, memoryMiB: 512, replicas: 5, volumesGiB: 1 } }),
      {
        configs: [config],
        volumes: [claim],
      },
    );
    assert.ok(await get(`/api/v1/namespaces/${ns}`), 'the namespace');
    assert.ok(await get(`/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies/berth-default-deny`));
    const quota = (await get(`/api/v1/namespaces/${ns}/resourcequotas/berth-quota`)) as {
      spec: { hard: Obj };
    };
    assert.equal(quota.spec.hard.pods, '5');
    // the same objects by the same names as a service mounting them gets
    const w = testWorkload(
      { ...owner, service: 'web', serviceId: 's1' },
      { configs: [config], volumes: [claim] },
    );
    const wanted = engine
      .manifests(testNamespace(owner), w)
      .filter((o) => ['ConfigMap', 'PersistentVolumeClaim'].includes(o.kind));
    assert.equal(wanted.length, 2);
    for (const o of wanted) {
      const have = (await get(
        `/api/v1/namespaces/${ns}/${o.kind === 'ConfigMap' ? 'configmaps' : 'persistentvolumeclaims'}/${o.metadata.name}`,
      )) as { metadata: Meta; data?: Obj; spec?: Obj };
      assert.ok(have, `${o.kind} ${o.metadata.name}`);
      assert.deepEqual(have.metadata.labels, o.metadata.labels);
      if (o.kind === 'ConfigMap') assert.deepEqual(have.data, o.data);
    }
  });

  it('prepareOneOff leaves a namespace a service keeps to the service’s applies', async () => {
    await engine.applyWorkload(testWorkload({ ...owner, service: 'web', serviceId: 's1' }));
    // another quota: applied by a run, it would replace the service's
    await engine.prepareOneOff(
      testNamespace(owner, { quota: { cpu: 1, memoryMiB: 64, replicas: 1, volumesGiB: 1 } }),
      {
        configs: [],
        volumes: [],
      },
    );
    const quota = (await get(`/api/v1/namespaces/${ns}/resourcequotas/berth-quota`)) as {
      spec: { hard: Obj };
    };
    assert.equal(quota.spec.hard.pods, '5', 'the quota the namespace had');
    await engine.deleteWorkload({ ...owner, service: 'web', serviceId: 's1' });
  });

  it('imports a tar into a claim and exports the same bytes, measures it, through restricted tools pods deleted after', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k2-vol-'));
    try {
      writeFileSync(join(dir, 'hello.txt'), 'hello from berth\n');
      writeFileSync(join(dir, 'blob.bin'), Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256)));
      const tar = execFileSync('tar', ['-C', dir, '-cf', '-', '.']);
      await engine.importVolumeData(
        testNamespace(owner),
        claim,
        Readable.from([tar.subarray(0, 700), tar.subarray(700)]),
      );
      assert.ok(
        claims.data.get(`${ns}/${claimName('data')}`)?.equals(tar),
        'the claim holds the archive byte for byte',
      );
      const out = await drain(await engine.exportVolumeData(testNamespace(owner), claim));
      assert.ok(out.equals(tar), `export gives the imported bytes (${out.length} of ${tar.length})`);
      // a real tar reads it back
      const names = execFileSync('tar', ['-tf', '-'], { input: out }).toString().split('\n');
      assert.ok(names.includes('./blob.bin') && names.includes('./hello.txt'), names.join(','));
      assert.equal(
        await engine.volumeDataUsage(testNamespace(owner), claim),
        Math.ceil(tar.length / 1024) * 1024,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(execPods.length, 3);
    const pod = execPods[0] as {
      metadata: Meta;
      spec: {
        securityContext: Obj;
        containers: { image: string; securityContext: Obj; volumeMounts: Obj[] }[];
        volumes: Obj[];
      };
    };
    assert.equal(pod.metadata.labels?.['berth.one-off'], 'true');
    assert.equal(pod.spec.containers[0]?.image, 'localhost/berth-volume-tools:1');
    assert.deepEqual(pod.spec.securityContext, {
      runAsNonRoot: true,
      runAsUser: 65534,
      runAsGroup: 65534,
      fsGroup: 65534,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.deepEqual(pod.spec.containers[0]?.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    assert.deepEqual(pod.spec.volumes, [
      { name: 'data', persistentVolumeClaim: { claimName: claimName('data') } },
    ]);
    await fake.settle();
    assert.deepEqual(await list(`/api/v1/namespaces/${ns}/pods`, 'berth.one-off'), [], 'no tools pod left');
  });

  it('an upload that is not a tar archive fails with tar’s word, and the pod still goes', async () => {
    await assert.rejects(
      engine.importVolumeData(testNamespace(owner), claim, Readable.from([Buffer.from('not a tar at all')])),
      (err: Error & { details?: Obj }) => {
        assert.match(err.message, /tar exited 2: tar: invalid tar magic/);
        assert.equal(err.details?.cause, 'tar: invalid tar magic');
        return true;
      },
    );
    await fake.settle();
    assert.deepEqual(await list(`/api/v1/namespaces/${ns}/pods`, 'berth.one-off'), []);
  });
});
