/**
 * What the soak checks after every restart: the desired state converged (through the API), and
 * nothing is left behind in Podman or in the gateway's rendered upstreams.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestApi } from '../../packages/server/test/helpers/platform';
import { EndpointsClient, controlSocketPath } from '@berth/gateway-nginx';

const run = promisify(execFile);
type Obj = Record<string, unknown>;

export interface Wanted {
  service: string;
  release: number;
  replicas: number;
}

export interface LedgerContainer {
  name: string;
  service: string;
  release: number;
  state: string;
  ready: boolean;
  inRotation: boolean;
  endpoints: Record<string, string>;
}

export interface PodmanContainer {
  Id: string;
  Names: string[];
  State: string;
  Labels: Record<string, string> | null;
}

/** `podman ps -a` of containers with one label (argv only, on the given API socket). */
export async function podmanPs(socket: string, label: string): Promise<PodmanContainer[]> {
  const { stdout } = await run(
    'podman',
    ['--url', `unix://${socket}`, 'ps', '-a', '--filter', `label=${label}`, '--format', 'json'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const parsed = JSON.parse(stdout || '[]') as PodmanContainer[] | null;
  return parsed ?? [];
}

export async function podmanRm(socket: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await run('podman', ['--url', `unix://${socket}`, 'rm', '-f', '-t', '2', ...ids]).catch(() => undefined);
}

export class Checker {
  constructor(
    private readonly api: () => TestApi,
    private readonly o: { project: string; instanceId: string; socket: string; dataDir: string },
  ) {}

  private base(service: string): string {
    return `/api/v1/projects/${this.o.project}/envs/test/services/${service}`;
  }

  async service(name: string): Promise<Obj> {
    const r = await this.api().get(this.base(name));
    if (r.status !== 200) throw new Error(`GET service ${name}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  async ledger(name: string): Promise<LedgerContainer[]> {
    const r = await this.api().get<{ items: LedgerContainer[] }>(`${this.base(name)}/containers`);
    if (r.status !== 200) throw new Error(`GET containers of ${name}: ${r.status}`);
    return r.body.items.map((c) => ({ ...c, service: name }));
  }

  /**
   * Null when converged; otherwise what is not yet true. Converged: every wanted service is
   * healthy at its release with exactly `replicas` ready containers of it and nothing else in
   * its ledger, and every gateway node has applied the gateway's newest version.
   */
  async pending(wanted: Wanted[]): Promise<string | null> {
    for (const w of wanted) {
      const s = await this.service(w.service);
      if (s.release !== w.release) {
        const r = await this.api().get(`${this.base(w.service)}/releases/${w.release}`);
        return `${w.service}: release ${String(s.release)}, wanted ${w.release} (release ${w.release} is ${String(r.body.state)}; ${String(s.message)})`;
      }
      if (s.status !== 'healthy' || s.readyReplicas !== w.replicas)
        return `${w.service}: ${String(s.status)} with ${String(s.readyReplicas)}/${w.replicas} ready`;
      const ledger = await this.ledger(w.service);
      const good = ledger.filter((c) => c.release === w.release && c.ready && c.state === 'ready');
      if (good.length !== w.replicas || ledger.length !== w.replicas)
        return `${w.service}: ledger has ${ledger.length} active (${ledger.map((c) => `${c.name}:r${c.release}:${c.state}`).join(', ')}), wanted ${w.replicas} ready of release ${w.release}`;
    }
    const nodes = await this.api().get<{ items: Obj[] }>('/api/v1/gateways/local/nodes');
    if (nodes.status !== 200) return `gateway nodes: ${nodes.status}`;
    const behind = nodes.body.items.filter((n) => n.state !== 'in-sync');
    if (behind.length)
      return `gateway nodes not in sync: ${behind.map((n) => `${String(n.name)}=${String(n.state)} applied ${String(n.appliedVersion)}/${String(n.wantedVersion)}`).join(', ')}`;
    return null;
  }

  /**
   * What is left behind (empty when nothing): Podman containers of this instance that the
   * ledger does not list as active or that are not running, ledger rows with no container,
   * build containers of these builds, and upstream servers that are not ready containers.
   */
  async leftovers(services: string[], buildIds: Set<string>): Promise<string[]> {
    const found: string[] = [];
    const ledger = (await Promise.all(services.map((s) => this.ledger(s)))).flat();
    const byName = new Map(ledger.map((c) => [c.name, c]));
    const live = await podmanPs(this.o.socket, `berth.instance=${this.o.instanceId}`);
    const liveNames = new Set<string>();
    for (const c of live) {
      const name = c.Names[0] ?? c.Id;
      liveNames.add(name);
      const row = byName.get(name);
      if (!row) found.push(`container ${name} (${c.State}) is not in the ledger`);
      else if (c.State !== 'running') found.push(`container ${name} is ${c.State} in Podman`);
    }
    for (const c of ledger)
      if (!liveNames.has(c.name)) found.push(`ledger row ${c.name} (${c.state}) has no container`);
    if (buildIds.size) {
      const builds = await podmanPs(this.o.socket, 'berth.codeflow.build');
      for (const c of builds) {
        const id = c.Labels?.['berth.codeflow.build'];
        if (id && buildIds.has(id)) found.push(`build container ${c.Names[0] ?? c.Id} (${c.State}) left`);
      }
    }
    const ready = new Set(
      ledger.filter((c) => c.ready && c.inRotation).flatMap((c) => Object.values(c.endpoints)),
    );
    for (const server of await this.upstreamServers())
      if (!ready.has(server)) found.push(`upstream server ${server} is not a ready container`);
    return found;
  }

  /** The endpoints the local gateway's running Nginx balances over (asked over its control socket). */
  async upstreamServers(): Promise<string[]> {
    const prefix = path.join(this.o.dataDir, 'gateway', 'local');
    const set = await new EndpointsClient(controlSocketPath(prefix)).get().catch(() => null);
    return Object.values(set?.pools ?? {})
      .flat()
      .filter((e) => e.weight > 0)
      .map((e) => e.address);
  }
}
