/** `berth quota get|set` and the restricted-workload spec flags against a real Berth. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { platformCli } from './platform-support';

type Obj = Record<string, unknown>;

describe('berth quota and restricted workload flags', () => {
  const cli = platformCli({
    dirPrefix: 'berth-cli-quota-',
    server: { BERTH_GATEWAY_LISTEN: 'off' },
    setup: 'project',
  });
  const { berth, json } = cli;

  it('sets and shows a quota; flags not given keep their value', async () => {
    const empty = await berth(['quota', 'get', '-p', 'web']);
    assert.equal(empty.code, 0, empty.err);
    assert.match(empty.out, /cpu\s+0\s+unlimited\s+unlimited/);
    const set = await berth([
      'quota',
      'set',
      '-p',
      'web',
      '--cpu',
      '4',
      '--memory',
      '8192',
      '--replicas',
      '20',
      '--default-cpu',
      '0.5',
      '--default-memory',
      '256',
    ]);
    assert.equal(set.code, 0, set.err);
    assert.match(set.out, /cpu 4, memory 8192Mi, replicas 20, volumes unlimited/);
    assert.equal((await berth(['quota', 'set', '-p', 'web', '--volumes', '50'])).code, 0);
    const q = await json<{ limits: Obj; defaults: Obj }>(['quota', 'get', '-p', 'web']);
    assert.deepEqual(q.limits, { cpu: 4, memoryMiB: 8192, replicas: 20, volumesGiB: 50 });
    assert.deepEqual(q.defaults, { cpu: 0.5, memoryMiB: 256 });
    const bad = await berth(['quota', 'set', '-p', 'web', '--cpu', 'lots']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--cpu/);
  });

  it('creates a service with --cap, --read-only-rootfs and --pids, and reports a scale over the quota', async () => {
    await cli.createSleeper('hello', 2, '--cap', 'NET_BIND_SERVICE', '--read-only-rootfs', '--pids', '200');
    const svc = await json<{ spec: Obj }>(['services', 'get', 'hello', '-p', 'web']);
    assert.deepEqual(svc.spec.capabilities, ['NET_BIND_SERVICE']);
    assert.equal(svc.spec.readOnlyRootFilesystem, true);
    assert.equal((svc.spec.resources as Obj).pids, 200);
    const q = await berth(['quota', 'get', '-p', 'web']);
    assert.match(q.out, /cpu\s+1\s+4\s+3/);
    const scale = await berth(['scale', 'hello', '30', '-p', 'web', '--no-wait']);
    assert.equal(scale.code, 1);
    assert.match(scale.err, /Project 'web' has 20 of 20 replicas left; this change needs 30/);
  });
});
