/**
 * Alert channels, deliveries and the alert history on SQLite and PostgreSQL (docs/alerts.md):
 * write-only secrets, the fence, each kind's signature checked by a local receiver written from
 * the vendor's documents (a wrong secret refused and recorded), SMTP to a local sink, retries with
 * back-off, the rate limit, Alertmanager's webhook (token, per-project channels) and tenancy.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildServer, type BerthServer } from '../src/server';
import { openDatabase } from '../src/db/database';
import {
  createTestDatabase,
  createUserWith,
  loginAs,
  testConfig,
  testDialects,
  type Caller,
  type Json,
  type TestDatabase,
} from './helpers/db';
import { eventually } from './helpers/platform';
import {
  dingtalkCheck,
  feishuCheck,
  makeLoopbackCert,
  slackCheck,
  wecomCheck,
  startReceiver,
  startSmtpSink,
  webhookCheck,
  type Receiver,
  type SmtpSink,
} from './helpers/alert-receivers';

const webhookToken = 'am-webhook-token-0123456789';
const channels = (p: string) => `/api/v1/projects/${p}/channels`;

/** An Alertmanager notification (webhook payload version 4) of one rule of a project. */
function notification(
  project: string,
  status: 'firing' | 'resolved',
  channelNames: string,
  fingerprint = 'f1',
) {
  const labels = {
    alertname: 'cpu-high',
    berth_project: project,
    berth_env: 'prod',
    berth_rule: 'r1',
    berth_rule_name: 'cpu-high',
    severity: 'critical',
    berth_channels: channelNames,
    service: 'web',
  };
  return {
    version: '4',
    groupKey: `{}:{berth_project="${project}"}`,
    truncatedAlerts: 0,
    status,
    receiver: 'berth',
    groupLabels: { berth_project: project },
    commonLabels: labels,
    commonAnnotations: { summary: 'CPU above 80 %' },
    externalURL: 'http://127.0.0.1:9093',
    alerts: [
      {
        status,
        labels,
        annotations: { summary: 'CPU above 80 %', description: 'web uses 93 % of its CPU limit' },
        startsAt: '2026-12-07T01:00:00Z',
        endsAt: status === 'resolved' ? '2026-12-07T01:05:00Z' : '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus/graph',
        fingerprint,
      },
    ],
  };
}

for (const dialect of testDialects())
  describe(`alert channels (${dialect})`, () => {
    let db: TestDatabase;
    let server: BerthServer;
    let admin: Caller;
    let devA: Caller;
    let viewerA: Caller;
    let devB: Caller;
    const receivers: Receiver[] = [];
    let sink: SmtpSink;
    const receiver = async (opts: Parameters<typeof startReceiver>[0]) => {
      const r = await startReceiver(opts);
      receivers.push(r);
      return r;
    };
    const alertmanager = (body: unknown, token = webhookToken) =>
      admin.call('POST', '/api/v1/monitoring/alertmanager', body, { authorization: `Bearer ${token}` });

    before(async () => {
      db = await createTestDatabase(dialect);
      server = await buildServer(
        testConfig(db, {
          BERTH_ADMIN_PASSWORD: 'admin-password-1',
          BERTH_GATEWAY_ALLOW_LOOPBACK_BACKENDS: '1',
          BERTH_ALERTMANAGER_WEBHOOK_TOKEN: webhookToken,
          // Alertmanager is not needed here (silences: alerts-monitoring.it.test.ts)
          BERTH_ALERTMANAGER_URL: 'http://127.0.0.1:9',
        }),
      );
      admin = await loginAs(server.app, 'admin', 'admin-password-1');
      for (const team of ['alpha', 'beta'])
        assert.equal((await admin.post('/api/v1/teams', { name: team })).status, 201);
      assert.equal((await admin.post('/api/v1/projects', { name: 'a', team: 'alpha' })).status, 201);
      assert.equal((await admin.post('/api/v1/projects', { name: 'b', team: 'beta' })).status, 201);
      devA = await createUserWith(admin, 'dev-a', [
        { role: 'developer', scope: { kind: 'project', name: 'a' } },
      ]);
      viewerA = await createUserWith(admin, 'viewer-a', [
        { role: 'viewer', scope: { kind: 'project', name: 'a' } },
      ]);
      devB = await createUserWith(admin, 'dev-b', [
        { role: 'developer', scope: { kind: 'project', name: 'b' } },
      ]);
      sink = await startSmtpSink();
    });
    after(async () => {
      await server?.close();
      for (const r of receivers) await r.close();
      await sink?.close();
      await db?.drop();
    });

    it('keeps URLs and secrets write-only, sealed at rest and out of the audit log', async () => {
      const r = await receiver({ check: webhookCheck('hook-secret-1') });
      const created = await devA.post(channels('a'), {
        name: 'hook',
        description: 'ops',
        settings: { kind: 'webhook', url: `${r.url}/in?token=url-token-xyz`, secret: 'hook-secret-1' },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(created.body.secrets, { url: true, secret: true });
      assert.equal(created.body.target, r.url);
      const listed = await viewerA.get(channels('a'));
      assert.equal(listed.status, 200);
      const text = JSON.stringify(listed.body);
      assert.ok(!text.includes('url-token-xyz') && !text.includes('hook-secret-1'), text);
      const stored = await server.ctx.db
        .selectFrom('alert_channels')
        .select('secrets')
        .where('name', '=', 'hook')
        .executeTakeFirstOrThrow();
      assert.ok(
        !stored.secrets.includes('hook-secret-1') && !stored.secrets.includes('url-token'),
        'sealed at rest',
      );
      const audit = await server.ctx.db
        .selectFrom('audit_events')
        .select('request')
        .where('action', '=', 'channels.create')
        .executeTakeFirstOrThrow();
      assert.ok(
        !String(audit.request).includes('url-token-xyz') && !String(audit.request).includes('hook-secret-1'),
        String(audit.request),
      );

      // an update without the secrets keeps them: the test-send is still signed right
      const up = await devA.call('PUT', `${channels('a')}/hook`, {
        description: 'ops team',
        settings: { kind: 'webhook' },
      });
      assert.equal(up.status, 200, JSON.stringify(up.body));
      const sent = await devA.post(`${channels('a')}/hook/test`);
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      assert.equal(sent.body.state, 'delivered', JSON.stringify(sent.body));
      assert.equal(sent.body.attempts[0].code, 200);
      // the answer's body is never echoed: a channel URL may reach an internal service
      assert.equal(sent.body.attempts[0].detail, 'HTTP 200', 'the receiver answered "ok"; not shown');
      assert.equal(r.received.length, 1);
      assert.equal(r.received[0]!.refused, null);
      assert.equal(r.received[0]!.url, '/in?token=url-token-xyz');
      assert.equal(r.received[0]!.json.test, true);

      const kind = await devA.call('PUT', `${channels('a')}/hook`, { settings: { kind: 'slack' } });
      assert.equal(kind.status, 400);
      assert.equal(kind.body.error.details.fields[0].path, 'settings.kind');
      assert.equal(
        (await viewerA.post(channels('a'), { name: 'x', settings: { kind: 'slack', url: r.url } })).status,
        403,
      );
    });

    it("refuses Berth's own listeners, metadata addresses and other schemes, at the field", async () => {
      const cases: Array<[string, RegExp]> = [
        [`http://127.0.0.1:${server.ctx.config.listenPort}/hook`, /listener of Berth itself/],
        ['http://169.254.169.254/latest/meta-data', /link-local/],
        ['ftp://example.com/x', /https:\/\//],
      ];
      for (const [url, why] of cases) {
        const res = await devA.post(channels('a'), { name: 'bad', settings: { kind: 'slack', url } });
        assert.equal(res.status, 400, url);
        assert.equal(res.body.error.details.fields[0].path, 'settings.url', url);
        assert.match(res.body.error.details.fields[0].message, why, url);
      }
      assert.equal((await devA.get(`${channels('a')}/bad`)).status, 404);
    });

    it('signs DingTalk and Feishu deliveries as the vendors document; a wrong secret is refused and recorded', async () => {
      const ding = await receiver({ check: dingtalkCheck('SECding-secret-1'), format: 'dingtalk' });
      const fei = await receiver({ check: feishuCheck('feishu-secret-1'), format: 'feishu' });
      for (const [name, settings] of [
        [
          'ding',
          { kind: 'dingtalk', url: `${ding.url}/robot/send?access_token=abc`, secret: 'SECding-secret-1' },
        ],
        [
          'ding-wrong',
          { kind: 'dingtalk', url: `${ding.url}/robot/send?access_token=abc`, secret: 'SECnot-the-one' },
        ],
        ['fei', { kind: 'feishu', url: `${fei.url}/open-apis/bot/v2/hook/x`, secret: 'feishu-secret-1' }],
        [
          'fei-wrong',
          { kind: 'feishu', url: `${fei.url}/open-apis/bot/v2/hook/x`, secret: 'not-the-secret' },
        ],
      ] as const)
        assert.equal((await devA.post(channels('a'), { name, settings })).status, 201, name);

      const ok1 = await devA.post(`${channels('a')}/ding/test`);
      assert.equal(ok1.body.state, 'delivered', JSON.stringify(ok1.body));
      assert.equal(ding.received.at(-1)!.refused, null);
      assert.equal(
        (ding.received.at(-1)!.json.markdown as Json).title,
        '[TEST] Berth test alert for project a',
      );
      const bad1 = await devA.post(`${channels('a')}/ding-wrong/test`);
      assert.equal(bad1.body.state, 'failed');
      assert.equal(ding.received.at(-1)!.refused, 'sign not match');
      assert.match(bad1.body.attempts[0].detail, /dingtalk refused it: code 310000, sign not match/);

      const ok2 = await devA.post(`${channels('a')}/fei/test`);
      assert.equal(ok2.body.state, 'delivered', JSON.stringify(ok2.body));
      assert.equal(fei.received.at(-1)!.json.msg_type, 'interactive');
      const bad2 = await devA.post(`${channels('a')}/fei-wrong/test`);
      assert.equal(bad2.body.state, 'failed');
      assert.match(bad2.body.attempts[0].detail, /feishu refused it: code 19021, sign match fail/);
      // the record stays with the channel
      const hist = await devA.get(`${channels('a')}/fei-wrong/deliveries`);
      assert.deepEqual(
        hist.body.items.map((d: Json) => [d.reason, d.state]),
        [['test', 'failed']],
      );
    });

    it('posts Slack and WeCom deliveries as the vendors document; a wrong WeCom key is refused and recorded', async () => {
      const slack = await receiver({ check: slackCheck(), format: 'slack' });
      const wecom = await receiver({ check: wecomCheck('wc-key-1'), format: 'wecom' });
      const hook = (key: string) => `${wecom.url}/cgi-bin/webhook/send?key=${key}`;
      for (const [name, settings] of [
        ['slack', { kind: 'slack', url: `${slack.url}/services/T000/B000/XXXX` }],
        ['wc', { kind: 'wecom', url: hook('wc-key-1') }],
        ['wc-wrong', { kind: 'wecom', url: hook('not-the-key') }],
      ] as const)
        assert.equal((await devA.post(channels('a'), { name, settings })).status, 201, name);

      const s1 = await devA.post(`${channels('a')}/slack/test`);
      assert.equal(s1.body.state, 'delivered', JSON.stringify(s1.body));
      assert.equal(slack.received.at(-1)!.refused, null);
      assert.equal(s1.body.attempts[0].detail, 'ok', "Slack's answer is recorded");
      assert.match(
        slack.received.at(-1)!.json.text as string,
        /^\*\[TEST\] Berth test alert for project a\*\n/,
      );

      const w1 = await devA.post(`${channels('a')}/wc/test`);
      assert.equal(w1.body.state, 'delivered', JSON.stringify(w1.body));
      assert.equal(wecom.received.at(-1)!.refused, null);
      const md = wecom.received.at(-1)!.json.markdown as { content: string };
      assert.match(md.content, /^\*\*\[TEST\] Berth test alert for project a\*\*\n/);
      assert.match(md.content, /\[Open in Berth\]\(http.*\/p\/a\/\w+\/alerts\)$/);
      const w2 = await devA.post(`${channels('a')}/wc-wrong/test`);
      assert.equal(w2.body.state, 'failed');
      assert.match(w2.body.attempts[0].detail, /wecom refused it: code 93000, invalid webhook url/);

      // a group too big for WeCom's 4096 bytes: what fits, a count of the rest, and the link
      // (in a project of its own: the alert history of a is counted by the Alertmanager test)
      assert.equal((await admin.post('/api/v1/projects', { name: 'c', team: 'alpha' })).status, 201);
      const wcOfC = await admin.post(channels('c'), {
        name: 'wc',
        settings: { kind: 'wecom', url: hook('wc-key-1') },
      });
      assert.equal(wcOfC.status, 201, JSON.stringify(wcOfC.body));
      const big = notification('c', 'firing', 'wc');
      const one = big.alerts[0]!;
      big.alerts = Array.from({ length: 40 }, (_, i) => ({
        ...one,
        fingerprint: `wc-${i}`,
        labels: { ...one.labels, service: `svc-${i}` },
        annotations: {
          summary: `CPU above 80 % on svc-${i}`,
          description: '服务 CPU 使用率过高。'.repeat(6),
        },
      }));
      const before = wecom.received.length;
      const res = await alertmanager(big);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, { alerts: 40, deliveries: 1, skipped: 0 });
      await eventually(async () => wecom.received.length === before + 1, 'the big group delivered', 15_000);
      const got = wecom.received.at(-1)!;
      assert.equal(got.refused, null, got.refused ?? '');
      const content = (got.json.markdown as { content: string }).content;
      assert.ok(Buffer.byteLength(content, 'utf8') <= 4096, String(Buffer.byteLength(content, 'utf8')));
      const shown = (content.match(/^- FIRING/gm) ?? []).length;
      assert.ok(shown > 0 && shown < 40, String(shown));
      assert.match(content, new RegExp(`- … and ${40 - shown} more alerts: open the link to see all`));
      assert.match(content, /\[Open in Berth\]\(http.*\/p\/c\/prod\/alerts\)$/);
    });

    it('mails over STARTTLS to a sink with a self-signed certificate once the channel trusts it', async () => {
      const cert = await makeLoopbackCert();
      const tlsSink = await startSmtpSink({ starttls: cert });
      try {
        const settings = {
          kind: 'email',
          host: tlsSink.host,
          port: tlsSink.port,
          tls: 'starttls',
          from: 'berth@example.com',
          to: ['ops@example.com'],
        };
        assert.equal((await devA.post(channels('a'), { name: 'mail-tls', settings })).status, 201);
        // not trusted: refused, and the record says how to trust it
        const refused = await devA.post(`${channels('a')}/mail-tls/test`);
        assert.equal(refused.body.state, 'failed', JSON.stringify(refused.body));
        assert.match(refused.body.attempts[0].detail, /self[- ]signed certificate.*settings\.caCertificate/s);
        assert.equal(tlsSink.mails.length, 0);
        // a CA certificate is checked when saved
        const junk = await devA.call('PUT', `${channels('a')}/mail-tls`, {
          settings: {
            ...settings,
            caCertificate: '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----',
          },
        });
        assert.equal(junk.status, 400, JSON.stringify(junk.body));
        assert.equal(junk.body.error.details.fields[0].path, 'settings.caCertificate');
        const plain = await devA.call('PUT', `${channels('a')}/mail-tls`, {
          settings: { ...settings, tls: 'none', caCertificate: cert.certificate },
        });
        assert.equal(plain.status, 400);
        assert.match(plain.body.error.message, /for tls "starttls" or "tls"/);
        const trusted = await devA.call('PUT', `${channels('a')}/mail-tls`, {
          settings: { ...settings, caCertificate: cert.certificate },
        });
        assert.equal(trusted.status, 200, JSON.stringify(trusted.body));
        const sent = await devA.post(`${channels('a')}/mail-tls/test`);
        assert.equal(sent.body.state, 'delivered', JSON.stringify(sent.body));
        assert.equal(sent.body.attempts[0].code, 250);
        assert.equal(tlsSink.mails.length, 1);
        assert.equal(tlsSink.mails[0]!.tls, true, 'the mail came after STARTTLS');
        assert.match(tlsSink.mails[0]!.data, /Subject: \[TEST\] Berth test alert for project a/);
        // the sink refuses mail before STARTTLS: tls none is answered 530 and recorded
        const none = await devA.call('PUT', `${channels('a')}/mail-tls`, {
          settings: { ...settings, tls: 'none' },
        });
        assert.equal(none.status, 200, JSON.stringify(none.body));
        const bare = await devA.post(`${channels('a')}/mail-tls/test`);
        assert.equal(bare.body.state, 'failed');
        assert.equal(bare.body.attempts[0].code, 530);
        assert.equal(tlsSink.mails.length, 1);
        assert.equal((await devA.delete(`${channels('a')}/mail-tls`)).status, 204);
      } finally {
        await tlsSink.close();
      }
    });

    it('mails through SMTP to a local sink and answers with its reply', async () => {
      const created = await devA.post(channels('a'), {
        name: 'mail',
        settings: {
          kind: 'email',
          host: sink.host,
          port: sink.port,
          tls: 'none',
          from: 'berth@example.com',
          to: ['ops@example.com'],
        },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const sent = await devA.post(`${channels('a')}/mail/test`);
      assert.equal(sent.body.state, 'delivered', JSON.stringify(sent.body));
      assert.equal(sent.body.attempts[0].code, 250);
      assert.match(sent.body.attempts[0].detail, /Ok: queued/);
      assert.equal(sink.mails.length, 1);
      assert.deepEqual(sink.mails[0]!.to, ['ops@example.com']);
      assert.match(sink.mails[0]!.data, /Subject: \[TEST\] Berth test alert for project a/);
    });

    it("takes Alertmanager's notifications only with the token, and delivers to the project's own channel", async () => {
      const mine = await receiver({ check: webhookCheck('secret-of-a') });
      const theirs = await receiver({ check: webhookCheck('secret-of-b') });
      assert.equal(
        (
          await devA.post(channels('a'), {
            name: 'ops',
            settings: { kind: 'webhook', url: mine.url, secret: 'secret-of-a' },
          })
        ).status,
        201,
      );
      assert.equal(
        (
          await devB.post(channels('b'), {
            name: 'ops',
            settings: { kind: 'webhook', url: theirs.url, secret: 'secret-of-b' },
          })
        ).status,
        201,
      );

      const anon = await alertmanager(notification('a', 'firing', 'ops'), 'wrong-token-0123456789abc');
      assert.equal(anon.status, 401);
      const denied = await server.ctx.db
        .selectFrom('audit_events')
        .select(['result', 'status_code'])
        .where('action', '=', 'monitoring.alertmanager')
        // the newest: the WeCom test's notification came before
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      assert.deepEqual(denied, { result: 'denied', status_code: 401 });

      const res = await alertmanager(notification('a', 'firing', 'ops, mail'));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, { alerts: 1, deliveries: 2, skipped: 0 });
      await eventually(async () => mine.received.length === 1, 'the webhook delivery', 15_000);
      assert.equal(mine.received[0]!.refused, null);
      assert.equal(mine.received[0]!.json.status, 'firing');
      assert.equal(theirs.received.length, 0, "project b's channel of the same name is never used");
      await eventually(async () => sink.mails.length === 2, 'the mail delivery', 15_000);

      const firing = await viewerA.get('/api/v1/projects/a/alerts?state=firing');
      assert.equal(firing.status, 200);
      assert.equal(firing.body.items.length, 1);
      const alert = firing.body.items[0];
      assert.equal(alert.ruleName, 'cpu-high');
      assert.equal(alert.labels.service, 'web');
      await eventually(
        async () => {
          const a = (await viewerA.get('/api/v1/projects/a/alerts')).body.items[0];
          return a.deliveries.every((d: Json) => d.state === 'delivered') && a.deliveries.length === 2;
        },
        'both deliveries recorded as delivered',
        15_000,
      );
      assert.equal((await devB.get('/api/v1/projects/b/alerts')).body.items.length, 0);

      assert.equal((await alertmanager(notification('a', 'resolved', 'ops'))).status, 200);
      await eventually(async () => mine.received.length === 2, 'the resolved delivery', 15_000);
      assert.equal(mine.received[1]!.json.status, 'resolved');
      const resolved = await viewerA.get('/api/v1/projects/a/alerts?state=resolved');
      assert.equal(resolved.body.items.length, 1);
      assert.equal(resolved.body.items[0].endsAt, '2026-12-07T01:05:00.000Z');
      assert.equal((await viewerA.get('/api/v1/projects/a/alerts?state=firing')).body.items.length, 0);
    });

    it('retries a failing receiver with back-off and records every attempt', async () => {
      const flaky = await receiver({
        check: webhookCheck('flaky-secret'),
        statusOf: (n) => (n <= 2 ? 503 : 200),
      });
      assert.equal(
        (
          await devA.post(channels('a'), {
            name: 'flaky',
            settings: { kind: 'webhook', url: flaky.url, secret: 'flaky-secret' },
          })
        ).status,
        201,
      );
      assert.equal((await alertmanager(notification('a', 'firing', 'flaky', 'f2'))).status, 200);
      const d = await eventually(
        async () => {
          const items = (await devA.get(`${channels('a')}/flaky/deliveries`)).body.items;
          return items[0]?.state === 'delivered' ? items[0] : null;
        },
        'the third attempt',
        30_000,
      );
      assert.deepEqual(
        d.attempts.map((a: Json) => [a.attempt, a.ok, a.code]),
        [
          [1, false, 503],
          [2, false, 503],
          [3, true, 200],
        ],
      );
      // back-off: 1 s, then 2 s
      const at = d.attempts.map((a: Json) => Date.parse(a.at));
      assert.ok(at[1] - at[0] >= 900 && at[2] - at[1] >= 1900, JSON.stringify(d.attempts));
      assert.equal(flaky.received.length, 3);
    });

    it('drops and records what is over the rate limit', async () => {
      const r = await receiver({ check: webhookCheck('limit-secret') });
      assert.equal(
        (
          await devA.post(channels('a'), {
            name: 'limited',
            rateLimitPerMinute: 2,
            settings: { kind: 'webhook', url: r.url, secret: 'limit-secret' },
          })
        ).status,
        201,
      );
      for (const f of ['l1', 'l2', 'l3'])
        assert.equal((await alertmanager(notification('a', 'firing', 'limited', f))).status, 200);
      const items = await eventually(
        async () => {
          const list = (await devA.get(`${channels('a')}/limited/deliveries`)).body.items as Json[];
          return list.filter((d) => d.state === 'delivered').length === 2 ? list : null;
        },
        'two deliveries',
        15_000,
      );
      assert.deepEqual(items.map((d: Json) => d.state).sort(), ['delivered', 'delivered', 'rate-limited']);
      assert.equal(r.received.length, 2);
    });

    it("hides a project's channels from another project's developer", async () => {
      for (const [method, path] of [
        ['GET', channels('a')],
        ['GET', `${channels('a')}/hook`],
        ['POST', `${channels('a')}/hook/test`],
        ['DELETE', `${channels('a')}/hook`],
        ['GET', '/api/v1/projects/a/alerts'],
        ['GET', `${channels('a')}/hook/deliveries`],
      ] as const)
        assert.equal(
          (await devB.call(method, path, method === 'POST' ? {} : undefined)).status,
          404,
          `${method} ${path}`,
        );
      assert.equal((await devA.get(`${channels('a')}/hook`)).status, 200, 'still there');
      assert.equal((await devA.delete(`${channels('a')}/hook`)).status, 204);
      assert.equal((await devA.get(`${channels('a')}/hook`)).status, 404);
    });

    it('sends after a restart what a stopped Berth left pending or half-sent (the state is in the store)', async () => {
      const r = await receiver({ check: webhookCheck('restart-secret') });
      const created = await devA.post(channels('a'), {
        name: 'restart',
        settings: { kind: 'webhook', url: r.url, secret: 'restart-secret' },
      });
      assert.equal(created.status, 201);
      const channel = await server.ctx.db
        .selectFrom('alert_channels')
        .select('id')
        .where('name', '=', 'restart')
        .executeTakeFirstOrThrow();
      const message = {
        ...notification('a', 'firing', 'restart'),
        project: 'a',
        env: 'prod',
        ruleName: 'cpu-high',
        severity: 'critical',
        title: 'left over',
        test: false,
        link: 'http://berth/p/a/prod/alerts',
        alerts: [],
      };
      const past = new Date(Date.now() - 1000).toISOString();
      const row = (id: string, state: string, attempts: number) => ({
        id,
        project: 'a',
        channel_id: channel.id,
        channel: 'restart',
        kind: 'webhook',
        reason: 'alert',
        status: 'firing',
        message: JSON.stringify(message),
        state,
        attempts,
        // pending: its retry is due; sending: its sender died holding it (the claim ran out)
        next_attempt_at: past,
        claimed_until: state === 'sending' ? past : null,
        created_at: past,
        finished_at: null,
      });
      // what a Berth stopped between attempts leaves: a pending retry and one it was sending
      await server.close();
      const opened = openDatabase(db.url);
      const kdb = opened.db;
      await kdb
        .insertInto('alert_deliveries')
        .values([row('zz-pending', 'pending', 1), row('zz-sending', 'sending', 0)])
        .execute();
      await kdb
        .insertInto('alert_delivery_attempts')
        .values({
          delivery_id: 'zz-pending',
          number: 1,
          ok: 0,
          code: 503,
          detail: 'HTTP 503',
          duration_ms: 3,
          at: past,
        })
        .execute();
      await opened.close();
      server = await buildServer(
        testConfig(db, {
          BERTH_ADMIN_PASSWORD: 'admin-password-1',
          BERTH_GATEWAY_ALLOW_LOOPBACK_BACKENDS: '1',
          BERTH_ALERTMANAGER_WEBHOOK_TOKEN: webhookToken,
          BERTH_ALERTMANAGER_URL: 'http://127.0.0.1:9',
          BERTH_LISTEN: '127.0.0.1:0',
        }),
      );
      // the leader's reconciler sends what is due
      await server.start();
      const again = await loginAs(server.app, 'admin', 'admin-password-1');
      const items = await eventually(
        async () => {
          const list = (await again.get(`${channels('a')}/restart/deliveries`)).body.items as Json[];
          return list.length === 2 && list.every((d) => d.state === 'delivered') ? list : null;
        },
        'both left-over deliveries sent',
        20_000,
      );
      const byId = new Map(items.map((d: Json) => [d.id, d.attempts.map((a: Json) => [a.attempt, a.ok])]));
      assert.deepEqual(byId.get('zz-pending'), [
        [1, false],
        [2, true],
      ]);
      assert.deepEqual(byId.get('zz-sending'), [[1, true]]);
      assert.equal(r.received.length, 2);
      assert.ok(r.received.every((x) => x.refused === null));
    });
  });
