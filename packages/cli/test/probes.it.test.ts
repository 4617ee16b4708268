/**
 * `berth probes …` against a real Berth (monitoring off: probes are stored, uptime answers 503):
 * add of a route's backend with its alert rule, list, edit (only the flags given change), a
 * target not owned and a regex Go refuses named at the field, uptime's 503, rm with the rule.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SiteProbe } from '@berth/shared';
import { grantNetwork, grantZone } from '../../server/test/helpers/tenancy';
import { platformCli } from './platform-support';

describe('berth probes', () => {
  const cli = platformCli({
    dirPrefix: 'berth-cli-probes-',
    server: { BERTH_MONITORING: 'off', BERTH_GATEWAY_ALLOW_LOOPBACK_BACKENDS: '1' },
    setup: 'project',
  });
  const { berth, json } = cli;

  it('adds, lists and removes probes; refuses what is not the project’s and bad flags', async () => {
    const api = cli.platform.api;
    await grantZone(api, 'web.example.test', 'web');
    await grantNetwork(api, '10.9.0.0/16', 'web');
    const route = await api.post('/api/v1/projects/web/envs/test/routes', {
      name: 'www',
      spec: { host: 'www.web.example.test', backends: { servers: [{ address: '10.9.0.5:8080' }] } },
    });
    assert.equal(route.status, 201, JSON.stringify(route.body));

    const added = await berth([
      ...['probes', 'add', 'home', '-p', 'web', '--url', 'https://www.web.example.test/health'],
      ...[
        '--expect',
        '2xx,301',
        '--body-must-not-match',
        'ERROR',
        '--interval',
        '15',
        '--alert',
        '--alert-for',
        '2m',
      ],
    ]);
    assert.equal(added.code, 0, added.err);
    assert.match(added.out, /probe home added \(http https:\/\/www\.web\.example\.test\/health, every 15s\)/);
    assert.match(added.out, /alert rule probe-home added/);
    assert.match(added.out, /not running yet: Monitoring is off/);
    const tcp = await berth(['probes', 'add', 'db', '-p', 'web', '--tcp', '10.9.0.5:8080']);
    assert.equal(tcp.code, 0, tcp.err);

    const list = await berth(['probes', 'list', '-p', 'web']);
    assert.match(list.out, /db\s+tcp\s+10\.9\.0\.5:8080\s+-\s+-\s+-\s+30s\s+-/);
    assert.match(
      list.out,
      /home\s+http\s+https:\/\/www\.web\.example\.test\/health\s+-\s+-\s+-\s+15s\s+probe-home/,
    );
    const rule = await json<{ template: string; scope: Record<string, string>; for: string }>([
      ...['alert-rules', 'list', '-p', 'web'],
    ]);
    assert.match(JSON.stringify(rule), /"name":"probe-home","template":"probe"/);

    // not the project's: the server names the field
    const other = await berth(['probes', 'add', 'x', '-p', 'web', '--url', 'http://example.org/']);
    assert.notEqual(other.code, 0);
    assert.match(other.err, /url.*host 'example\.org' is not the host of a route of web\/test/s);
    const port = await berth(['probes', 'add', 'x', '-p', 'web', '--tcp', '10.9.0.5:22']);
    assert.notEqual(port.code, 0);
    assert.match(port.err, /not a server backend of a route of web\/test/);
    // refused before sending: a look-ahead Go's regexp does not have, a missing target
    const re = await berth([
      'probes',
      'add',
      'x',
      '-p',
      'web',
      '--url',
      'http://a/',
      '--body-must-not-match',
      'a(?!b)',
    ]);
    assert.notEqual(re.code, 0);
    assert.match(re.err, /bodyMustNotMatch.*look-around/s);
    const none = await berth(['probes', 'add', 'x', '-p', 'web']);
    assert.notEqual(none.code, 0);
    assert.match(none.err, /give --url URL or --tcp HOST:PORT/);

    const up = await berth(['probes', 'uptime', 'home', '-p', 'web']);
    assert.notEqual(up.code, 0);
    assert.match(up.err, /Monitoring is off/);

    // edit: only the flags given change; an empty RE removes that check; the rule stays
    const edited = await berth([
      ...['probes', 'edit', 'home', '-p', 'web', '--interval', '20'],
      ...['--body-must-match', 'ok', '--body-must-not-match', ''],
    ]);
    assert.equal(edited.code, 0, edited.err);
    assert.match(
      edited.out,
      /probe home changed \(http https:\/\/www\.web\.example\.test\/health, every 20s\)/,
    );
    const home = await json<SiteProbe>(['probes', 'edit', 'home', '-p', 'web', '--latency-ms', '900']);
    assert.equal(home.intervalSeconds, 20);
    assert.equal(home.bodyMustMatch, 'ok');
    assert.equal(home.bodyMustNotMatch, null);
    assert.equal(home.expectStatus, '2xx,301', 'a flag not given keeps its value');
    assert.equal(home.latencyThresholdMs, 900);
    assert.equal(home.alertRule, 'probe-home');
    assert.equal(home.updatedBy, 'admin');
    // to a backend the project does not own: refused, named at the field, nothing changed
    const moved = await berth(['probes', 'edit', 'home', '-p', 'web', '--tcp', '10.9.0.5:22']);
    assert.notEqual(moved.code, 0);
    assert.match(moved.err, /not a server backend of a route of web\/test/);
    const disabled = await berth(['probes', 'edit', 'db', '-p', 'web', '--disable']);
    assert.equal(disabled.code, 0, disabled.err);
    assert.match(disabled.out, /probe db changed \(tcp 10\.9\.0\.5:8080, every 30s, disabled\)/);
    const missing = await berth(['probes', 'edit', 'nope', '-p', 'web', '--interval', '5']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /Probe 'nope' does not exist in web\/test/);
    const both = await berth(['probes', 'edit', 'db', '-p', 'web', '--enable', '--disable']);
    assert.notEqual(both.code, 0);
    assert.match(both.err, /give --enable or --disable, not both/);
    const list2 = await berth(['probes', 'list', '-p', 'web']);
    assert.match(list2.out, /db\s+tcp\s+10\.9\.0\.5:8080\s+disabled/);
    assert.match(list2.out, /home\s+http\s+\S+\s+-\s+-\s+-\s+20s\s+probe-home/);

    const rm = await berth(['probes', 'rm', 'home', '-p', 'web']);
    assert.equal(rm.code, 0, rm.err);
    const names = await json<{ items: Array<{ name: string }> }>(['probes', 'list', '-p', 'web']);
    assert.deepEqual(
      names.items.map((r) => r.name),
      ['db'],
    );
    const rules = await json<{ items: unknown[] }>(['alert-rules', 'list', '-p', 'web']);
    assert.equal(rules.items.length, 0, 'the probe’s rule went with it');
  });
});
