/**
 * Alerts through the real Alertmanager (docs/alerts.md): an alert posted to Alertmanager's
 * API with Berth's labels reaches Berth's webhook route and the project's channel, signed; silences
 * always carry the project's matcher, so a developer silences only their own project's alerts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildServer, type BerthServer } from '../src/server';
import {
  createTestDatabase,
  createUserWith,
  loginAs,
  testConfig,
  type Caller,
  type Json,
  type TestDatabase,
} from './helpers/db';
import { startMonitoring, type TestMonitoring } from './helpers/monitoring';
import { eventually } from './helpers/platform';
import { startReceiver, webhookCheck, type Receiver } from './helpers/alert-receivers';

interface AmAlert {
  labels: Record<string, string>;
  status: { state: string; silencedBy: string[] };
}

describe('alerts through Alertmanager', () => {
  let mon: TestMonitoring;
  let monDir = '';
  let db: TestDatabase;
  let server: BerthServer;
  let devA: Caller;
  let devB: Caller;
  let hookA: Receiver;

  const labels = (project: string, rule: string) => ({
    alertname: `berth-${rule}`,
    berth_project: project,
    berth_env: 'prod',
    berth_rule: rule,
    berth_rule_name: 'manual',
    severity: 'warning',
    berth_channels: 'ops',
    service: 'web',
  });
  async function postAlert(l: Record<string, string>): Promise<void> {
    const res = await fetch(`${mon.alertmanagerUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ labels: l, annotations: { summary: `${l.berth_rule} fired` } }]),
    });
    assert.equal(res.status, 200, await res.text());
  }
  async function amAlert(project: string, rule: string): Promise<AmAlert | undefined> {
    const filter = encodeURIComponent(`berth_rule="${rule}"`);
    const res = await fetch(`${mon.alertmanagerUrl}/api/v2/alerts?filter=${filter}`);
    return ((await res.json()) as AmAlert[]).find((a) => a.labels.berth_project === project);
  }

  before(async () => {
    monDir = mkdtempSync(path.join(tmpdir(), 'berth-alerts-'));
    mon = await startMonitoring({ dir: monDir });
    db = await createTestDatabase('sqlite');
    server = await buildServer(
      testConfig(db, {
        BERTH_ADMIN_PASSWORD: 'admin-password-1',
        BERTH_LISTEN: '127.0.0.1:0',
        BERTH_GATEWAY_ALLOW_LOOPBACK_BACKENDS: '1',
      }),
      { monitoring: mon.module, controllers: false },
    );
    const url = await server.start();
    await mon.connectBerth(url);
    const admin = await loginAs(server.app, 'admin', 'admin-password-1');
    for (const team of ['alpha', 'beta'])
      assert.equal((await admin.post('/api/v1/teams', { name: team })).status, 201);
    assert.equal((await admin.post('/api/v1/projects', { name: 'a', team: 'alpha' })).status, 201);
    assert.equal((await admin.post('/api/v1/projects', { name: 'b', team: 'beta' })).status, 201);
    devA = await createUserWith(admin, 'dev-a', [
      { role: 'developer', scope: { kind: 'project', name: 'a' } },
    ]);
    devB = await createUserWith(admin, 'dev-b', [
      { role: 'developer', scope: { kind: 'project', name: 'b' } },
    ]);
    hookA = await startReceiver({ check: webhookCheck('secret-of-a') });
    const created = await devA.post('/api/v1/projects/a/channels', {
      name: 'ops',
      settings: { kind: 'webhook', url: hookA.url, secret: 'secret-of-a' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });

  after(async () => {
    await server?.close();
    await hookA?.close();
    await mon?.stop();
    await db?.drop();
    if (monDir) rmSync(monDir, { recursive: true, force: true });
  });

  it("delivers an alert posted to Alertmanager to the project's channel, signed, and records it", async () => {
    await postAlert(labels('a', 'r1'));
    // group_wait is 1 s in tests
    const got = await eventually(async () => hookA.received[0], 'the webhook delivery', 30_000);
    assert.equal(got.refused, null);
    assert.equal(got.json.status, 'firing');
    assert.equal(got.json.project, 'a');
    const history = await devA.get('/api/v1/projects/a/alerts?state=firing');
    assert.equal(history.body.items.length, 1, JSON.stringify(history.body));
    assert.equal(history.body.items[0].rule, 'r1');
    assert.equal(history.body.items[0].deliveries[0].state, 'delivered');
  });

  it("silences only the project's own alerts, records the creator, and expires", async () => {
    const s = await devA.post('/api/v1/projects/a/silences', {
      matchers: [{ name: 'berth_rule', value: 'r2' }],
      durationMinutes: 60,
      comment: 'deploying',
    });
    assert.equal(s.status, 201, JSON.stringify(s.body));
    assert.equal(s.body.createdBy, 'dev-a');
    assert.deepEqual(s.body.matchers.map((m: Json) => `${m.name}=${m.value}`).sort(), [
      'berth_project=a',
      'berth_rule=r2',
    ]);
    // an alert of project b with the same rule id is not silenced by it
    await postAlert(labels('a', 'r2'));
    await postAlert(labels('b', 'r2'));
    await eventually(
      async () => (await amAlert('a', 'r2'))?.status.state === 'suppressed',
      'a/r2 suppressed',
      15_000,
    );
    const other = await amAlert('b', 'r2');
    assert.equal(other?.status.state, 'active', JSON.stringify(other));

    const naming = await devA.post('/api/v1/projects/a/silences', {
      matchers: [{ name: 'berth_project', value: 'b' }],
      durationMinutes: 60,
      comment: 'not mine',
    });
    assert.equal(naming.status, 400);
    assert.equal(naming.body.error.details.fields[0].path, 'matchers.0');
    const regex = await devA.post('/api/v1/projects/a/silences', {
      matchers: [{ name: 'berth_project', value: '.*', isRegex: true }],
      durationMinutes: 60,
      comment: 'everyone',
    });
    assert.equal(regex.status, 400);

    // project b: cannot see, read or expire it
    assert.equal((await devB.get('/api/v1/projects/a/silences')).status, 404);
    assert.equal((await devB.delete(`/api/v1/projects/a/silences/${s.body.id}`)).status, 404);
    assert.equal((await devB.delete(`/api/v1/projects/b/silences/${s.body.id}`)).status, 404);
    assert.deepEqual((await devB.get('/api/v1/projects/b/silences')).body.items, []);

    const listed = await devA.get('/api/v1/projects/a/silences');
    assert.deepEqual(
      listed.body.items.map((i: Json) => [i.id, i.state]),
      [[s.body.id, 'active']],
    );
    assert.equal((await devA.delete(`/api/v1/projects/a/silences/${s.body.id}`)).status, 204);
    assert.deepEqual((await devA.get('/api/v1/projects/a/silences')).body.items, []);
    const all = await devA.get('/api/v1/projects/a/silences?expired=true');
    assert.deepEqual(
      all.body.items.map((i: Json) => i.state),
      ['expired'],
    );
  });
});
