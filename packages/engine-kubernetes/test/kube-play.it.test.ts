/**
 * A real consumer of Berth's Kubernetes objects: `podman kube play` runs the objects
 * `workloadObjects` generates for a service — its Deployment (as a pod), the Secret of its secret
 * variables, the ConfigMap of a config version (with a binary file), the claim of a volume and
 * the Service — and the pod serves, over HTTP on 127.0.0.1, the config's files and the secret
 * variable it read from the Secret.
 *
 * Only two changes are made to Berth's objects, here and never in the generator
 * (`forKubePlay`), both because Podman 4.3 is not a cluster:
 *  1. The Secret is not played but created as the Podman secret kube play reads: Podman 4.3
 *     stores a played Secret as its YAML while `secretKeyRef` parses the secret as JSON of the
 *     Secret's `data` (containers/podman#16269), so playing it would fail "is not valid JSON".
 *  2. The container port gets `hostIP: 127.0.0.1` and a free `hostPort`: kube play has no Service
 *     proxy (it ignores the Service) and the test reaches the pod through a published port.
 * What else Podman 4.3 does with the objects is in docs/kubernetes-objects.md ("podman kube play").
 *
 * A one-off pod (`oneOffPod`, a cron run's) is played as generated: it runs once as its user
 * and ends with its process's exit code (restartPolicy Never), which Podman reports.
 *
 * Socket: BERTH_TEST_PODMAN_SOCKET (default /tmp/berth-dev/podman.sock); image from
 * scripts/test-images.sh.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject, WorkloadSpec } from '@berth/engine-api';
import { manifestsYaml, oneOffPod, workloadObjects } from '../src/manifests/index';
import { claimName, configMapName, deploymentName, envSecretName } from '../src/names';

const socketPath = process.env.BERTH_TEST_PODMAN_SOCKET ?? '/tmp/berth-dev/podman.sock';
const run = promisify(execFile);
const suffix = randomBytes(3).toString('hex');

/** podman against the test service, argv only; generous timeout for a machine under load. */
async function podman(args: string[]): Promise<string> {
  const { stdout } = await run('podman', ['--url', `unix://${socketPath}`, ...args], { timeout: 180_000 });
  return stdout;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** GET on 127.0.0.1: status and body bytes, or null when nothing answers yet. */
function get(port: number, urlPath: string): Promise<{ status: number; body: Buffer } | null> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}

/** Polls `fn` until it returns a value, failing after `ms` with what it waited for. */
async function eventually<T>(fn: () => Promise<T | null>, what: string, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(250);
  }
}

const page = '<p>served from a Berth config</p>\n';
const logo = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0xfe, 0xff]);

/**
 * The service: busybox httpd serving a copy of the config's files from the writable /tmp (the
 * root filesystem is read-only), the secret variable written to the volume and served from there.
 * The command has no "$": Kubernetes reads "$$" as "$" and Podman 4.3 does not, so a literal "$"
 * (which Berth writes as "$$") would differ between the two.
 */
const spec: WorkloadSpec = {
  project: `kp-${suffix}`,
  env: 'test',
  service: `web-${suffix}`,
  serviceId: `svc-${suffix}`,
  instance: `berth-kube-play-${suffix}`,
  cluster: 'podman',
  release: 1,
  restartNonce: 0,
  replicas: 1,
  image: 'localhost/berth-busybox:1',
  command: [
    'sh',
    '-c',
    'mkdir -p /tmp/www && cp /etc/page/* /tmp/www/ && env | sed -n s/^TOKEN=//p > /data/token && cp /data/token /tmp/www/token && env | sed -n s/^GREETING=//p > /tmp/www/greeting && exec httpd -f -p 8080 -h /tmp/www',
  ],
  variables: { GREETING: 'hello from a plain variable' },
  secretVariables: { TOKEN: 'secret-value-from-a-Secret' },
  ports: [{ name: 'http', containerPort: 8080 }],
  readiness: {
    type: 'http',
    path: '/index.html',
    initialDelaySeconds: 0,
    periodSeconds: 1,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: 3,
  },
  rollout: {
    maxSurge: 1,
    maxUnavailable: 0,
    progressDeadlineSeconds: 120,
    drainSeconds: 1,
    stopGraceSeconds: 2,
  },
  labels: { team: 'platform' },
  runAsUser: 65534,
  runAsGroup: 65534,
  runAsRoot: false,
  capabilities: [],
  readOnlyRootFilesystem: true,
  configs: [
    {
      config: `page-${suffix}`,
      version: 2,
      path: '/etc/page',
      files: { 'index.html': page, 'logo.bin': logo.toString('base64') },
      binary: ['logo.bin'],
    },
  ],
  volumes: [
    { volume: `data-${suffix}`, path: '/data', readOnly: false, sizeMiB: 16, accessMode: 'ReadWriteOnce' },
  ],
};

/** The two changes kube play needs (see the file's comment); everything else is Berth's output. */
function forKubePlay(
  objects: KubeObject[],
  hostPort: number,
): { played: KubeObject[]; secrets: KubeObject[] } {
  const secrets = objects.filter((o) => o.kind === 'Secret');
  const played = structuredClone(objects.filter((o) => o.kind !== 'Secret'));
  for (const d of played.filter((o) => o.kind === 'Deployment')) {
    const pod = ((d.spec as Record<string, unknown>).template as Record<string, unknown>).spec as {
      containers: { ports?: Record<string, unknown>[] }[];
    };
    for (const c of pod.containers) c.ports = c.ports?.map((p) => ({ ...p, hostIP: '127.0.0.1', hostPort }));
  }
  return { played, secrets };
}

describe('podman kube play runs the objects Berth generates', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-kube-play-'));
  const file = path.join(dir, 'objects.yaml');
  const objects = workloadObjects(spec);
  const podName = `${deploymentName(spec.service)}-pod-0`;
  const volumes = [configMapName(spec.configs[0]!.config, 2), claimName(spec.volumes[0]!.volume)];
  let port = 0;

  before(async () => {
    port = await freePort();
    const { played, secrets } = forKubePlay(objects, port);
    for (const s of secrets) {
      const data = path.join(dir, `${s.metadata.name}.json`);
      writeFileSync(data, JSON.stringify(s.data));
      await podman(['secret', 'create', s.metadata.name, data]);
    }
    writeFileSync(file, manifestsYaml(played));
    await podman(['kube', 'play', file]);
  });

  after(async () => {
    await podman(['kube', 'down', file]).catch(() => undefined);
    // kube down (4.3) leaves the secrets and the named volumes of ConfigMaps and claims
    await podman(['secret', 'rm', envSecretName(spec.service)]).catch(() => undefined);
    await podman(['volume', 'rm', '--force', ...volumes]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('plays exactly the kinds Berth applies for a service', () => {
    assert.deepEqual(
      objects.map((o) => o.kind),
      ['Secret', 'ConfigMap', 'PersistentVolumeClaim', 'Deployment', 'Service'],
    );
  });

  it("serves the config's files and the secret variable over HTTP", async () => {
    const token = await eventually(
      async () => {
        const r = await get(port, '/token');
        return r && r.status === 200 ? r.body.toString() : null;
      },
      `the pod ${podName} to serve /token on 127.0.0.1:${port}`,
      120_000,
    );
    assert.equal(token, 'secret-value-from-a-Secret\n');
    const index = await get(port, '/index.html');
    assert.equal(index?.status, 200);
    assert.equal(index.body.toString(), page);
    const bin = await get(port, '/logo.bin');
    assert.deepEqual(bin?.body, logo, 'the binary file arrives byte for byte (binaryData)');
    assert.equal((await get(port, '/greeting'))?.body.toString(), 'hello from a plain variable\n');
  });

  it("runs the pod with Berth's labels, user and read-only root, the claim as a volume", async () => {
    const labels = JSON.parse(
      await podman(['pod', 'inspect', podName, '--format', '{{json .Labels}}']),
    ) as Record<string, string>;
    assert.equal(labels['berth.service'], spec.serviceId);
    assert.equal(labels['berth.rotation'], 'in');
    assert.equal(labels['berth.release'], '1');
    assert.equal(labels.team, 'platform');
    const container = `${podName}-app`;
    assert.equal((await podman(['exec', container, 'id', '-u'])).trim(), '65534');
    await assert.rejects(
      podman(['exec', container, 'touch', '/etc/berth-was-here']),
      'the root filesystem is read-only',
    );
    const caps = await podman(['exec', container, 'grep', 'CapEff', '/proc/1/status']);
    assert.match(caps, /CapEff:\s+0+$/m, 'every capability dropped');
    const volume = JSON.parse(
      await podman(['volume', 'inspect', claimName(spec.volumes[0]!.volume)]),
    ) as unknown[];
    assert.equal(volume.length, 1);
  });
});

describe('podman kube play runs a one-off pod to its end', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-kube-play-'));
  const file = path.join(dir, 'pod.yaml');
  const pod = oneOffPod(
    {
      name: `cron-kp-${suffix}-1`,
      image: 'localhost/berth-busybox:1',
      command: ['sh', '-c', 'id -u; echo one-off run; exit 3'],
      env: {},
      labels: {
        'berth.cron-run': `run-${suffix}`,
        'berth.project': `kp-${suffix}`,
        'berth.env': 'test',
      },
      ports: [],
      memoryMiB: 64,
      capabilities: [],
      readOnlyRootfs: true,
      user: '65534',
    },
    { instance: `berth-kube-play-${suffix}`, cluster: 'podman', pullSecret: false },
  );
  const container = `${pod.metadata.name}-app`;

  before(async () => {
    writeFileSync(file, manifestsYaml([pod]));
    await podman(['kube', 'play', file]);
  });
  after(async () => {
    await podman(['kube', 'down', file]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits with the process exit code, ran as the pod user, and is not restarted', async () => {
    const state = await eventually(
      async () => {
        const s = JSON.parse(
          await podman(['container', 'inspect', container, '--format', '{{json .State}}']),
        ) as { Status: string; ExitCode: number };
        return s.Status === 'exited' ? s : null;
      },
      `${container} to exit`,
      120_000,
    );
    assert.equal(state.ExitCode, 3);
    const logs = await podman(['logs', container]);
    assert.equal(logs, '65534\none-off run\n');
    const restarts = (
      await podman(['container', 'inspect', container, '--format', '{{.RestartCount}}'])
    ).trim();
    assert.equal(restarts, '0');
  });
});
