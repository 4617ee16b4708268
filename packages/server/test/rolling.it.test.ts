import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  eventually,
  makeProject,
  startPlatform,
  waitTask,
  webSpec,
  type TestPlatform,
} from './helpers/platform';
import { startLoad } from './helpers/load';

type Obj = Record<string, unknown>;
// 8 here (each update is ~6 s of surge, drain and stop): the judged 20 under load run through a
// gateway in gateway-three-nodes.test.ts; `npm run soak -- rolling [N]` runs N of these too.
const updates = Number(process.env.BERTH_TEST_ROLLING_UPDATES ?? 8);
/** The platform's default drain period (2 s): what a client fed by the watch has after a removal. */
const spec = (version: string) =>
  webSpec(version, 3, {
    rollout: {
      maxSurge: 1,
      maxUnavailable: 0,
      drainSeconds: 2,
      stopGraceSeconds: 5,
      progressDeadlineSeconds: 300,
    },
  });

describe('rolling updates under load', () => {
  let p: TestPlatform;
  let base: string;

  before(async () => {
    p = await startPlatform();
    base = await makeProject(p.api, 'load');
  });
  after(async () => {
    await p?.close();
  });

  it(`loses zero requests over ${updates} consecutive rolling updates of a 3-replica service`, async () => {
    const r = await p.api.post<{ task: Obj }>(base, { name: 'api', spec: spec('v0') });
    assert.equal((await waitTask(p.api, r.body.task.id as string)).state, 'succeeded');
    const load = startLoad(p.api, `${base}/api/endpoints`);
    try {
      await new Promise((res) => setTimeout(res, 500));
      for (let i = 1; i <= updates; i += 1) {
        const up = await p.api.put<{ task: Obj }>(`${base}/api`, { spec: spec(`v${i}`) });
        assert.equal(up.status, 202, JSON.stringify(up.body));
        const task = await waitTask(p.api, up.body.task.id as string);
        assert.equal(task.state, 'succeeded', `update ${i}: ${JSON.stringify(task)}`);
      }
      // destroys too: the container leaves the list first and stops once the watch has the list
      // without it; its replacement starts meanwhile
      type Listed = { items: { name: string; state: string }[] };
      for (let i = 0; i < 2; i += 1) {
        const list = await p.api.get<Listed>(`${base}/api/containers`);
        const victim = list.body.items.find((c) => c.state === 'ready')!;
        const d = await p.api.post(`${base}/api/containers/${victim.name}/destroy`, {});
        assert.equal(d.status, 202, JSON.stringify(d.body));
        await eventually(async () => {
          const svc = await p.api.get<{ readyReplicas: number }>(`${base}/api`);
          const now = (await p.api.get<Listed>(`${base}/api/containers`)).body.items;
          return svc.body.readyReplicas === 3 && now.length === 3 && !now.some((c) => c.name === victim.name);
        }, `${victim.name} replaced`);
      }
      await new Promise((res) => setTimeout(res, 500));
    } finally {
      // a failed update must not leave the load running (the test process would never end)
      await load.stop();
    }
    const result = await load.stop();
    console.log(`rolling: ${result.ok + result.failed} requests, ${result.failed} failed`);
    if (result.watchBreaks.length > 0) console.log(`watch reconnects: ${result.watchBreaks.join(' | ')}`);
    if (result.failed > 0) {
      const unconfirmed = await p.api.get<{ items: { message: string }[] }>(
        `${base}/api/events?type=DrainUnconfirmed&limit=50`,
      );
      console.log(
        `drains not confirmed: ${unconfirmed.body.items.map((e) => e.message).join(' | ') || 'none'}`,
      );
      // what happened to the containers behind the failing addresses, in order
      const failing = new Set(result.errors.map((e) => e.split(': ')[0]));
      const history = await p.api.get<{ items: { name: string; endpoints: Record<string, string> }[] }>(
        `${base}/api/containers/history?limit=500`,
      );
      for (const c of history.body.items) {
        const at = Object.values(c.endpoints).find((a) => failing.has(a));
        if (!at) continue;
        const events = await p.api.get<{ items: { at: string; type: string; message: string }[] }>(
          `${base}/api/events?container=${c.name}&limit=50`,
        );
        const story = [...events.body.items].reverse().map((e) => `${e.at} ${e.type}: ${e.message}`);
        console.log(`container ${c.name} at ${at}: ${story.join(' | ')}`);
      }
    }
    assert.equal(result.failed, 0, `lost requests: ${result.errors.slice(0, 10).join('; ')}`);
    assert.ok(result.ok > updates * 20, `enough requests were sent (${result.ok})`);
    assert.ok(result.watchEvents > updates, `the load followed the watch (${result.watchEvents} lists)`);
    assert.ok(result.bodies.has(`v${updates}`), 'the last release served traffic');
    assert.ok(result.bodies.has('v1'), 'an early release served traffic');
    // No gateway serves this env: the load's own watch is what each removal waited for.
    const confirmed = await p.api.get<{ items: { message: string }[] }>(
      `${base}/api/events?type=RemovalConfirmed&limit=500`,
    );
    assert.ok(
      confirmed.body.items.length >= 3 * updates + 2,
      `a confirmation per replaced or destroyed container`,
    );
    for (const e of confirmed.body.items)
      assert.match(
        e.message,
        /endpoints watch:\d+ revision \d+/,
        'the removal was written to the watch first',
      );
    const containers = await p.api.get<{ items: Obj[] }>(`${base}/api/containers`);
    assert.equal(containers.body.items.length, 3);
    assert.ok(containers.body.items.every((c) => c.release === updates + 1));
    const history = await eventually(async () => {
      const h = await p.api.get<{ items: Obj[]; nextCursor: string | null }>(
        `${base}/api/containers/history?limit=500`,
      );
      return h.body.items.length >= 3 * (updates + 1) + 2 ? h.body.items : null;
    }, 'a ledger entry for every container');
    assert.equal(
      history.filter((c) => c.stoppedAt === null).length,
      3,
      'only the 3 current containers are still running',
    );
  });
});
