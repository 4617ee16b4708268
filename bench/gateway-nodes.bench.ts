/**
 * Many gateway nodes on one machine: 100 small Nginx nodes (one worker each) run by
 * berth-gateway-agent processes of 25 nodes (`--nodes-file`) against a real Berth. Prints the
 * time from a route change's API answer until every node reports in-sync (median and max over a
 * few changes), the time until an endpoint change (scaling a real service) is balanced by every
 * node, the memory of each agent process and each Nginx node (master + worker; RSS and PSS, which
 * shares the pages a master and its worker have in common), and the load average. No assertions.
 *
 * BENCH_NODES (default 100), BENCH_NODES_PER_AGENT (default 25), BENCH_CHANGES (default 5; 2 with
 * --quick). Runs in `npm run bench` (scripts/bench.sh runs every bench/*.bench.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { EndpointsClient, controlSocketPath } from '../packages/gateway-nginx/src/index';
import {
  startAgentGroup,
  type AgentGroup,
  type GroupNode,
} from '../packages/server/test/helpers/gateway-nodes';
import { freePort } from '../packages/server/test/helpers/net';
import { grantZone } from '../packages/server/test/helpers/tenancy';
import {
  eventually,
  makeProject,
  startPlatform,
  waitTask,
  webSpec,
} from '../packages/server/test/helpers/platform';

const count = Number(process.env.BENCH_NODES ?? 100);
const perAgent = Number(process.env.BENCH_NODES_PER_AGENT ?? 25);
const changes = Number(process.env.BENCH_CHANGES ?? (process.argv.includes('--quick') ? 2 : 5));
const host = 'web.nodes.bench.test';
const routes = '/api/v1/projects/shop/envs/test/routes';

type Obj = Record<string, unknown>;
interface NodeView {
  name: string;
  state: string;
  appliedVersion: number | null;
}

/** KiB of VmRSS and Pss of a process (0 when it is gone). */
function memory(pid: number): { rss: number; pss: number } {
  try {
    const rss = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    const pss = Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    return { rss, pss };
  } catch {
    return { rss: 0, pss: 0 };
  }
}

/** The master and worker pids of a node's Nginx. */
function nginxPids(n: GroupNode): number[] {
  const pid = Number(readFileSync(path.join(n.prefix, 'logs', 'nginx.pid'), 'utf8').trim());
  const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return [pid, ...kids.map(Number)];
}

const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
const ms = (x: number) => `${Math.round(x)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const root = mkdtempSync(path.join(tmpdir(), 'berth-bench-nodes-'));
const p = await startPlatform({ BERTH_GATEWAY_LISTEN: 'off', BERTH_LOG_LEVEL: 'silent' });
const groups: AgentGroup[] = [];
try {
  const base = await makeProject(p.api, 'shop');
  await grantZone(p.api, 'nodes.bench.test', 'shop');
  const svc = await p.api.post<{ task: Obj }>(base, { name: 'web', spec: webSpec('v1', 1) });
  await waitTask(p.api, svc.body.task.id as string);
  const g = await p.api.post('/api/v1/gateways', {
    name: 'edge',
    env: 'test',
    listen: `127.0.0.1:${await freePort()}`,
  });
  if (g.status !== 201) throw new Error(JSON.stringify(g.body));
  const made: { name: string; token: string }[] = [];
  for (let i = 0; i < count; i++) {
    const name = `node-${String(i).padStart(3, '0')}`;
    const r = await p.api.post<{ token: string }>('/api/v1/gateways/edge/nodes', { name });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
    made.push({ name, token: r.body.token });
  }
  const list = async () => (await p.api.get<{ items: NodeView[] }>('/api/v1/gateways/edge/nodes')).body.items;
  const version = async () =>
    (await p.api.get<{ appliedVersion: number }>('/api/v1/gateways/edge')).body.appliedVersion;
  /** Polls every 50 ms until all nodes report in-sync with the gateway's version; answers when. */
  const allInSync = async () => {
    const v = await version();
    await eventually(
      async () => (await list()).every((n) => n.state === 'in-sync' && n.appliedVersion === v),
      `all ${count} nodes in sync with version ${v}`,
      180_000,
      50,
    );
    return performance.now();
  };

  let t = performance.now();
  for (let i = 0; i < made.length; i += perAgent)
    groups.push(await startAgentGroup(`agents-${i / perAgent}`, root, p.url, made.slice(i, i + perAgent)));
  const nodes = groups.flatMap((x) => x.nodes);
  console.log(
    `${count} nodes in ${groups.length} agent processes (${perAgent} per process), one worker each`,
  );
  console.log(`  first version on all nodes: ${ms((await allInSync()) - t)} after the agents started`);

  const c = await p.api.post<{ version: number }>(routes, {
    name: 'web',
    spec: { host, backends: { service: { name: 'web' } } },
  });
  if (c.status !== 201) throw new Error(JSON.stringify(c.body));
  await allInSync();
  const syncs: number[] = [];
  const answers: number[] = [];
  for (let i = 1; i <= changes; i++) {
    const cur = await p.api.get<{ version: number }>(`${routes}/web`);
    t = performance.now();
    const u = await p.api.put(`${routes}/web`, {
      version: cur.body.version,
      spec: { host, backends: { service: { name: 'web' } }, headers: [{ name: 'X-Rev', value: String(i) }] },
    });
    if (u.status !== 200) throw new Error(JSON.stringify(u.body));
    const answered = performance.now();
    answers.push(answered - t);
    syncs.push((await allInSync()) - answered);
  }
  console.log(
    `  route change (${changes}x): API answer median ${ms(median(answers))}; answer → all ${count} in-sync median ${ms(median(syncs))}, max ${ms(Math.max(...syncs))}`,
  );

  const balanced = async (want: number) => {
    await eventually(
      async () => {
        const sets = await Promise.all(
          nodes.map((n) => new EndpointsClient(controlSocketPath(n.prefix)).get().catch(() => null)),
        );
        return sets.every(
          (s) =>
            s !== null &&
            Object.values(s.pools)
              .flat()
              .filter((e) => e.weight > 0).length === want,
        );
      },
      `all nodes balance over ${want} endpoints`,
      180_000,
      50,
    );
    return performance.now();
  };
  const endpoints: number[] = [];
  for (const replicas of [2, 1, 2]) {
    const r = await p.api.post<{ task: Obj }>(`${base}/web/scale`, { replicas });
    if (r.status !== 202) throw new Error(JSON.stringify(r.body));
    await waitTask(p.api, r.body.task.id as string);
    const done = performance.now();
    endpoints.push((await balanced(replicas)) - done);
  }
  console.log(
    `  endpoint change (scale 1→2→1→2): task done → all ${count} nodes balance over the new set median ${ms(median(endpoints))}, max ${ms(Math.max(...endpoints))}`,
  );

  const agents = groups.map((x) => memory(x.proc.pid!));
  const perNode = nodes.map((n) =>
    nginxPids(n)
      .map(memory)
      .reduce((a, m) => ({ rss: a.rss + m.rss, pss: a.pss + m.pss }), { rss: 0, pss: 0 }),
  );
  const sum = (xs: { rss: number; pss: number }[]) =>
    xs.reduce((a, m) => ({ rss: a.rss + m.rss, pss: a.pss + m.pss }), { rss: 0, pss: 0 });
  const ta = sum(agents);
  const tn = sum(perNode);
  console.log(
    `  agent process (${perAgent} nodes): RSS median ${mib(median(agents.map((m) => m.rss)))}, PSS ${mib(median(agents.map((m) => m.pss)))}; per node ${mib(ta.rss / count)} RSS`,
  );
  console.log(
    `  Nginx node (master + 1 worker): RSS median ${mib(median(perNode.map((m) => m.rss)))}, PSS median ${mib(median(perNode.map((m) => m.pss)))}`,
  );
  console.log(
    `  totals: agents RSS ${mib(ta.rss)} (PSS ${mib(ta.pss)}), Nginx RSS ${mib(tn.rss)} (PSS ${mib(tn.pss)})`,
  );
  console.log(
    `  load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
} finally {
  await Promise.all(groups.map((x) => x.kill('SIGTERM')));
  await p.close();
  rmSync(root, { recursive: true, force: true });
}
