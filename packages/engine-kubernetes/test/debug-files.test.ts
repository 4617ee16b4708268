/**
 * Debug containers and container files on Kubernetes against the test API server: a debug
 * container is an ephemeral container of the target's pod (pods/ephemeralcontainers) aimed at the
 * app container, restricted, reached by exec and ended by killing its process; root is refused on
 * a restricted namespace; files are read by `tar` in the container (the host's real tar over a
 * directory standing for the pod's root), a pod without tar is a 422, and a debug container reads
 * the target's files through /proc/1/root.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { labelKeys, type ContainerCreateSpec, type ContainerObservation } from '@berth/engine-api';
import { BerthError } from '@berth/shared';
import { KubeClient } from '../src/client';
import type { Pod } from '../src/kube-types';
import { KubernetesEngine } from '../src/kubernetes-engine';
import { namespaceName } from '../src/names';
import {
  defaultExecHandler,
  podFilesHandler,
  startFakeApiServer,
  testNamespace,
  testWorkload,
  type FakeApiServer,
} from '../src/testing/index';

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

/** The member names of a tar stream, as the host's tar lists them. */
async function tarNames(stream: NodeJS.ReadableStream): Promise<string[]> {
  const child = spawn('tar', ['tf', '-'], { stdio: ['pipe', 'pipe', 'inherit'] });
  stream.pipe(child.stdin);
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise((resolve) => child.on('close', resolve));
  return out.split('\n').filter(Boolean).sort();
}

const project = 'shop';
const env = 'prod';
const ns = namespaceName(project, env);
const owner = { project, env, instance: 'it', cluster: 'fake' };

describe('debug containers and container files on the test API server', () => {
  let fake: FakeApiServer;
  let engine: KubernetesEngine;
  let kube: KubeClient;
  let app: ContainerObservation;
  const root = mkdtempSync(path.join(os.tmpdir(), 'berth-k8s-files-'));
  const podOf = (name: string) =>
    kube.json<Pod & Obj>('GET', `/api/v1/namespaces/${ns}/pods/${name}`, {
      ctx: { verb: 'get', resource: 'pods' },
    }) as Promise<Pod & Obj>;

  const debugSpec = (suffix: string, over: Partial<ContainerCreateSpec> = {}): ContainerCreateSpec => ({
    name: `${app.name}-debug-${suffix}`,
    image: 'registry.example:5000/berth/toolbox:1',
    command: ['sleep', '3600'],
    env: {},
    labels: { 'berth.debug': 'it', 'berth.debug.session': `s-${suffix}`, [labelKeys.project]: project },
    ports: [],
    user: '1000:0',
    shareNamespacesOf: app.id,
    capabilities: [],
    noNewPrivileges: true,
    memoryMiB: 512,
    ...over,
  });

  before(async () => {
    fake = await startFakeApiServer({ bookmarkIntervalMs: 200 });
    engine = new KubernetesEngine({ cluster: 'fake', instanceId: 'it', kubeconfig: fake.kubeconfig });
    kube = new KubeClient({ cluster: 'fake', kubeconfig: fake.kubeconfig });
    mkdirSync(path.join(root, 'var/log/app'), { recursive: true });
    writeFileSync(path.join(root, 'var/log/app/app.log'), 'first line\nsecond line\n');
    writeFileSync(path.join(root, 'var/log/app/blob.bin'), Buffer.from([0, 1, 2, 255]));
    symlinkSync('app.log', path.join(root, 'var/log/app/current'));
    // the pods of service "web" have this root; any other pod has no tar
    fake.setExecHandler(
      podFilesHandler((_ns, pod) => (pod.startsWith('web-') ? root : undefined), defaultExecHandler),
    );
    await engine.applyNamespace(testNamespace(owner));
    await engine.applyWorkload(
      testWorkload({ ...owner, service: 'web', serviceId: 'svc-web' }, { runAsUser: 1000, runAsGroup: 1000 }),
    );
    app = await waitFor('the pod', async () =>
      (await engine.listContainers({ [labelKeys.service]: 'svc-web' })).find((o) => o.state === 'running'),
    );
  });
  after(async () => {
    await engine?.close();
    await fake?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('adds a restricted ephemeral container aimed at the app container; exec reaches it; removing it ends its process', async () => {
    const id = await engine.runContainer(debugSpec('a1b2c3'));
    const pod = await podOf(app.name);
    assert.equal(id, `${pod.metadata.uid}/debug-a1b2c3`);
    const ec = pod.spec!.ephemeralContainers!;
    assert.equal(ec.length, 1);
    assert.equal(ec[0]!.name, 'debug-a1b2c3');
    assert.equal(ec[0]!.image, 'registry.example:5000/berth/toolbox:1');
    assert.equal(ec[0]!.targetContainerName, 'app', 'in the app container’s process namespace');
    assert.deepEqual(ec[0]!.securityContext, {
      runAsUser: 1000,
      runAsGroup: 1000, // the target's gid: /proc/<pid>/root needs uid and gid to match
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.deepEqual(ec[0]!.command!.slice(-2), ['sleep', '3600']);
    assert.equal(pod.status?.ephemeralContainerStatuses?.[0]?.state?.running !== undefined, true);
    assert.deepEqual(
      (pod.spec as Obj).imagePullSecrets ?? [],
      [],
      'the pod’s own pull secrets apply (none in this namespace)',
    );

    // listed by its labels like a container; never among the service's replicas
    const listed = await engine.listContainers({ 'berth.debug': 'it' });
    assert.deepEqual(
      listed.map((o) => [o.id, o.state, o.labels['berth.debug.session']]),
      [[id, 'running', 's-a1b2c3']],
    );
    assert.equal((await engine.listContainers({ [labelKeys.service]: 'svc-web' })).length, 1);
    assert.equal((await engine.inspectContainer(id))?.state, 'running');

    // exec goes into the ephemeral container (its user), an interactive shell runs commands
    const r = await engine.execRun(id, ['id', '-u'], { timeoutMs: 10_000 });
    assert.deepEqual([r.exitCode, r.stdout], [0, '1000\n']);
    await assert.rejects(
      engine.execRun(id, ['id', '-u'], { timeoutMs: 10_000, user: '0:0' }),
      /root was asked/,
    );
    const shell = await engine.exec(id, { cmd: ['sh'], tty: true, user: '1000:0' });
    let seen = '';
    shell.stream.on('data', (b: Buffer) => (seen += b.toString()));
    shell.stream.write('echo hello-from-debug\n');
    await waitFor('the shell’s answer', async () => seen.includes('hello-from-debug\n$ '));
    shell.stream.write('exit 4\n');
    assert.equal(await shell.exitCode(), 4);

    await engine.removeContainer(id);
    const ended = await waitFor('the ephemeral container to end', async () => {
      const p = await podOf(app.name);
      return p.status?.ephemeralContainerStatuses?.[0]?.state?.terminated;
    });
    assert.equal(ended.exitCode, 143, 'its process was killed (SIGTERM)');
    const after = await podOf(app.name);
    assert.equal(after.spec!.ephemeralContainers!.length, 1, 'Kubernetes keeps it in the spec');
    assert.equal(after.metadata.annotations?.['debug.berth.dev/debug-a1b2c3'], undefined);
    assert.ok(
      after.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      'the pod stays Ready',
    );
    await waitFor(
      'the list without it',
      async () => (await engine.listContainers({ 'berth.debug': 'it' })).length === 0,
    );
    await engine.removeContainer(id); // again: nothing to do
  });

  it('refuses a root debug container on a restricted namespace, before touching the pod', async () => {
    const before = await podOf(app.name);
    await assert.rejects(
      engine.runContainer(debugSpec('root01', { user: '0:0', capabilities: ['SYS_PTRACE'] })),
      (err) => {
        assert.ok(err instanceof BerthError);
        assert.equal(err.status, 422);
        assert.match(err.message, /Pod Security "restricted"/);
        assert.deepEqual(
          (err.details?.fields as { path: string }[]).map((f) => f.path),
          ['user'],
        );
        return true;
      },
    );
    const now = await podOf(app.name);
    assert.equal(now.spec!.ephemeralContainers!.length, before.spec!.ephemeralContainers!.length);
    assert.equal(now.metadata.resourceVersion, before.metadata.resourceVersion, 'the pod is unchanged');
  });

  it('models the subresource: add only, no change, removal or plain pod update; the target must exist', async () => {
    const base = `/api/v1/namespaces/${ns}/pods/${app.name}`;
    const patch = (p: string, body: unknown) =>
      kube.json('PATCH', p, {
        body,
        contentType: 'application/strategic-merge-patch+json',
        ctx: { verb: 'patch', resource: 'pods/ephemeralcontainers' },
      });
    await assert.rejects(
      patch(`${base}/ephemeralcontainers`, {
        spec: { ephemeralContainers: [{ name: 'debug-a1b2c3', image: 'other:1' }] },
      }),
      /may not be changed/,
    );
    await assert.rejects(
      patch(`${base}/ephemeralcontainers`, {
        spec: {
          ephemeralContainers: [
            { name: 'x1', image: 'busybox', targetContainerName: 'nope', ports: [{ containerPort: 1 }] },
          ],
        },
      }),
      (err: Error) => /targetContainerName/.test(err.message) && /ports/.test(err.message),
    );
    await assert.rejects(
      patch(base, { spec: { ephemeralContainers: [{ name: 'x2', image: 'busybox' }] } }),
      /Forbidden/,
    );
  });

  it('reads files with tar in the container: stat, links, missing paths, a directory as tar', async () => {
    const dir = await engine.statPath(app.id, '/var/log/app');
    assert.equal(dir!.mode & 0o170000, 0o040000, 'a directory');
    const file = await engine.statPath(app.id, '/var/log/app/app.log');
    assert.deepEqual(
      [file!.name, file!.size, file!.mode & 0o170000, file!.linkTarget],
      ['app.log', 23, 0o100000, ''],
    );
    const link = await engine.statPath(app.id, '/var/log/app/current');
    assert.deepEqual([link!.mode & 0o170000, link!.linkTarget], [0o120000, '/var/log/app/app.log']);
    assert.equal(await engine.statPath(app.id, '/var/log/nope'), null);
    assert.equal((await engine.statPath(app.id, '/'))!.mode & 0o170000, 0o040000);

    assert.deepEqual(await tarNames(await engine.getArchive(app.id, '/var/log/app')), [
      'app/',
      'app/app.log',
      'app/blob.bin',
      'app/current',
    ]);
    const one = await engine.getArchive(app.id, '/var/log/app/blob.bin');
    const chunks: Buffer[] = [];
    for await (const c of one as AsyncIterable<Buffer>) chunks.push(c);
    const tar = Buffer.concat(chunks);
    assert.deepEqual([...tar.subarray(512, 516)], [0, 1, 2, 255], 'the bytes as they are');
  });

  it('a debug container reads the target’s files through /proc/1/root', async () => {
    const id = await engine.runContainer(debugSpec('f00d01'));
    const stat = await engine.statPath(id, '/proc/1/root/var/log/app/app.log');
    assert.equal(stat!.size, 23);
    assert.deepEqual(await tarNames(await engine.getArchive(id, '/proc/1/root/var/log/app/app.log')), [
      'app.log',
    ]);
    await engine.removeContainer(id);
  });

  it('a pod whose image has no tar: 422 saying so', async () => {
    await engine.applyWorkload(testWorkload({ ...owner, service: 'bare', serviceId: 'svc-bare' }));
    const bare = await waitFor('the bare pod', async () =>
      (await engine.listContainers({ [labelKeys.service]: 'svc-bare' })).find((o) => o.state === 'running'),
    );
    await assert.rejects(engine.statPath(bare.id, '/etc'), (err) => {
      assert.ok(err instanceof BerthError);
      assert.equal(err.status, 422);
      assert.match(err.message, /has no tar in its image/);
      return true;
    });
  });
});
