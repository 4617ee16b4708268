import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AgentKeepalived, keepalivedRenderedPaths, renderKeepalivedGateway } from '../src/index';
import { hostInterface } from './host-interface';

/*
 * scripts/setup-gateway-node.sh (docs/gateway.md, "Installing keepalived on a node"): the systemd
 * units it writes (under --root, so the host and systemd are left alone) are accepted by
 * `systemd-analyze verify`, a second run changes nothing, and the keepalived command line of the
 * service, pointed at a configuration the agent installed, passes the real keepalived's
 * `--config-test` (keepalived is never started).
 */

const script = path.resolve(import.meta.dirname, '../../../scripts/setup-gateway-node.sh');
const root = mkdtempSync(path.join(tmpdir(), 'berth-setup-node-'));
after(() => rmSync(root, { recursive: true, force: true }));

const run = (argv: string[]) =>
  new Promise<{ code: number; out: string }>((resolve) =>
    execFile('bash', argv, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout + stderr }),
    ),
  );
const units = path.join(root, 'host', 'etc', 'systemd', 'system');
const service = () => readFileSync(path.join(units, 'berth-keepalived@.service'), 'utf8');

describe('scripts/setup-gateway-node.sh', () => {
  it('writes the keepalived units once; a second run changes nothing', async () => {
    const first = await run([
      script,
      '--root',
      path.join(root, 'host'),
      '--keepalived',
      'edge-1',
      '--keepalived',
      'edge-2',
    ]);
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, /wrote .*berth-keepalived@\.service/);
    assert.match(first.out, /wrote .*berth-keepalived@\.path/);
    assert.match(
      first.out,
      /node edge-2: give its agent --keepalived-conf \/etc\/berth\/keepalived\/edge-2\.conf --keepalived-pid-file \/run\/berth-keepalived\/edge-2\.pid/,
    );
    assert.ok(existsSync(path.join(root, 'host', 'etc', 'berth', 'keepalived')));
    const mtimes = readdirSync(units).map((f) => statSync(path.join(units, f)).mtimeMs);
    const second = await run([script, '--root', path.join(root, 'host'), '--keepalived', 'edge-1']);
    assert.equal(second.code, 0, second.out);
    assert.doesNotMatch(second.out, /wrote/);
    assert.deepEqual(
      readdirSync(units).map((f) => statSync(path.join(units, f)).mtimeMs),
      mtimes,
    );
  });

  it('refuses a node name that is not a label, and writes nothing', async () => {
    for (const bad of ['edge 1', 'x;reboot', '../etc', 'Edge']) {
      const r = await run([script, '--root', path.join(root, 'bad'), '--keepalived', bad]);
      assert.equal(r.code, 2, r.out);
      assert.match(r.out, /a node name is a label such as edge-1/);
    }
    assert.equal(existsSync(path.join(root, 'bad')), false);
  });

  it('systemd-analyze verify accepts the units of a node', async (t) => {
    if (!existsSync('/usr/bin/systemd-analyze')) return t.skip('systemd-analyze is not installed');
    // verify reads instance units: copy the templates under a node's names
    const dir = path.join(root, 'verify');
    mkdirSync(dir);
    for (const ext of ['service', 'path'])
      copyFileSync(
        path.join(units, `berth-keepalived@.${ext}`),
        path.join(dir, `berth-keepalived@edge-1.${ext}`),
      );
    const r = await new Promise<{ code: number; out: string }>((resolve) =>
      execFile(
        'systemd-analyze',
        [
          'verify',
          path.join(dir, 'berth-keepalived@edge-1.service'),
          path.join(dir, 'berth-keepalived@edge-1.path'),
        ],
        (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: stdout + stderr }),
      ),
    );
    assert.equal(r.code, 0, r.out);
    assert.doesNotMatch(r.out, /berth-keepalived/, r.out);
  });

  it('the service’s keepalived command line passes keepalived --config-test with an agent’s file', async () => {
    const line = /^ExecStart=(.*)$/m.exec(service())?.[1];
    assert.ok(line, service());
    // the node's paths, moved into this test's directory
    const etc = path.join(root, 'etc-keepalived');
    const runDir = path.join(root, 'run');
    mkdirSync(runDir);
    const argv = line
      .replaceAll('%i', 'edge-1')
      .replaceAll('/etc/berth/keepalived/', `${etc}/`)
      .replaceAll('/run/berth-keepalived/', `${runDir}/`)
      .split(' ');
    assert.equal(argv[0], '/usr/sbin/keepalived');
    assert.ok(argv.includes(`--use-file=${etc}/edge-1.conf`), argv.join(' '));
    const iface = hostInterface();
    const k = new AgentKeepalived(
      {
        confFile: `${etc}/edge-1.conf`,
        pidFile: `${runDir}/edge-1.pid`,
        notifyScript: path.join(root, 'bin', 'berth-vrrp-notify'),
        stateFile: `${etc}/berth-vrrp-state.edge-1.json`,
        nginxPidFile: path.join(root, 'nginx', 'logs', 'nginx.pid'),
      },
      () => undefined,
    );
    const [file] = renderKeepalivedGateway({
      instance: 'berth_edge',
      virtualRouterId: 51,
      preemption: { mode: 'nopreempt' },
      authPass: 'k33pal1v',
      unicast: false,
      virtualIps: ['192.0.2.100/24'],
      check: { nginxPidFile: keepalivedRenderedPaths.nginxPidFile },
      notify: { script: keepalivedRenderedPaths.notifyScript, stateFile: keepalivedRenderedPaths.stateFile },
      nodes: [
        { name: 'edge-1', interface: iface, priority: 150 },
        { name: 'edge-2', interface: iface, priority: 100 },
      ],
    });
    assert.deepEqual(await k.prepare(file!.text), { ok: true });
    await k.install();
    const test = (args: string[]) =>
      new Promise<{ code: number; out: string }>((resolve) =>
        execFile(args[0]!, [...args.slice(1), '--config-test'], (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout + stderr }),
        ),
      );
    const ok = await test(argv);
    assert.equal(ok.code, 0, ok.out);
    // the same command line refuses a hand-broken file: it does read the node's file
    const broken = argv.map((a) => (a.startsWith('--use-file=') ? `--use-file=${etc}/broken.conf` : a));
    writeFileSync(
      `${etc}/broken.conf`,
      readFileSync(`${etc}/edge-1.conf`, 'utf8').replace('priority 150', 'priority 300'),
    );
    const refused = await test(broken);
    assert.notEqual(refused.code, 0, refused.out);
    assert.match(refused.out, /priority/i);
    // --config-test starts nothing: no pid file was written
    assert.deepEqual(readdirSync(runDir), []);
  });
});
