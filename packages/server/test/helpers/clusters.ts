/**
 * The test fleet (docs/fleet.md "Test fleet"): extra Podman API services on this machine, each an
 * independent cluster with its own storage, run root, locks and network, started on first use by
 * scripts/podman-clusters.sh and left running (idle) for later tests; plus a loopback sshd
 * (scripts/test-sshd.sh) to reach one of them over ssh://.
 *
 *   const [c1, c2, c3] = await fleetClusters(3);   // unix:// endpoints c1 … c3
 *   const remote = await sshCluster();             // c4 over ssh://root@127.0.0.1:PORT/…
 *
 * Cluster cK serves its containers from subnet 10.87.K.0/24 and publishes ports on this host, like
 * the main test service; a container name can exist in every cluster at once.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const testDir = process.env.BERTH_TEST_DIR ?? '/tmp/berth-test';

/** One cluster of the test fleet. */
export interface FleetCluster {
  /** "c1" … (also the folder under $BERTH_TEST_DIR/clusters). */
  name: string;
  /** unix:///…/clusters/cK/podman.sock */
  endpoint: string;
  /** The API socket on this host. */
  socketPath: string;
}

/** A fleet cluster reached through the loopback sshd. */
export interface SshFleetCluster extends FleetCluster {
  /** ssh://root@127.0.0.1:PORT/…/clusters/cK/podman.sock (socketPath is the remote path). */
  endpoint: string;
  credentials: { privateKey: string; knownHosts: string };
  ssh: { user: string; host: string; port: number; keyFile: string; knownHostsFile: string };
}

function clusterOf(name: string): FleetCluster {
  const socketPath = path.join(testDir, 'clusters', name, 'podman.sock');
  return { name, endpoint: `unix://${socketPath}`, socketPath };
}

async function script(file: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run('bash', [path.join(repoRoot, 'scripts', file), ...args], {
      env: { ...process.env, BERTH_TEST_DIR: testDir },
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string; stdout?: string };
    throw new Error(
      `scripts/${file} ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}${e.stdout ?? ''}`,
    );
  }
}

/** Names c1 … cN. */
function names(n: number): string[] {
  if (!Number.isInteger(n) || n < 1 || n > 31) throw new Error(`fleetClusters(${n}): 1 to 31 clusters`);
  return Array.from({ length: n }, (_, i) => `c${i + 1}`);
}

/**
 * Starts clusters c1 … cN when they are not running (idempotent; the first start of a cluster
 * copies the test images into its storage, a few seconds each) and returns them.
 */
export async function fleetClusters(n: number): Promise<FleetCluster[]> {
  const list = names(n);
  await script('podman-clusters.sh', list);
  return list.map(clusterOf);
}

/** Starts (or finds running) one named cluster, e.g. "c4". */
export async function startCluster(name: string): Promise<FleetCluster> {
  await script('podman-clusters.sh', [name]);
  return clusterOf(name);
}

/**
 * Kills a cluster as a dead host would: its API service and every container in it get SIGKILL.
 * `startCluster(name)` brings the service back (the containers stay exited, as after a power cut).
 */
export async function stopCluster(name: string): Promise<void> {
  await script('podman-clusters.sh', ['--stop', name]);
}

/**
 * One fleet cluster (default "c4", apart from fleetClusters(3)) reached over ssh:// through the
 * loopback test sshd, with the credentials a cluster registration carries.
 */
export async function sshCluster(opts: { cluster?: string } = {}): Promise<SshFleetCluster> {
  const cluster = await startCluster(opts.cluster ?? 'c4');
  const out = await script('test-sshd.sh', []);
  const port = Number(out.trim().split('\n').pop());
  if (!Number.isInteger(port) || port <= 0) throw new Error(`scripts/test-sshd.sh printed no port: ${out}`);
  const dir = path.join(testDir, 'ssh');
  const keyFile = path.join(dir, 'id_ed25519');
  const knownHostsFile = path.join(dir, 'known_hosts');
  return {
    ...cluster,
    endpoint: `ssh://root@127.0.0.1:${port}${cluster.socketPath}`,
    credentials: {
      privateKey: await readFile(keyFile, 'utf8'),
      knownHosts: await readFile(knownHostsFile, 'utf8'),
    },
    ssh: { user: 'root', host: '127.0.0.1', port, keyFile, knownHostsFile },
  };
}
