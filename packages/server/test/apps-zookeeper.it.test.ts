/**
 * ZooKeeper in the app store (docs/apps.md, "ZooKeeper" and "Upgrade") on the real Podman engine,
 * judged with a real client (node-zookeeper-client, pure JS) through the instance's connection
 * info: a single node, a 3-node ensemble that survives one member's container destroyed, and the
 * member-by-member upgrade of the ensemble under a client that writes continuously.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import zookeeper from 'node-zookeeper-client';
import {
  eventually,
  makeProject,
  startPlatform,
  userWithRole,
  type TestApi,
  type TestPlatform,
} from './helpers/platform';
import { appImagesBuilt } from './helpers/app-images';

await appImagesBuilt();

type Obj = Record<string, unknown>;
const instances = '/api/v1/projects/zoo/envs/test/app-instances';
const fields = (body: unknown) =>
  (((body as Obj).error as Obj).details as { fields?: { path: string; message: string }[] } | undefined)
    ?.fields ?? [];

interface Member {
  service: string;
  host: string | null;
  port: number | null;
}
interface Detail {
  state: string;
  version: string;
  members: { service: string; ready: number; status: string }[];
  connection: { uri: string | null; connectString?: string; members?: Member[] };
  upgrade: {
    state: string;
    to: string;
    done: number;
    members: number;
    error: string | null;
    steps: { service: string; role: string | null; release: number | null; doneAt: string | null }[];
  } | null;
}

/** The published address of each named member ("127.0.0.1:41234"), from the instance's connection info. */
function addresses(d: Detail, only?: string[]): string {
  return (d.connection.members ?? [])
    .filter((m) => m.port !== null && (!only || only.includes(m.service)))
    .map((m) => `${m.host}:${m.port}`)
    .join(',');
}

/** A ZooKeeper session through the given servers; throws when none connects within 30 s. */
async function session(servers: string): Promise<zookeeper.Client> {
  const client = zookeeper.createClient(servers, { sessionTimeout: 15_000, spinDelay: 300, retries: 0 });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.close();
      reject(new Error(`no ZooKeeper session through ${servers} within 30 s`));
    }, 30_000);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve();
    });
    client.connect();
  });
  return client;
}

/** A request as a promise, failing after 15 s (a request on a dead socket may never answer). */
function call<T>(what: string, start: (cb: (err: unknown, v?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within 15 s`)), 15_000);
    start((err, v) => {
      clearTimeout(timer);
      if (err)
        reject(
          err instanceof Error ? err : new Error(`${what}: ${(err as { toString(): string }).toString()}`),
        );
      else resolve(v as T);
    });
  });
}
const create = (c: zookeeper.Client, path: string, data: string) =>
  call<string>(`create ${path}`, (cb) => c.create(path, Buffer.from(data), (e, p) => cb(e, p)));
const getData = async (c: zookeeper.Client, path: string) =>
  (await call<Buffer>(`get ${path}`, (cb) => c.getData(path, (e, d) => cb(e, d)))).toString();
const setData = (c: zookeeper.Client, path: string, data: string) =>
  call<unknown>(`set ${path}`, (cb) => c.setData(path, Buffer.from(data), -1, (e, s) => cb(e, s)));

/** A four-letter word over TCP, its whole answer. */
function fourLetters(host: string, port: number, word: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port }, () => s.write(word));
    let text = '';
    s.setTimeout(5000, () => (s.destroy(), reject(new Error(`${word}: no answer`))));
    s.on('data', (d: Buffer) => (text += d.toString()));
    s.on('error', reject);
    s.on('end', () => resolve(text));
  });
}

describe('app store: ZooKeeper single node, ensemble and member-by-member upgrade', () => {
  let p: TestPlatform;
  let dev: TestApi;
  let rival: TestApi;
  let built = false;

  async function detail(name: string): Promise<Detail> {
    const r = await dev.get<Detail>(`${instances}/${name}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  }

  /** Waits until the instance runs with every member published; its detail. */
  function running(name: string, timeoutMs = 300_000): Promise<Detail> {
    return eventually(
      async () => {
        const d = await detail(name);
        if (d.state === 'failed') throw new Error(`instance ${name} failed: ${JSON.stringify(d)}`);
        return d.state === 'running' && (d.connection.members ?? []).every((m) => m.port) ? d : null;
      },
      `${name} running`,
      timeoutMs,
      1000,
    );
  }

  /** A member's role from srvr at its published port, or null while it does not serve. */
  async function role(d: Detail, service: string): Promise<string | null> {
    const m = d.connection.members!.find((x) => x.service === service)!;
    if (!m.port) return null;
    const text = await fourLetters(m.host!, m.port, 'srvr').catch(() => '');
    return /^Mode: (\w+)/m.exec(text)?.[1] ?? null;
  }

  before(async () => {
    p = await startPlatform();
    await makeProject(p.api, 'zoo');
    await makeProject(p.api, 'zrival');
    dev = await userWithRole(p, 'zelda', 'developer', 'zoo');
    rival = await userWithRole(p, 'rex', 'developer', 'zrival');
    const cls = await p.api.put('/api/v1/volume-classes/local', { kind: 'local' });
    assert.equal(cls.status, 200, JSON.stringify(cls.body));
    built = (await p.engine.inspectImage('localhost/berth-apps/zookeeper:3.8').catch(() => null)) !== null;
  });
  after(async () => {
    for (const v of (await p.engine.listVolumes({ 'berth.instance': p.instanceId }).catch(() => [])) ?? [])
      await p.engine.removeVolume(v.name).catch(() => undefined);
    await p?.close();
  });

  it('a single node: a real client creates and reads a znode; no password, no rotation', async (t) => {
    if (!built)
      return t.skip('localhost/berth-apps/zookeeper:3.8 is not built: run scripts/app-images.sh zookeeper');
    const made = await dev.post<Obj>(instances, { app: 'zookeeper', name: 'solo', params: { heapMiB: 64 } });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.equal(made.body.version, '3.8-2');
    // the latest version: nothing newer to upgrade to
    const same = await dev.post(`${instances}/solo/upgrade`, { version: '3.8-2' });
    assert.equal(same.status, 422, JSON.stringify(same.body));
    assert.deepEqual(
      fields(same.body).map((f) => f.path),
      ['version'],
    );
    const d = await running('solo');
    assert.equal(d.connection.connectString, 'solo:2181');
    assert.match(d.connection.uri ?? '', /^zk:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(await role(d, 'solo'), 'standalone');
    const c = await session(addresses(d));
    try {
      await create(c, '/greeting', 'hello');
      assert.equal(await getData(c, '/greeting'), 'hello');
      // backup → the znode deleted → restore → it is back (a copy of the member's snapshot and logs)
      const b = await dev.post<{ id: string; state: string }>(`${instances}/solo/backups`);
      assert.equal(b.status, 202, JSON.stringify(b.body));
      const done = await eventually(
        async () => {
          const l = await dev.get<{
            kind: string;
            items: { id: string; state: string; message: string | null }[];
          }>(`${instances}/solo/backups`);
          const x = l.body.items.find((i) => i.id === b.body.id);
          return x && x.state !== 'running' ? { ...x, kind: l.body.kind } : null;
        },
        'the backup of solo to finish',
        120_000,
        500,
      );
      assert.equal(done.state, 'succeeded', done.message ?? '');
      assert.equal(done.kind, 'zookeeper-snapshot');
      await call<unknown>('delete /greeting', (cb) => c.remove('/greeting', -1, (e) => cb(e)));
    } finally {
      c.close();
    }
    const r = await dev.post(
      `${instances}/solo/backups/${encodeURIComponent((await dev.get<{ items: { id: string }[] }>(`${instances}/solo/backups`)).body.items[0]!.id)}/restore`,
    );
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const restore = await eventually(
      async () => {
        const l = await dev.get<{ restore: { state: string; message: string | null } | null }>(
          `${instances}/solo/backups`,
        );
        return l.body.restore && l.body.restore.state !== 'running' ? l.body.restore : null;
      },
      'the restore of solo to finish',
      240_000,
      500,
    );
    assert.equal(restore.state, 'succeeded', restore.message ?? '');
    // the member started again, maybe on another published port: read the connection info again
    const back = await session(addresses(await running('solo')));
    try {
      assert.equal(await getData(back, '/greeting'), 'hello', 'the deleted znode is back');
    } finally {
      back.close();
    }
    assert.equal((await dev.post(`${instances}/solo/rotate-password`)).status, 422);
    const del = await dev.delete(`${instances}/solo?keepVolumes=false`);
    assert.equal(del.status, 202, JSON.stringify(del.body));
  });

  it('a 3-node ensemble serves through any member and survives one member destroyed', async (t) => {
    if (!built)
      return t.skip('localhost/berth-apps/zookeeper:3.8 is not built: run scripts/app-images.sh zookeeper');
    const made = await dev.post<Detail>(instances, {
      app: 'zookeeper',
      version: '3.8',
      name: 'ens',
      params: { members: '3', heapMiB: 64 },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.deepEqual(
      made.body.members.map((m) => m.service),
      ['ens-1', 'ens-2', 'ens-3'],
    );
    assert.equal(made.body.connection.connectString, 'ens-1:2181,ens-2:2181,ens-3:2181');
    // not running yet: no upgrade; another project's developer does not see it
    assert.equal((await dev.post(`${instances}/ens/upgrade`, { version: '3.8-2' })).status, 409);
    assert.equal((await rival.post(`${instances}/ens/upgrade`, { version: '3.8-2' })).status, 404);
    assert.equal((await rival.get(`${instances}/ens`)).status, 404);
    const invalid = await dev.post(instances, { app: 'zookeeper', name: 'two', params: { members: '2' } });
    assert.deepEqual(
      fields(invalid.body).map((f) => f.path),
      ['params.members'],
    );

    let d = await running('ens');
    assert.match(d.connection.uri ?? '', /^zk:\/\/127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$/);
    const roles = await Promise.all(['ens-1', 'ens-2', 'ens-3'].map((m) => role(d, m)));
    assert.deepEqual([...roles].sort(), ['follower', 'follower', 'leader']);
    // through member 1 only, then read through member 2 only
    const one = await session(addresses(d, ['ens-1']));
    await create(one, '/shared', 'from-1').finally(() => one.close());
    const two = await session(addresses(d, ['ens-2']));
    assert.equal(await getData(two, '/shared').finally(() => two.close()), 'from-1');

    // destroy a follower's container: the other two keep the quorum
    const victim = ['ens-1', 'ens-2', 'ens-3'][roles.indexOf('follower')]!;
    const others = ['ens-1', 'ens-2', 'ens-3'].filter((m) => m !== victim);
    const list = await dev.get<{ items: { name: string; state: string }[] }>(
      `/api/v1/projects/zoo/envs/test/services/${victim}/containers`,
    );
    const container = list.body.items.find((x) => x.state === 'ready')!.name;
    const destroyed = await dev.post(
      `/api/v1/projects/zoo/envs/test/services/${victim}/containers/${container}/destroy`,
    );
    assert.equal(destroyed.status, 202, JSON.stringify(destroyed.body));
    const w = await session(addresses(d, [others[0]!]));
    await create(w, '/while-down', 'written').finally(() => w.close());
    const r = await session(addresses(d, [others[1]!]));
    assert.equal(await getData(r, '/while-down').finally(() => r.close()), 'written');

    // it comes back (a new container, maybe a new port) and rejoins: it serves what was written meanwhile
    d = await eventually(
      async () => {
        const x = await detail('ens');
        return x.state === 'running' && (await role(x, victim)) === 'follower' ? x : null;
      },
      `${victim} back in the quorum`,
      240_000,
      1000,
    );
    const back = await session(addresses(d, [victim]));
    assert.equal(await getData(back, '/while-down').finally(() => back.close()), 'written');
    // 3.8 does not answer the conf four-letter word; 3.8-2 does (checked after the upgrade)
    const m1 = d.connection.members![0]!;
    assert.match(await fourLetters(m1.host!, m1.port!, 'conf'), /not in the whitelist|not executed/);
  });

  it('upgrades the ensemble member by member, the leader last, under continuous writes', async (t) => {
    if (!built)
      return t.skip('localhost/berth-apps/zookeeper:3.8 is not built: run scripts/app-images.sh zookeeper');
    let d = await running('ens');
    const unknown = await dev.post(`${instances}/ens/upgrade`, { version: '9.9' });
    assert.equal(unknown.status, 422, JSON.stringify(unknown.body));
    assert.deepEqual(
      fields(unknown.body).map((f) => f.path),
      ['version'],
    );
    const notNewer = await dev.post(`${instances}/ens/upgrade`, { version: '3.8' });
    assert.equal(notNewer.status, 422, JSON.stringify(notNewer.body));
    assert.equal((await rival.post(`${instances}/ens/upgrade`, { version: '3.8-2' })).status, 404);
    const leaderBefore = (
      await Promise.all(['ens-1', 'ens-2', 'ens-3'].map(async (m) => [m, await role(d, m)] as const))
    ).find(([, r]) => r === 'leader')![0];

    // the writer: a counter written continuously; a write that fails is retried once, through a
    // new session over the members' published ports as the instance shows them now (a replaced
    // member's port may have changed), as a client outside the platform does
    let client = await session(addresses(d));
    await create(client, '/counter', '0');
    let writes = 0;
    const failures: string[] = [];
    let stop = false;
    const writer = (async () => {
      while (!stop) {
        const value = String(writes + 1);
        try {
          await setData(client, '/counter', value);
        } catch (first) {
          client.close();
          try {
            client = await session(addresses(await detail('ens')));
            await setData(client, '/counter', value);
          } catch (second) {
            failures.push(`write ${value}: ${String(first)}; retry: ${String(second)}`);
            continue;
          }
        }
        writes += 1;
      }
    })();

    try {
      const started = await dev.post<Detail>(`${instances}/ens/upgrade`, { version: '3.8-2' });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      assert.equal(started.body.state, 'upgrading');
      assert.equal(started.body.upgrade?.to, '3.8-2');
      const again = await dev.post(`${instances}/ens/upgrade`, { version: '3.8-2' });
      assert.equal(again.status, 409, JSON.stringify(again.body));
      d = await eventually(
        async () => {
          const x = await detail('ens');
          if (x.upgrade?.state === 'failed') throw new Error(`upgrade failed: ${x.upgrade.error}`);
          return x.upgrade?.state === 'done' && x.state === 'running' ? x : null;
        },
        'the upgrade to 3.8-2 done',
        600_000,
        1000,
      );
    } finally {
      stop = true;
      await writer;
    }
    assert.deepEqual(failures, []);
    assert.ok(writes >= 10, `only ${writes} writes during the upgrade`);
    assert.equal(await getData(client, '/counter').finally(() => client.close()), String(writes));

    assert.equal(d.version, '3.8-2');
    const steps = d.upgrade!.steps;
    assert.equal(d.upgrade!.done, 3);
    assert.deepEqual(steps.map((s) => s.service).sort(), ['ens-1', 'ens-2', 'ens-3']);
    // followers first, the leader last
    assert.deepEqual(
      steps.map((s) => s.role),
      ['follower', 'follower', 'leader'],
    );
    assert.equal(steps[2]!.service, leaderBefore);
    for (const s of steps) {
      const svc = await dev.get<{ release: number; spec: { env: { name: string; value?: string }[] } }>(
        `/api/v1/projects/zoo/envs/test/services/${s.service}`,
      );
      assert.equal(svc.body.release, s.release, `${s.service} runs the upgrade's release`);
      assert.ok(
        svc.body.spec.env.some((e) => e.name === 'JAVA_TOOL_OPTIONS' && e.value === '-XX:+UseSerialGC'),
      );
    }
    // 3.8-2 answers conf (3.8 did not) — once the member serves: the old leader's restart, the
    // upgrade's last step, makes the others elect a new leader, and meanwhile a member answers
    // "not currently serving requests"
    const m = d.connection.members![0]!;
    const conf = await eventually(
      async () => {
        const answer = await fourLetters(m.host!, m.port!, 'conf');
        return answer.includes('not currently serving') ? null : answer;
      },
      `${m.service} to serve after the upgrade`,
      60_000,
      500,
    );
    assert.match(conf, /clientPort=2181/);

    // the ensemble's backup (the first member's data) restored into every member: a znode
    // deleted after the backup is back, read through a member other than the first
    const w = await session(addresses(await running('ens')));
    let backupId: string;
    try {
      await create(w, '/ensemble-kept', 'before the backup');
      const b = await dev.post<{ id: string }>(`${instances}/ens/backups`);
      assert.equal(b.status, 202, JSON.stringify(b.body));
      backupId = b.body.id;
      const done = await eventually(
        async () => {
          const l = await dev.get<{ items: { id: string; state: string; message: string | null }[] }>(
            `${instances}/ens/backups`,
          );
          const x = l.body.items.find((i) => i.id === backupId);
          return x && x.state !== 'running' ? x : null;
        },
        'the backup of ens to finish',
        120_000,
        500,
      );
      assert.equal(done.state, 'succeeded', done.message ?? '');
      await call<unknown>('delete /ensemble-kept', (cb) => w.remove('/ensemble-kept', -1, (e) => cb(e)));
    } finally {
      w.close();
    }
    const r = await dev.post(`${instances}/ens/backups/${encodeURIComponent(backupId)}/restore`);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const restore = await eventually(
      async () => {
        const l = await dev.get<{ restore: { state: string; message: string | null } | null }>(
          `${instances}/ens/backups`,
        );
        return l.body.restore && l.body.restore.state !== 'running' ? l.body.restore : null;
      },
      'the restore of ens to finish',
      300_000,
      500,
    );
    assert.equal(restore.state, 'succeeded', restore.message ?? '');
    const back = await session(addresses(await running('ens'), ['ens-3']));
    try {
      assert.equal(await getData(back, '/ensemble-kept'), 'before the backup', 'the znode is back on ens-3');
    } finally {
      back.close();
    }
  });
});
