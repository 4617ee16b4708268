/** `berth alert-rules …` against a real Berth (monitoring off): add, list, versions and diff, rollback, rm, preview's 503. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { platformCli } from './platform-support';

describe('berth alert-rules', () => {
  const cli = platformCli({
    dirPrefix: 'berth-cli-alert-rules-',
    server: { BERTH_GATEWAY_LISTEN: 'off', BERTH_MONITORING: 'off' },
    setup: 'project',
  });
  const { berth, json } = cli;

  it('adds, lists, versions, rolls back and removes rules; refuses bad flags at the field', async () => {
    await cli.createSleeper('api', 1);
    // --channel names a channel of the project (saved only: nothing is sent here)
    const ops = await cli.platform.api.post('/api/v1/projects/web/channels', {
      name: 'ops',
      settings: { kind: 'slack', url: 'https://hooks.example.invalid/services/ops' },
    });
    assert.equal(ops.status, 201, JSON.stringify(ops.body));
    const typo = await berth([
      ...['alert-rules', 'add', 'api-down', '-p', 'web', '--template', 'unavailable', '--service', 'api'],
      ...['--channel', 'opz'],
    ]);
    assert.notEqual(typo.code, 0);
    assert.match(typo.err, /channels\.0.*no channel 'opz' in project 'web'/s);
    const added = await berth([
      ...['alert-rules', 'add', 'api-down', '-p', 'web', '--template', 'unavailable', '--service', 'api'],
      ...['--for', '30s', '--severity', 'critical', '--label', 'team=shop', '--channel', 'ops'],
    ]);
    assert.equal(added.code, 0, added.err);
    assert.match(added.out, /alert rule api-down added \(version 1 of the rules of test\)/);
    assert.match(
      added.out,
      /expr: berth_service_replicas_desired\{project="web",env="test",service="api"\} - on\(project, env, service\) berth_service_replicas_ready\{project="web",env="test",service="api"\} > 0/,
    );
    const list = await berth(['alert-rules', 'list', '-p', 'web']);
    assert.match(list.out, /api-down\s+unavailable\s+service=api\s+-\s+30s\s+critical\s+yes/);

    const cpu = await berth([
      ...['alert-rules', 'add', 'api-cpu', '-p', 'web', '--template', 'cpu', '--service', 'api'],
      ...['--threshold', '75'],
    ]);
    assert.equal(cpu.code, 0, cpu.err);
    const versions = await berth(['alert-rules', 'versions', '-p', 'web']);
    assert.match(versions.out, /2\s+\S+ by admin\s+2\s+create rule api-cpu/);
    const diff = await berth(['alert-rules', 'versions', '-p', 'web', '--diff', '2']);
    assert.match(diff.out, /\+\s+- alert: "berth_api_cpu"/);

    const rb = await berth(['alert-rules', 'rollback', '1', '-p', 'web']);
    assert.equal(rb.code, 0, rb.err);
    assert.match(rb.out, /version 3 \(the rules of version 1\)/);
    const names = await json<{ items: Array<{ name: string }> }>(['alert-rules', 'list', '-p', 'web']);
    assert.deepEqual(
      names.items.map((r) => r.name),
      ['api-down'],
    );

    // bad input: named at the field, nothing sent
    const bad = await berth(['alert-rules', 'add', 'x', '-p', 'web', '--template', 'cpu', '--for', 'soon']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /for/);
    assert.match(bad.err, /Prometheus duration/);

    const preview = await berth([
      'alert-rules',
      'preview',
      '-p',
      'web',
      '--template',
      'cpu',
      '--service',
      'api',
    ]);
    assert.notEqual(preview.code, 0);
    assert.match(preview.err, /Monitoring is off/);

    const rm = await berth(['alert-rules', 'rm', 'api-down', '-p', 'web']);
    assert.equal(rm.code, 0, rm.err);
    const empty = await berth(['alert-rules', 'list', '-p', 'web']);
    assert.match(empty.out + empty.err, /no alert rules/);
  });
});
