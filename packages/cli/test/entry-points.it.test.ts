/** `berth entry-points …` and `berth entry-ports …` against a real Berth. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { platformCli } from './platform-support';

type Obj = Record<string, unknown>;

describe('berth entry-points', () => {
  const cli = platformCli({
    dirPrefix: 'berth-cli-entry-',
    server: { BERTH_GATEWAY_LISTEN: 'off' },
    setup: 'project',
  });
  const { berth, json } = cli;

  it('an admin assigns ports; the project maps, updates and deletes an entry point; release', async () => {
    await cli.createSleeper('cache', 0, '--port', '6379');
    const assign = await berth(['entry-ports', 'assign', '16379-16381', '-p', 'web']);
    assert.equal(assign.code, 0, assign.err);
    assert.match(assign.out, /assigned 3 tcp ports of test to web/);
    const low = await berth(['entry-ports', 'assign', '53', '--udp', '-p', 'web']);
    assert.equal(low.code, 1);
    assert.match(low.err, /allowPrivileged/);
    assert.equal(
      (await berth(['entry-ports', 'assign', '53', '--udp', '-p', 'web', '--allow-privileged'])).code,
      0,
    );
    const ports = await berth(['entry-ports', 'list']);
    assert.match(ports.out, /16379\/tcp\s+web\s+no/);
    assert.match(ports.out, /53\/udp\s+web/);

    const created = await berth([
      ...['entry-points', 'create', '16379', '--service', 'cache', '--service-port', '6379'],
      ...['--max-fails', '2', '-p', 'web'],
    ]);
    assert.equal(created.code, 0, created.err);
    assert.match(created.out, /entry point 16379\/tcp → cache:6379 created \(version 1\)/);
    const wrongPort = await berth([
      'entry-points',
      'create',
      '16380',
      '--service',
      'cache',
      '--service-port',
      '80',
      '-p',
      'web',
    ]);
    assert.equal(wrongPort.code, 1);
    assert.match(wrongPort.err, /does not declare container port 80/);
    const notOurs = await berth([
      'entry-points',
      'create',
      '40000',
      '--service',
      'cache',
      '--service-port',
      '6379',
      '-p',
      'web',
    ]);
    assert.equal(notOurs.code, 1);
    assert.match(notOurs.err, /not assigned to project 'web'/);
    const missing = await berth(['entry-points', 'create', '16380', '--service', 'cache', '-p', 'web']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--service-port/);

    const updated = await berth(['entry-points', 'update', '16379', '--timeout', '3600', '-p', 'web']);
    assert.equal(updated.code, 0, updated.err);
    assert.match(updated.out, /updated \(version 2\)/);
    const list = await json<{ entryPoints: Obj[]; ports: Obj[] }>(['entry-points', 'list', '-p', 'web']);
    assert.equal(list.entryPoints.length, 1);
    assert.equal(list.entryPoints[0]?.timeoutSeconds, 3600);
    assert.equal(list.entryPoints[0]?.maxFails, 2);
    const text = await berth(['entry-points', 'list', '-p', 'web']);
    assert.match(text.out, /16379\/tcp\s+cache:6379\s+max_fails=2 fail_timeout=10s\s+3600s/);
    assert.match(text.out, /assigned ports not in use: 16380\/tcp 16381\/tcp 53\/udp/);

    const inUse = await berth(['entry-ports', 'release', '16379']);
    assert.equal(inUse.code, 1);
    assert.match(inUse.err, /used by an entry point of project 'web'/);
    assert.equal((await berth(['entry-points', 'delete', '16379', '-p', 'web'])).code, 0);
    const released = await berth(['entry-ports', 'release', '16379']);
    assert.equal(released.code, 0, released.err);
    assert.match(released.out, /port 16379\/tcp of test released/);
  });
});
