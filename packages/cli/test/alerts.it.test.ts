/**
 * `berth channels`, `berth alerts` and `berth silences` against a real Berth and a real
 * Alertmanager (docs/alerts.md): add a webhook channel, test-send it to a local receiver that
 * checks the signature, see an alert's deliveries, silence and expire, remove the channel.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildServer, type BerthServer } from '../../server/src/server';
import { createTestDatabase, loginAs, testConfig, type TestDatabase } from '../../server/test/helpers/db';
import { startMonitoring, type TestMonitoring } from '../../server/test/helpers/monitoring';
import { eventually } from '../../server/test/helpers/platform';
import {
  makeLoopbackCert,
  startReceiver,
  webhookCheck,
  type Receiver,
} from '../../server/test/helpers/alert-receivers';
import { cliRunner } from './test-support';

describe('berth channels, alerts, silences', () => {
  let dir = '';
  let db: TestDatabase;
  let mon: TestMonitoring;
  let server: BerthServer;
  let hook: Receiver;
  let env: Record<string, string> = {};
  const { berth, json } = cliRunner(() => env);

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'berth-cli-alerts-'));
    mon = await startMonitoring({ dir });
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
    assert.equal((await admin.post('/api/v1/teams', { name: 'shop' })).status, 201);
    assert.equal((await admin.post('/api/v1/projects', { name: 'web', team: 'shop' })).status, 201);
    hook = await startReceiver({ check: webhookCheck('cli-secret-1') });
    env = { BERTH_CLI_CONFIG: path.join(dir, 'config.json'), HOME: dir };
    const login = await berth(
      ['login', url, '--username', 'admin', '--password-stdin'],
      'admin-password-1\n',
    );
    assert.equal(login.code, 0, login.err);
  });
  after(async () => {
    await server?.close();
    await hook?.close();
    await mon?.stop();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('adds, test-sends and removes a channel; lists alerts with their deliveries', async () => {
    const bad = await berth(['channels', 'add', 'ops', '-p', 'web', '--kind', 'webhook', '--url', hook.url]);
    assert.equal(bad.code, 1, bad.out);
    assert.match(bad.err, /settings\.secret/);
    const added = await berth([
      ...['channels', 'add', 'ops', '-p', 'web', '--kind', 'webhook'],
      ...['--url', hook.url, '--secret', 'cli-secret-1', '--rate-limit', '5'],
    ]);
    assert.equal(added.code, 0, added.err);
    // an SMTP server's own CA from a file: kept in the channel's settings (docs/alerts.md)
    const caFile = path.join(dir, 'smtp-ca.pem');
    writeFileSync(caFile, (await makeLoopbackCert()).certificate);
    const email = [
      ...['channels', 'add', 'mail', '-p', 'web', '--kind', 'email', '--smtp-host', '127.0.0.1'],
      ...['--smtp-port', '2525', '--smtp-tls', 'starttls', '--from', 'berth@example.com'],
      ...['--to', 'ops@example.com', '--smtp-ca-file'],
    ];
    const missing = await berth([...email, path.join(dir, 'missing.pem')]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /--smtp-ca-file \S+missing\.pem: ENOENT/);
    const mail = await json<{ settings: Record<string, unknown> }>([...email, caFile]);
    assert.match(String(mail.settings.caCertificate), /^-----BEGIN CERTIFICATE-----/);
    assert.equal((await berth(['channels', 'rm', 'mail', '-p', 'web'])).code, 0);
    const list = await berth(['channels', 'list', '-p', 'web']);
    assert.match(list.out, /ops\s+webhook\s+http:\/\/127\.0\.0\.1:\d+\s+5/);
    assert.ok(!list.out.includes('cli-secret-1'));

    const sent = await berth(['channels', 'test', 'ops', '-p', 'web']);
    assert.equal(sent.code, 0, sent.err);
    assert.match(sent.out, /ops: delivered\n\s+attempt 1: ok \(200\)/);
    assert.equal(hook.received[0]?.refused, null);

    const res = await fetch(`${mon.alertmanagerUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          labels: {
            alertname: 'berth-r1',
            berth_project: 'web',
            berth_env: 'test',
            berth_rule: 'r1',
            berth_rule_name: 'cpu-high',
            severity: 'warning',
            berth_channels: 'ops',
          },
          annotations: { summary: 'CPU high' },
        },
      ]),
    });
    assert.equal(res.status, 200);
    await eventually(
      async () =>
        (await berth(['alerts', '-p', 'web', '--state', 'firing'])).out.includes('ops:firing:delivered'),
      'the alert listed as delivered to ops',
      30_000,
    );
    const alerts = await berth(['alerts', '-p', 'web', '--state', 'firing']);
    assert.match(alerts.out, /firing\s+cpu-high\s+test\s+warning\s+CPU high/);

    const rm = await berth(['channels', 'rm', 'ops', '-p', 'web']);
    assert.equal(rm.code, 0, rm.err);
    assert.match((await berth(['channels', 'list', '-p', 'web'])).err, /no channels/);
  });

  it('adds, lists and expires a silence', async () => {
    const added = await json<{
      id: string;
      matchers: Array<{ name: string; value: string; isRegex: boolean }>;
    }>([
      ...['silences', 'add', '-p', 'web', '--match', 'berth_rule=r1', '--match', 'service=~api|web'],
      ...['--duration', '30', '--comment', 'deploy'],
    ]);
    assert.deepEqual(added.matchers.map((m) => `${m.name}${m.isRegex ? '~' : '='}${m.value}`).sort(), [
      'berth_project=web',
      'berth_rule=r1',
      'service~api|web',
    ]);
    const listed = await berth(['silences', 'list', '-p', 'web']);
    assert.match(listed.out, new RegExp(`${added.id}\\s+active`));
    assert.equal((await berth(['silences', 'expire', added.id, '-p', 'web'])).code, 0);
    assert.match((await berth(['silences', 'list', '-p', 'web'])).err, /no silences/);
    assert.match(
      (await berth(['silences', 'list', '-p', 'web', '--expired'])).out,
      new RegExp(`${added.id}\\s+expired`),
    );
  });
});
