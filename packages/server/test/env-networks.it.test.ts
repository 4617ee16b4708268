/**
 * Per-environment networks on the real Podman (docs/networks.md): the containers of a project
 * environment share a network where a service answers to its name (every replica, round robin),
 * and keep publishing their ports on 127.0.0.1. Tenants are walls: a container of project B
 * resolves B's `web`, never A's, cannot resolve A's `api`, and cannot reach A's container by its
 * address — while the same command reaches B's own container (so the refusal is the wall, not a
 * broken tool). A cron run joins its env's network too. Deleting a project's services and the
 * project removes its network; the other project's stays.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CronRunView } from '@berth/shared';
import {
  eventually,
  makeProject,
  startPlatform,
  testImage,
  waitTask,
  webSpec,
  type TestPlatform,
} from './helpers/platform';

type Obj = Record<string, unknown>;
interface ContainerView {
  name: string;
  ip: string | null;
  state: string;
  endpoints: Record<string, string>;
}

/** A web server answering `page` on 8080 (webSpec), `replicas` of them. */
const serving = (page: string, replicas = 1) => webSpec(page, replicas);

describe('env networks', () => {
  let p: TestPlatform;
  const a = '/api/v1/projects/neta/envs/test/services';
  const b = '/api/v1/projects/netb/envs/test/services';

  async function deploy(base: string, name: string, spec: Obj): Promise<void> {
    const r = await p.api.post<{ task: Obj }>(base, { name, spec });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const task = await waitTask(p.api, r.body.task.id as string);
    assert.equal(task.state, 'succeeded', JSON.stringify(task));
  }

  async function containers(base: string, name: string): Promise<ContainerView[]> {
    return eventually(async () => {
      const list = (await p.api.get<{ items: ContainerView[] }>(`${base}/${name}/containers`)).body.items;
      return list.length && list.every((c) => c.state === 'ready' && c.ip) ? list : null;
    }, `${base}/${name} ready with addresses`);
  }

  /** A shell command inside a container; busybox wget without -T (static 1.35 segfaults on -T). */
  async function sh(container: string, cmd: string): Promise<{ exitCode: number; out: string }> {
    const r = await p.engine.execRun(container, ['sh', '-c', cmd], { timeoutMs: 30_000 });
    return { exitCode: r.exitCode, out: `${r.stdout}${r.stderr}` };
  }

  /** The addresses busybox nslookup gives for `name` (the answer section only, not the server). */
  function addresses(out: string): string[] {
    const answer = out
      .split(/^Name:/m)
      .slice(1)
      .join('\n');
    return [...answer.matchAll(/Address:\s*(\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]!).sort();
  }

  before(async () => {
    p = await startPlatform();
    await makeProject(p.api, 'neta');
    await makeProject(p.api, 'netb');
    await Promise.all([
      deploy(a, 'web', serving('a-web', 2)),
      deploy(a, 'api', serving('a-api')),
      deploy(b, 'web', serving('b-web')),
      deploy(b, 'worker', serving('b-worker')),
    ]);
  });
  after(() => p?.close());

  it('gives each project environment its own labelled network, and each container only that one', async () => {
    const nets = await p.engine.listNetworks({ 'berth.instance': p.instanceId });
    const byName = new Map(nets.map((n) => [n.name, n]));
    const netA = byName.get(`berth-${p.instanceId}.local.neta.test`);
    const netB = byName.get(`berth-${p.instanceId}.local.netb.test`);
    assert.ok(netA && netB, `networks: ${[...byName.keys()].join(', ')}`);
    assert.equal(nets.length, 2);
    assert.equal(netA.labels['berth.project'], 'neta');
    assert.equal(netA.labels['berth.env'], 'test');
    assert.equal(netA.labels['berth.cluster'], 'local');
    const [web] = await containers(a, 'web');
    const hostname = await sh(web!.name, 'ip -4 -o addr show eth0 2>/dev/null || hostname -i');
    assert.ok(hostname.out.includes(web!.ip!), `the API's address ${web!.ip} is eth0's: ${hostname.out}`);
    assert.ok(!(await sh(web!.name, 'ip -4 -o addr 2>/dev/null')).out.includes('eth1'), 'one network only');
  });

  it("resolves a service's name to every replica and reaches it, within the project environment", async () => {
    const webs = await containers(a, 'web');
    assert.equal(webs.length, 2);
    const [api] = await containers(a, 'api');
    const lookup = await sh(api!.name, 'nslookup web');
    assert.equal(lookup.exitCode, 0, lookup.out);
    assert.deepEqual(addresses(lookup.out), webs.map((c) => c.ip!).sort(), lookup.out);
    // both replicas answer to the name; the page is A's
    const page = await sh(api!.name, 'wget -qO- http://web:8080/');
    assert.equal(page.exitCode, 0, page.out);
    assert.equal(page.out.trim(), 'a-web');
    const back = await sh(webs[0]!.name, 'wget -qO- http://api:8080/');
    assert.equal(back.out.trim(), 'a-api');
  });

  it('keeps publishing every replica on 127.0.0.1 for the gateways', async () => {
    for (const c of await containers(a, 'web')) {
      const endpoint = c.endpoints['8080'];
      assert.match(String(endpoint), /^127\.0\.0\.1:\d+$/);
      const res = await fetch(`http://${endpoint}/`);
      assert.equal((await res.text()).trim(), 'a-web');
    }
  });

  it("walls tenants: B resolves its own web, not A's api, and cannot reach A's address", async () => {
    const [worker] = await containers(b, 'worker');
    const [bWeb] = await containers(b, 'web');
    const [aWeb] = await containers(a, 'web');
    const same = await sh(worker!.name, 'wget -qO- http://web:8080/');
    assert.equal(same.out.trim(), 'b-web', 'the same service name in another project is that project’s');
    const lookup = await sh(worker!.name, 'nslookup api');
    assert.notEqual(lookup.exitCode, 0, `A's api must not resolve from B: ${lookup.out}`);
    assert.deepEqual(addresses(lookup.out), []);
    // the control: the same command reaches B's own container by address
    const own = await sh(worker!.name, `timeout 20 wget -qO- http://${bWeb!.ip}:8080/`);
    assert.equal(own.out.trim(), 'b-web', own.out);
    const across = await sh(worker!.name, `timeout 3 wget -qO- http://${aWeb!.ip}:8080/; echo "exit=$?"`);
    assert.doesNotMatch(across.out, /a-web/, "B reached A's container");
    assert.match(across.out, /exit=(?!0)\d+/, across.out);
    // and the other way round
    const [aApi] = await containers(a, 'api');
    const back = await sh(aApi!.name, `timeout 3 wget -qO- http://${bWeb!.ip}:8080/; echo "exit=$?"`);
    assert.doesNotMatch(back.out, /b-web/, "A reached B's container");
  });

  it("runs a cron job on its env's network, where the env's services answer by name", async () => {
    const base = '/api/v1/projects/neta/envs/test/cronjobs';
    const job = await p.api.post(base, {
      name: 'ping',
      spec: {
        image: testImage,
        schedule: '@yearly',
        suspend: true,
        command: ['wget', '-qO-', 'http://web:8080/'],
      },
    });
    assert.equal(job.status, 201, JSON.stringify(job.body));
    const run = await p.api.post<{ id: string }>(`${base}/ping/run`);
    assert.equal(run.status, 202, JSON.stringify(run.body));
    const done = await eventually(async () => {
      const runs = (await p.api.get<{ items: CronRunView[] }>(`${base}/ping/runs`)).body.items;
      const r = runs.find((x) => x.id === run.body.id);
      return r && ['succeeded', 'failed'].includes(r.state) ? r : null;
    }, 'the cron run finished');
    const logs = await p.api.get<{ lines: { text: string }[] }>(`${base}/ping/runs/${run.body.id}/logs`);
    const text = logs.body.lines.map((l) => l.text).join('\n');
    // a failure shows why: the run's message and each attempt's exit, then the container's output
    assert.equal(
      done.state,
      'succeeded',
      `${JSON.stringify({ message: done.message, attempts: done.attempts })}\n${text}`,
    );
    assert.match(text, /a-web/);
  });

  it("removes a deleted project's network and keeps the others", async () => {
    for (const name of ['web', 'worker']) {
      const del = await p.api.delete<{ task: Obj }>(`${b}/${name}`);
      assert.equal(del.status, 202, JSON.stringify(del.body));
      await waitTask(p.api, del.body.task.id as string);
    }
    await eventually(
      async () => (await p.api.delete('/api/v1/projects/netb')).status === 204,
      'project netb deleted once its services are gone',
    );
    await eventually(async () => {
      const names = (await p.engine.listNetworks({ 'berth.instance': p.instanceId })).map((n) => n.name);
      return names.length === 1 && names[0] === `berth-${p.instanceId}.local.neta.test`;
    }, "netb's network removed by the sweep, neta's kept");
    const [api] = await containers(a, 'api');
    assert.equal((await sh(api!.name, 'wget -qO- http://web:8080/')).out.trim(), 'a-web');
  });
});
