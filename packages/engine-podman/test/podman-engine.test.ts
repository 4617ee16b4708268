/**
 * PodmanEngine against a real Podman API service: the shared engine contract, then what is
 * specific to Podman (start failures, networks, pulls from a plain-HTTP registry).
 * Socket: BERTH_TEST_PODMAN_SOCKET (default /tmp/berth-dev/podman.sock); images from
 * scripts/test-images.sh.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runEngineContract } from '@berth/engine-api/testing';
import { EngineError, UnavailableError } from '@berth/shared';
import { LibpodClient, PodmanEngine } from '../src/index';

const socketPath = process.env.BERTH_TEST_PODMAN_SOCKET ?? '/tmp/berth-dev/podman.sock';
const image = 'localhost/berth-busybox:1';
const run = promisify(execFile);
const prefix = `berth-podman-${randomBytes(3).toString('hex')}`;

/**
 * The contract's image cases need an image of their own and a second name for it: a commit of a
 * container of the test image with a label of its own (a new image id), and libpod's tag.
 */
function imageFixtures(client: LibpodClient) {
  return {
    async make(name: string) {
      const created = await client.json<{ Id: string }>('POST', '/containers/create', {
        body: { image, command: ['true'], name: `${prefix}-commit-${randomBytes(3).toString('hex')}` },
      });
      const [repo, tag] = [name.slice(0, name.lastIndexOf(':')), name.slice(name.lastIndexOf(':') + 1)];
      try {
        await client.request('POST', '/commit', {
          query: { container: created!.Id, repo, tag, changes: `LABEL berth.contract=${name}` },
        });
      } finally {
        await client.request('DELETE', `/containers/${created!.Id}`, {
          query: { force: true },
          accept: [404],
        });
      }
    },
    async tag(source: string, name: string) {
      const [repo, tag] = [name.slice(0, name.lastIndexOf(':')), name.slice(name.lastIndexOf(':') + 1)];
      await client.request('POST', `/images/${encodeURIComponent(source)}/tag`, { query: { repo, tag } });
    },
  };
}

runEngineContract('podman', async () => ({
  engine: new PodmanEngine({ socketPath, cluster: 'test' }),
  image,
  unreachable: new PodmanEngine({ socketPath: path.join(os.tmpdir(), `${prefix}-nothing.sock`) }),
  images: imageFixtures(new LibpodClient(socketPath)),
  cleanup: async () => undefined,
}));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

void describe('podman specifics', () => {
  const engine = new PodmanEngine({ socketPath, node: 'test-node' });
  const labels = { 'berth.instance': prefix };
  const base = { image, env: {}, labels, ports: [] };

  after(async () => {
    for (const c of await engine.listContainers(labels)) await engine.removeContainer(c.id);
    for (const n of await engine.listNetworks(labels)) await engine.removeNetwork(n.name);
  });

  void it('tells how to start the service when the socket is missing', async () => {
    const missing = new PodmanEngine({ socketPath: `/tmp/${prefix}-none.sock` });
    await assert.rejects(missing.inspectContainer('x'), (err: unknown) => {
      assert.ok(err instanceof UnavailableError);
      assert.match(err.message, /podman system service --time=0 unix:\/\/\/tmp\//);
      return true;
    });
  });

  void it('removes a container whose start fails and throws podman’s reason', async () => {
    const name = `${prefix}-baduser`;
    await assert.rejects(
      engine.runContainer({ ...base, name, command: ['true'], user: 'nosuchuser' }),
      (err: unknown) => {
        assert.ok(err instanceof EngineError);
        assert.match(err.message, /could not start container .*unable to find user nosuchuser/);
        return true;
      },
    );
    assert.equal(await engine.inspectContainer(name), null);
  });

  void it('publishes distinct host ports when several containers ask for port 0', async () => {
    const ports = [{ containerPort: 80, hostIp: '127.0.0.1', hostPort: 0 }];
    await engine.runContainer({ ...base, name: `${prefix}-p1`, command: ['sleep', '100'], ports });
    await engine.runContainer({ ...base, name: `${prefix}-p2`, command: ['sleep', '100'], ports });
    const published = (await engine.listContainers(labels)).map((c) => c.ports['80']);
    assert.equal(new Set(published).size, 2, JSON.stringify(published));
    assert.ok(published.every((p) => /^127\.0\.0\.1:[1-9]\d*$/.test(p ?? '')));
  });

  void it('attaches to the engine’s network and reports the address on it', async () => {
    const network = `${prefix}-net`;
    await run('podman', ['network', 'create', network]);
    try {
      const onNet = new PodmanEngine({ socketPath, network });
      const id = await onNet.runContainer({ ...base, name: `${prefix}-net`, command: ['sleep', '100'] });
      const { stdout } = await run('podman', [
        'network',
        'inspect',
        network,
        '--format',
        '{{range .Subnets}}{{.Subnet}}{{end}}',
      ]);
      const obs = await onNet.inspectContainer(id);
      const subnetPrefix = stdout.trim().split('.').slice(0, 3).join('.');
      assert.ok(obs?.ip?.startsWith(`${subnetPrefix}.`), `${obs?.ip} not in ${stdout.trim()}`);
      assert.equal((await onNet.listContainers({ ...labels }))?.find((c) => c.id === id)?.ip, obs?.ip);
      await onNet.removeContainer(id);
    } finally {
      await run('podman', ['network', 'rm', '-f', network]).catch(() => undefined);
    }
  });

  void it('creates an attachment’s network once, resolves aliases there, removes it only when unused', async () => {
    const network = {
      name: `${prefix}.app.env`,
      aliases: ['svc'],
      labels: { ...labels, 'berth.env': 'env' },
    };
    const spec = (n: string) => ({
      ...base,
      name: `${prefix}-${n}`,
      command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
      network,
    });
    // two at once: one creates the network, the other is told it exists (409) and joins it
    const ids = await Promise.all([engine.runContainer(spec('dns1')), engine.runContainer(spec('dns2'))]);
    const nets = await engine.listNetworks(labels);
    assert.deepEqual(
      nets.map((n) => n.name),
      [network.name],
    );
    assert.equal(nets[0]!.labels['berth.env'], 'env');
    const ips = await Promise.all(ids.map(async (id) => (await engine.inspectContainer(id))!.ip!));
    const lookup = await engine.execRun(ids[0], ['nslookup', 'svc'], { timeoutMs: 20_000 });
    for (const ip of ips) assert.ok(lookup.stdout.includes(ip), `svc → ${ip}: ${lookup.stdout}`);
    const page = await engine.execRun(ids[0], ['wget', '-qO-', 'http://svc:8080/'], { timeoutMs: 20_000 });
    assert.match(page.stdout, /hello/);
    assert.equal(await engine.removeNetwork(network.name), 'in-use');
    for (const id of ids) await engine.removeContainer(id);
    assert.equal(await engine.removeNetwork(network.name), 'removed');
    assert.equal(await engine.removeNetwork(network.name), 'missing');
    // made again for the next container, even when another engine removed it behind this one's back
    const id = await engine.runContainer(spec('dns3'));
    assert.equal(await new PodmanEngine({ socketPath }).removeNetwork(network.name), 'in-use');
    await engine.removeContainer(id);
    assert.equal(await new PodmanEngine({ socketPath }).removeNetwork(network.name), 'removed');
    await engine.removeContainer(await engine.runContainer(spec('dns4')));
    assert.deepEqual(
      (await engine.listNetworks(labels)).map((n) => n.name),
      [network.name],
    );
  });

  void it('reports a failed pull as an EngineError with podman’s reason', async () => {
    const port = await freePort();
    const ref = `127.0.0.1:${port}/${prefix}:1`;
    await assert.rejects(engine.ensureImage(ref), (err: unknown) => {
      assert.ok(err instanceof EngineError);
      assert.ok(err.message.includes(ref) && /connection refused/.test(err.message), err.message);
      return true;
    });
  });

  void describe(
    'pulling from a plain-HTTP registry',
    { skip: !existsSync('/usr/bin/docker-registry') },
    () => {
      let registry: ChildProcess | undefined;
      let dir = '';
      let ref = '';

      before(async () => {
        dir = mkdtempSync(path.join(os.tmpdir(), 'berth-registry-'));
        const port = await freePort();
        writeFileSync(
          path.join(dir, 'config.yml'),
          `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`,
        );
        registry = spawn('/usr/bin/docker-registry', ['serve', path.join(dir, 'config.yml')], {
          stdio: 'ignore',
        });
        ref = `127.0.0.1:${port}/berth-busybox:${prefix}`;
        for (
          let i = 0;
          i < 50 &&
          !(await fetch(`http://127.0.0.1:${port}/v2/`).then(
            (r) => r.ok,
            () => false,
          ));
          i++
        ) {
          await sleep(100);
        }
        await run('podman', ['push', '--quiet', '--tls-verify=false', image, ref]);
      });

      after(async () => {
        registry?.kill();
        await run('podman', ['rmi', '-f', ref]).catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      });

      void it('pulls a missing image with tlsVerify=false and returns its repo digest', async () => {
        assert.equal(await engine.inspectImage(ref), null);
        const info = await engine.ensureImage(ref);
        assert.match(info.digest, /^sha256:[0-9a-f]{64}$/);
        const { stdout } = await run('podman', [
          'image',
          'inspect',
          ref,
          '--format',
          '{{json .RepoDigests}}',
        ]);
        const repoDigests = JSON.parse(stdout) as string[];
        assert.ok(
          repoDigests.some((d) => d.endsWith(`@${info.digest}`)),
          `${info.digest} not in ${stdout}`,
        );
        assert.deepEqual(await engine.ensureImage(ref, { always: true }), info);
      });
    },
  );
});
