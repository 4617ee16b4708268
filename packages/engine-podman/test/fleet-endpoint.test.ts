/**
 * The test fleet and cluster endpoints (docs/fleet.md "Test fleet"): the engine contract against an
 * extra Podman cluster (unix://) and against one reached over ssh:// through the loopback sshd;
 * clusters are independent (same container name in two of them, separate lists, separate networks);
 * bad endpoints and wrong host keys fail fast with a reason; a hard-stopped cluster comes back.
 * Starts clusters c1, c2, c5 (scripts/podman-clusters.sh) and c4 plus sshd (scripts/test-sshd.sh).
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runEngineContract } from '@berth/engine-api/testing';
import { InvalidError, UnavailableError } from '@berth/shared';
import {
  openPodmanEndpoint,
  parsePodmanEndpoint,
  PodmanEngine,
  sweepStaleTunnels,
  type PodmanEndpointConnection,
} from '../src/index';
import {
  fleetClusters,
  sshCluster,
  startCluster,
  stopCluster,
  type FleetCluster,
  type SshFleetCluster,
} from '../../server/test/helpers/clusters';

const image = 'localhost/berth-busybox:1';
const mainSocket = process.env.BERTH_TEST_PODMAN_SOCKET ?? '/tmp/berth-test/podman.sock';
const prefix = `berth-fleet-${randomBytes(3).toString('hex')}`;
const run = promisify(execFile);
const nowhere = () => new PodmanEngine({ socketPath: path.join(os.tmpdir(), `${prefix}-nothing.sock`) });

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 3000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`GET 127.0.0.1:${port} timed out`)));
    req.on('error', reject);
  });
}

function ping(socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath, path: '/v4.3.1/libpod/_ping', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

async function eventually<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  ms = 15_000,
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
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}

runEngineContract('podman fleet cluster c1 (unix://)', async () => {
  const [c1] = await fleetClusters(1);
  return {
    engine: new PodmanEngine({ socketPath: c1!.socketPath, cluster: 'c1' }),
    image,
    unreachable: nowhere(),
    cleanup: async () => undefined,
  };
});

let contractTunnel: PodmanEndpointConnection | null = null;
runEngineContract('podman fleet cluster c4 (ssh://)', async () => {
  const remote = await sshCluster();
  contractTunnel = await openPodmanEndpoint(remote.endpoint, remote.credentials);
  return {
    engine: new PodmanEngine({ socketPath: contractTunnel.socketPath, cluster: 'c4' }),
    image,
    unreachable: nowhere(),
    cleanup: async () => {
      await contractTunnel?.close();
    },
  };
});

void describe('test fleet: independent clusters', () => {
  let c1!: FleetCluster;
  let c2!: FleetCluster;
  const labels = { 'berth.instance': prefix };
  const engines: PodmanEngine[] = [];

  before(async () => {
    [c1, c2] = (await fleetClusters(2)) as [FleetCluster, FleetCluster];
  });

  after(async () => {
    for (const engine of engines) {
      for (const c of await engine.listContainers(labels).catch(() => [])) {
        await engine.removeContainer(c.id).catch(() => undefined);
      }
    }
  });

  void it('runs a container of the same name in the main service and two clusters at once, each listed only in its own', async () => {
    const sockets = { main: mainSocket, c1: c1.socketPath, c2: c2.socketPath };
    const name = `${prefix}-same`;
    const ids: Record<string, string> = {};
    const ports: Record<string, number> = {};
    for (const [cluster, socketPath] of Object.entries(sockets)) {
      const engine = new PodmanEngine({ socketPath, cluster });
      engines.push(engine);
      ids[cluster] = await engine.runContainer({
        name,
        image,
        command: [
          'sh',
          '-c',
          `mkdir -p /tmp/w && echo ${cluster} > /tmp/w/index.html && exec httpd -f -p 80 -h /tmp/w`,
        ],
        env: {},
        labels,
        ports: [{ containerPort: 80, hostIp: '127.0.0.1', hostPort: 0 }],
        init: true,
      });
      const obs = await engine.inspectContainer(name);
      assert.equal(obs?.id, ids[cluster]);
      ports[cluster] = Number(obs?.ports['80']?.split(':').pop());
      assert.ok(ports[cluster] > 0, `${cluster} published port 80: ${JSON.stringify(obs?.ports)}`);
    }
    assert.equal(new Set(Object.values(ids)).size, 3, 'three distinct containers');
    assert.equal(new Set(Object.values(ports)).size, 3, 'three distinct host ports');

    // Each answers on its own loopback port with its own page.
    for (const cluster of Object.keys(sockets)) {
      assert.equal((await eventually(`${cluster} httpd`, () => httpGet(ports[cluster]!))).trim(), cluster);
    }
    // Each service lists only its own container (the podman CLI through the socket, as an admin would).
    for (const [cluster, socketPath] of Object.entries(sockets)) {
      const { stdout } = await run('podman', [
        '--url',
        `unix://${socketPath}`,
        'ps',
        '--filter',
        `label=berth.instance=${prefix}`,
        '--format',
        '{{.ID}}',
        '--no-trunc',
      ]);
      assert.deepEqual(stdout.trim().split('\n'), [ids[cluster]], `podman ps on ${cluster}`);
    }
    // Separate networks: 10.87.1.0/24 and 10.87.2.0/24 for c1 and c2, podman's 10.88/16 for main.
    const ips = await Promise.all(
      engines.slice(-3).map(async (e) => (await e.inspectContainer(name))?.ip ?? ''),
    );
    assert.match(ips[0]!, /^10\.88\./);
    assert.match(ips[1]!, /^10\.87\.1\./);
    assert.match(ips[2]!, /^10\.87\.2\./);
  });

  void it('a hard-stopped cluster is unreachable, its containers die, and it comes back with them exited', async () => {
    // c5 of its own: other tests may use c1 … c4 meanwhile.
    const c5 = await startCluster('c5');
    const engine = new PodmanEngine({ socketPath: c5.socketPath, cluster: 'c5' });
    engines.push(engine);
    const name = `${prefix}-doomed`;
    const id = await engine.runContainer({
      name,
      image,
      command: ['sleep', '1000'],
      env: {},
      labels,
      ports: [],
      init: true,
    });
    await stopCluster('c5');
    const health = await engine.health();
    assert.equal(health.ok, false);
    await assert.rejects(engine.listContainers(labels), UnavailableError);
    // The main service and c1 do not notice (_ping: /version can take seconds on a busy host).
    for (const socketPath of [c1.socketPath, mainSocket]) {
      assert.equal(await ping(socketPath), 'OK', `${socketPath} answers`);
    }

    await startCluster('c5');
    const obs = await eventually('the killed container to show as exited', async () => {
      const o = await engine.inspectContainer(id);
      return o?.state === 'exited' ? o : null;
    });
    assert.equal(obs.name, name);
  });
});

void describe('cluster endpoints', () => {
  let remote!: SshFleetCluster;
  before(async () => {
    remote = await sshCluster();
  });

  void it('parses unix:// and ssh:// endpoints and refuses anything that could become an ssh option', () => {
    assert.deepEqual(parsePodmanEndpoint('unix:///run/podman/podman.sock'), {
      kind: 'unix',
      path: '/run/podman/podman.sock',
    });
    assert.deepEqual(parsePodmanEndpoint('ssh://core@dc1-a.example.org/run/podman/podman.sock'), {
      kind: 'ssh',
      user: 'core',
      host: 'dc1-a.example.org',
      port: 22,
      path: '/run/podman/podman.sock',
    });
    assert.equal((parsePodmanEndpoint('ssh://root@[::1]:2222/run/p.sock') as { port: number }).port, 2222);
    const bad: [string, RegExp][] = [
      ['', /empty/],
      ['tcp://127.0.0.1:8080', /scheme "tcp" is not supported/],
      ['unix://relative.sock', /must be absolute/],
      ['ssh://127.0.0.1/run/p.sock', /names no user/],
      ['ssh://-oProxyCommand=touch_x@host/run/p.sock', /user "-oProxyCommand=touch_x" is not a valid/],
      ['ssh://root@-oProxyCommand=x/run/p.sock', /host "-oProxyCommand=x" is not a valid/],
      ['ssh://root@host name/run/p.sock', /host "host name" is not a valid/],
      ['ssh://root@host:0/run/p.sock', /port "0" is not a number from 1 to 65535/],
      ['ssh://root@host:22x/run/p.sock', /port "22x"/],
      ['ssh://root@host', /names no socket path/],
      ['ssh://root@host/run/../etc/p.sock', /without "\." or "\.\." segments/],
      ['ssh://root@host/run/p.sock:/etc/shadow', /only letters, digits/],
      ['ssh://root@host/run/p;rm.sock', /only letters, digits/],
    ];
    for (const [endpoint, message] of bad) {
      assert.throws(
        () => parsePodmanEndpoint(endpoint),
        (err: unknown) => {
          assert.ok(err instanceof InvalidError, endpoint);
          assert.match(err.message, message, endpoint);
          assert.deepEqual((err.details?.fields as { path: string }[])[0]?.path, 'endpoint');
          return true;
        },
      );
    }
  });

  void it('a unix:// endpoint is its own socket', async () => {
    const conn = await openPodmanEndpoint(`unix://${remote.socketPath}`);
    assert.equal(conn.socketPath, remote.socketPath);
    await conn.close();
    assert.ok(existsSync(remote.socketPath), 'close() leaves a unix socket alone');
  });

  void it('an ssh:// endpoint tunnels to the cluster, and close() ends ssh and removes its files', async () => {
    const conn = await openPodmanEndpoint(remote.endpoint, remote.credentials);
    assert.match(conn.socketPath, /berth-ssh-[^/]+\/podman\.sock$/);
    const viaSsh = new PodmanEngine({ socketPath: conn.socketPath, cluster: 'c4' });
    const direct = new PodmanEngine({ socketPath: remote.socketPath, cluster: 'c4' });
    const name = `${prefix}-over-ssh`;
    const id = await viaSsh.runContainer({
      name,
      image,
      command: ['sleep', '1000'],
      env: {},
      labels: { 'berth.instance': prefix },
      ports: [],
      init: true,
    });
    try {
      assert.equal((await direct.inspectContainer(name))?.id, id, 'the container is in cluster c4');
    } finally {
      await direct.removeContainer(id);
    }
    await conn.close();
    assert.equal(existsSync(path.dirname(conn.socketPath)), false, 'temp dir removed');
    assert.equal((await viaSsh.health()).ok, false);
  });

  void it('a wrong host key fails at once with the reason, not a hang', async () => {
    const { stdout: otherKey } = await run('bash', [
      '-c',
      `d=$(mktemp -d) && ssh-keygen -q -t ed25519 -N '' -f "$d/k" && cut -d' ' -f1,2 "$d/k.pub" && rm -rf "$d"`,
    ]);
    const started = Date.now();
    await assert.rejects(
      openPodmanEndpoint(remote.endpoint, {
        ...remote.credentials,
        knownHosts: `[127.0.0.1]:${remote.ssh.port} ${otherKey.trim()}\n`,
      }),
      (err: unknown) => {
        assert.ok(err instanceof UnavailableError);
        assert.match(
          err.message,
          /Host key verification failed: root@127\.0\.0\.1:\d+ presents a different host key/,
        );
        assert.match(err.message, /ssh-keyscan -p \d+/);
        return true;
      },
    );
    // No known host at all is refused the same way (never trust on first use).
    await assert.rejects(
      openPodmanEndpoint(remote.endpoint, { ...remote.credentials, knownHosts: '# nothing\n' }),
      /Host key verification failed: .* presents a host key that is not in the cluster's knownHosts/,
    );
    assert.ok(Date.now() - started < 10_000, `failed in ${Date.now() - started} ms`);
  });

  void it('a key the server does not accept, a closed port and a missing remote socket fail with a reason', async () => {
    const { stdout: otherKey } = await run('bash', [
      '-c',
      `d=$(mktemp -d) && ssh-keygen -q -t ed25519 -N '' -f "$d/k" && cat "$d/k" && rm -rf "$d"`,
    ]);
    await assert.rejects(
      openPodmanEndpoint(remote.endpoint, { ...remote.credentials, privateKey: otherKey }),
      /Permission denied .*refused the private key/,
    );

    // A port nothing listens on: connection refused, at once.
    const closed = await new Promise<number>((resolve) => {
      const s = http.createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    await assert.rejects(
      openPodmanEndpoint(`ssh://root@127.0.0.1:${closed}${remote.socketPath}`, remote.credentials),
      /ended \(exit 255\) before the Podman API answered: ssh: connect to host 127\.0\.0\.1 port \d+: Connection refused/,
    );

    // The tunnel comes up but nothing listens on the remote path: bounded by timeoutMs.
    const started = Date.now();
    await assert.rejects(
      openPodmanEndpoint(
        `ssh://root@127.0.0.1:${remote.ssh.port}/tmp/${prefix}-no-podman.sock`,
        remote.credentials,
        { timeoutMs: 2000 },
      ),
      /did not answer through ssh within 2000 ms \(the tunnel is up: is Podman's service listening on \/tmp\/berth-fleet-\w+-no-podman\.sock there\?\)/,
    );
    assert.ok(Date.now() - started < 8000, `gave up after ${Date.now() - started} ms`);
  });

  void it('a tunnel left by a SIGKILLed owner keeps running until the next process sweeps it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), `${prefix}-owner-`));
    const script = path.join(dir, 'owner.mts');
    const index = path.resolve(import.meta.dirname, '../src/index.ts');
    writeFileSync(
      script,
      `import { openPodmanEndpoint } from ${JSON.stringify(index)};\n` +
        'const c = await openPodmanEndpoint(process.env.EP!, JSON.parse(process.env.CREDS!));\n' +
        'console.log(c.socketPath);\nsetInterval(() => undefined, 1000);\n',
    );
    const owner = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: path.resolve(import.meta.dirname, '../../..'),
      env: { ...process.env, EP: remote.endpoint, CREDS: JSON.stringify(remote.credentials) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const socketPath = await new Promise<string>((resolve, reject) => {
        let out = '';
        owner.stdout.setEncoding('utf8');
        owner.stdout.on('data', (c: string) => {
          out += c;
          if (out.includes('\n')) resolve(out.trim());
        });
        owner.once('exit', (code) => reject(new Error(`owner exited (${code}) before the tunnel was up`)));
      });
      assert.equal(await ping(socketPath), 'OK');
      const gone = new Promise((r) => owner.once('exit', r));
      owner.kill('SIGKILL');
      await gone;
      assert.equal(await ping(socketPath), 'OK', 'the orphaned ssh still forwards');
      const sshPid = Number(readFileSync(path.join(path.dirname(socketPath), 'ssh.pid'), 'utf8'));
      assert.ok((await sweepStaleTunnels()) >= 1);
      assert.equal(existsSync(path.dirname(socketPath)), false, 'its dir is removed');
      await eventually('the orphaned ssh to end', async () => {
        try {
          process.kill(sshPid, 0);
          return false;
        } catch {
          return true;
        }
      });
    } finally {
      owner.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
