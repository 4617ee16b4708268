import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AgentKeepalived,
  keepalivedRenderedPaths,
  renderKeepalivedGateway,
  validateKeepalived,
} from '../src/index';
import { hostInterface } from './host-interface';

/*
 * The agent's side of the virtual IP: Berth's rendered file gets the node's own paths, a file
 * keepalived -t refuses is reported with keepalived's message and installs nothing, an accepted
 * one is installed atomically with the notify script and a running keepalived (its pid file)
 * gets SIGHUP. keepalived itself is never started; a stand-in process takes the signal.
 */

const iface = hostInterface();
const root = mkdtempSync(path.join(tmpdir(), 'berth-agent-keepalived-'));
after(() => rmSync(root, { recursive: true, force: true }));

const rendered = () =>
  renderKeepalivedGateway({
    instance: 'berth_edge',
    virtualRouterId: 51,
    preemption: { mode: 'preempt', delaySeconds: 30 },
    authPass: 'k33pal1v',
    unicast: false,
    virtualIps: ['192.0.2.100/24'],
    check: { nginxPidFile: keepalivedRenderedPaths.nginxPidFile },
    notify: { script: keepalivedRenderedPaths.notifyScript, stateFile: keepalivedRenderedPaths.stateFile },
    nodes: [
      { name: 'a', interface: iface, priority: 150 },
      { name: 'b', interface: iface, priority: 100 },
    ],
  });

describe('agent keepalived', () => {
  const dir = path.join(root, 'node');
  mkdirSync(dir);
  const k = new AgentKeepalived(
    {
      confFile: path.join(dir, 'etc', 'keepalived.conf'),
      notifyScript: path.join(dir, 'bin', 'berth-vrrp-notify'),
      stateFile: path.join(dir, 'vrrp.json'),
      pidFile: path.join(dir, 'keepalived.pid'),
      nginxPidFile: path.join(dir, 'logs', 'nginx.pid'),
    },
    () => undefined,
  );

  it('puts the node’s own paths in, and the result passes keepalived -t', async () => {
    for (const f of rendered()) {
      const text = k.adapt(f.text);
      assert.ok(text.includes(`-F ${path.join(dir, 'logs', 'nginx.pid')} -x nginx"`), text);
      assert.ok(text.includes(`notify "${k.notifyScript} ${k.stateFile}"`), text);
      assert.ok(!text.includes('/var/lib/berth'), text);
      const v = await validateKeepalived(text);
      assert.equal(v.ok, true, JSON.stringify(v));
    }
  });

  it('refuses a hand-broken file with keepalived’s message and installs nothing', async () => {
    const broken = rendered()[0]!.text.replace('  advert_int 1\n', '  advert_int 1\n  vrrp_unknown_word {\n');
    const r = await k.prepare(broken.replace(/^}\n$/m, ''));
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.message : '', /^keepalived -t refused keepalived\.conf: .*keepalived\.conf/s);
    await k.install();
    assert.equal(existsSync(path.join(dir, 'etc', 'keepalived.conf')), false);
  });

  it('installs an accepted file with the notify script and sends SIGHUP to keepalived’s pid', async () => {
    // a stand-in for keepalived: prints HUP when it gets SIGHUP
    const child = spawn(
      process.execPath,
      [
        '-e',
        'process.on("SIGHUP",()=>{console.log("HUP");process.exit(0)});console.log("up");setInterval(()=>{},1000)',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    const hup = new Promise<void>((resolve) =>
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('HUP')) resolve();
      }),
    );
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    writeFileSync(path.join(dir, 'keepalived.pid'), `${child.pid}\n`);
    const text = rendered()[0]!.text;
    const r = await k.prepare(text);
    assert.deepEqual(r, { ok: true });
    await k.install();
    await hup;
    child.kill();
    assert.equal(readFileSync(path.join(dir, 'etc', 'keepalived.conf'), 'utf8'), k.adapt(text));
    assert.ok(existsSync(k.notifyScript));
    // unchanged: nothing to install again
    assert.deepEqual(await k.prepare(text), { ok: true });
    // the VIP removed: a file without instances replaces Berth's
    assert.deepEqual(await k.prepare(undefined), { ok: true });
    await k.install();
    assert.ok(!readFileSync(path.join(dir, 'etc', 'keepalived.conf'), 'utf8').includes('vrrp_instance'));
  });

  it('reads the state the notify script writes', async () => {
    await new Promise<void>((resolve, reject) =>
      execFile(k.notifyScript, [k.stateFile, 'INSTANCE', 'berth_edge', 'BACKUP', '100'], (e) =>
        e ? reject(new Error(e.message)) : resolve(),
      ),
    );
    const s = await k.state();
    assert.equal(s?.state, 'BACKUP');
    assert.equal(s?.priority, 100);
    assert.equal(s?.holdsVip, false);
  });
});
