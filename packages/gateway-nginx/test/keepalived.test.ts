import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  RenderError,
  installVrrpNotifyScript,
  nginxCheckArgv,
  scriptSecurityProblem,
  parseVrrpState,
  readVrrpState,
  renderKeepalived,
  renderKeepalivedGateway,
  validateKeepalived,
  vrrpNotifyScript,
  type KeepalivedGateway,
  type KeepalivedNode,
} from '../src/index';
import { findHostInterface } from './host-interface';

/*
 * keepalived configuration of a gateway's virtual IP: every rendered variant passes the real
 * `keepalived -t` (Debian's 2.2.7), hand-broken files are refused with keepalived's message, bad
 * values are refused before rendering with the field named, and the two scripts the rendered
 * file runs (the Nginx check and the notify script) do what the file relies on. keepalived is
 * never started: it would change the machine's addresses.
 */

const iface = findHostInterface();
/** Without a usable interface the exact-text checks fall back to keepalived's dynamic_interfaces. */
const strict = { interfaceMayBeMissing: iface === null };

const notify = {
  script: '/usr/local/lib/berth/berth-vrrp-notify',
  stateFile: '/var/lib/berth/vrrp-state.json',
};

const node = (over: Partial<KeepalivedNode> = {}): KeepalivedNode => ({
  routerId: 'gw-a',
  instance: 'berth_gw',
  interface: iface ?? 'eth0',
  virtualRouterId: 51,
  priority: 150,
  preemption: { mode: 'nopreempt' },
  virtualIps: ['192.0.2.100'],
  check: { nginxPidFile: '/var/lib/berth/gateway/logs/nginx.pid' },
  notify,
  ...over,
});

const gateway = (over: Partial<KeepalivedGateway> = {}): KeepalivedGateway => ({
  instance: 'berth_gw',
  virtualRouterId: 51,
  preemption: { mode: 'nopreempt' },
  authPass: 'k33pal1v',
  unicast: true,
  virtualIps: ['192.0.2.100/24'],
  check: { nginxPidFile: '/var/lib/berth/gateway/logs/nginx.pid' },
  notify,
  nodes: [
    { name: 'gw-a', interface: iface ?? 'eth0', priority: 150, address: '192.0.2.10' },
    { name: 'gw-b', interface: iface ?? 'eth0', priority: 120, address: '192.0.2.11' },
    { name: 'gw-c', interface: iface ?? 'eth0', priority: 100, address: '192.0.2.12' },
  ],
  ...over,
});

async function assertAccepted(text: string, what: string): Promise<void> {
  const r = await validateKeepalived(text, strict);
  assert.ok(r.ok, `${what}: keepalived -t refused it:\n${r.ok ? '' : r.message}\n${text}`);
  assert.deepEqual(r.warnings, [], `${what}: keepalived -t warned`);
}

describe('keepalived -t on generated files', () => {
  const variants: Record<string, KeepalivedNode> = {
    'nopreempt, multicast, no authentication': node(),
    'nopreempt, unicast, an 8-character password': node({
      authPass: 'abcd1234',
      unicast: { sourceIp: '192.0.2.10', peers: ['192.0.2.11', '192.0.2.12'] },
    }),
    'preempt after a delay, with a weighted check': node({
      preemption: { mode: 'preempt', delaySeconds: 30 },
      check: {
        nginxPidFile: '/run/nginx.pid',
        weight: -60,
        intervalSeconds: 1,
        fall: 3,
        rise: 5,
        timeoutSeconds: 1,
      },
    }),
    'preempt, starting as MASTER': node({ preemption: { mode: 'preempt', initialState: 'MASTER' } }),
    'preempt without delay, several addresses, slow adverts': node({
      preemption: { mode: 'preempt' },
      advertIntervalSeconds: 3,
      virtualIps: ['192.0.2.100', '192.0.2.101/24', '198.51.100.7/32'],
      priority: 254,
      virtualRouterId: 255,
    }),
    'lowest priority and router id, a one-character password': node({
      priority: 1,
      virtualRouterId: 1,
      authPass: 'x',
    }),
  };

  for (const [what, n] of Object.entries(variants)) {
    it(`accepts ${what}`, async () => {
      await assertAccepted(renderKeepalived(n), what);
    });
  }

  it('accepts every node file of a 3-node gateway, unicast and preempt alike', async () => {
    for (const g of [
      gateway(),
      gateway({ unicast: false, authPass: undefined }),
      gateway({
        preemption: { mode: 'preempt', delaySeconds: 60 },
        check: { ...gateway().check, weight: -40 },
      }),
      gateway({ preemption: { mode: 'preempt', initialState: 'MASTER' } }),
    ]) {
      const files = renderKeepalivedGateway(g);
      assert.deepEqual(
        files.map((f) => f.node),
        ['gw-a', 'gw-b', 'gw-c'],
      );
      for (const f of files) await assertAccepted(f.text, f.node);
    }
  });

  /** keepalived's own refusals of files broken by hand after rendering. */
  const broken: [string, (t: string) => string, number, RegExp][] = [
    [
      'an unknown keyword',
      (t) => t.replace('  advert_int 1\n', '  advert_int 1\n  frobnicate yes\n'),
      5,
      /Line \d+\) Unknown keyword 'frobnicate'/,
    ],
    [
      'a priority of 300',
      (t) => t.replace('priority 150', 'priority 300'),
      5,
      /number '300' outside range \[1, 255\]/,
    ],
    [
      'a router id of 256',
      (t) => t.replace('virtual_router_id 51', 'virtual_router_id 256'),
      5,
      /VRID '256' not valid/,
    ],
    [
      'a 10-character password',
      (t) => t.replace('auth_pass abcd1234', 'auth_pass abcd123456'),
      5,
      /Truncating auth_pass to 8 characters/,
    ],
    ['a missing brace', (t) => t.replace(/\n\}\n$/, '\n'), 5, /missing '\}'s or extra '\{'s/],
    [
      'a check binary that does not exist',
      (t) => t.replace('/usr/bin/pgrep', '/usr/bin/berth-no-such-check'),
      5,
      /Disabling track script berth_check_nginx since not found\/accessible/,
    ],
    [
      'an interface that does not exist',
      (t) => t.replaceAll(`${iface ?? 'eth0'}\n`, 'berthnosuch0\n'),
      5,
      /Non-existent interface specified in configuration/,
    ],
    [
      'scripts without script security',
      (t) => t.replace('  enable_script_security\n', ''),
      6,
      /SECURITY VIOLATION/,
    ],
  ];

  const base = renderKeepalived(node({ authPass: 'abcd1234' }));
  for (const [what, breakIt, code, message] of broken) {
    it(`refuses a file broken by hand: ${what}, with keepalived's message`, async (t) => {
      if (iface === null && what.includes('interface')) return t.skip('no network interface besides lo');
      const text = breakIt(base);
      assert.notEqual(text, base, 'the breakage applies');
      const r = await validateKeepalived(text);
      assert.equal(r.ok, false, `${what} passed keepalived -t`);
      if (r.ok) return;
      assert.equal(r.code, code, r.message);
      assert.match(r.message, message);
      assert.ok(!r.message.includes('berth-keepalived-'), 'the scratch path is not in the message');
    });
  }

  it('checks a node file on a machine without its interface only with interfaceMayBeMissing', async () => {
    const text = renderKeepalived(node({ interface: 'berthnosuch0' }));
    const exact = await validateKeepalived(text);
    assert.equal(exact.ok, false);
    const lenient = await validateKeepalived(text, { interfaceMayBeMissing: true });
    assert.ok(lenient.ok, lenient.ok ? '' : lenient.message);
    const brokenToo = await validateKeepalived(text.replace('priority 150', 'priority 300'), {
      interfaceMayBeMissing: true,
    });
    assert.equal(brokenToo.ok, false, 'other errors are still found');
  });
});

describe('keepalived rendering', () => {
  it('renders the instance, the check, unicast peers, the VIP and the notify script', () => {
    const text = renderKeepalived(
      node({
        interface: 'eth0',
        authPass: 'abcd1234',
        unicast: { sourceIp: '192.0.2.10', peers: ['192.0.2.11'] },
        preemption: { mode: 'preempt', delaySeconds: 30 },
        check: { nginxPidFile: '/run/nginx.pid', weight: -50 },
      }),
    );
    assert.match(
      text,
      /script "\/usr\/bin\/pgrep -F \/run\/nginx\.pid -x nginx"\n {2}interval 2\n {2}timeout 2\n {2}fall 2\n {2}rise 2\n {2}weight -50/,
    );
    assert.match(
      text,
      /vrrp_instance berth_gw \{\n {2}state BACKUP\n {2}preempt_delay 30\n {2}interface eth0\n {2}virtual_router_id 51\n {2}priority 150\n {2}advert_int 1/,
    );
    assert.match(text, /auth_type PASS\n {4}auth_pass abcd1234/);
    assert.match(text, /unicast_src_ip 192\.0\.2\.10\n {2}unicast_peer \{\n {4}192\.0\.2\.11\n {2}\}/);
    assert.match(text, /virtual_ipaddress \{\n {4}192\.0\.2\.100\/32 dev eth0\n {2}\}/);
    assert.match(
      text,
      /notify "\/usr\/local\/lib\/berth\/berth-vrrp-notify \/var\/lib\/berth\/vrrp-state\.json"/,
    );
    assert.ok(!text.includes('nopreempt'));
    assert.match(renderKeepalived(node()), /state BACKUP\n {2}nopreempt\n/);
  });

  it('gives each node of a gateway the others as unicast peers and MASTER to the highest priority only', () => {
    const files = renderKeepalivedGateway(
      gateway({ preemption: { mode: 'preempt', initialState: 'MASTER' } }),
    );
    const [a, b, c] = files.map((f) => f.text);
    assert.match(a ?? '', /state MASTER/);
    assert.match(b ?? '', /state BACKUP/);
    assert.match(c ?? '', /state BACKUP/);
    assert.match(b ?? '', /router_id gw-b\n/);
    assert.match(
      b ?? '',
      /unicast_src_ip 192\.0\.2\.11\n {2}unicast_peer \{\n {4}192\.0\.2\.10\n {4}192\.0\.2\.12\n {2}\}/,
    );
    for (const t of [a, b, c]) assert.match(t ?? '', /auth_pass k33pal1v\n/);
  });

  const refused: [string, () => unknown, string, RegExp][] = [
    [
      'a 9-character password',
      () => renderKeepalived(node({ authPass: 'abcd12345' })),
      'authPass',
      /has 9 characters: VRRP carries at most 8 and keepalived silently cuts the rest/,
    ],
    [
      'a password with a comment mark',
      () => renderKeepalived(node({ authPass: 'ab#cd' })),
      'authPass',
      /letters, digits/,
    ],
    [
      'a password with a space',
      () => renderKeepalived(node({ authPass: 'ab cd' })),
      'authPass',
      /letters, digits/,
    ],
    ['an empty password', () => renderKeepalived(node({ authPass: '' })), 'authPass', /1-8 characters/],
    ['router id 0', () => renderKeepalived(node({ virtualRouterId: 0 })), 'virtualRouterId', /from 1 to 255/],
    [
      'router id 256',
      () => renderKeepalived(node({ virtualRouterId: 256 })),
      'virtualRouterId',
      /from 1 to 255/,
    ],
    ['priority 255', () => renderKeepalived(node({ priority: 255 })), 'priority', /from 1 to 254/],
    ['priority 0', () => renderKeepalived(node({ priority: 0 })), 'priority', /from 1 to 254/],
    ['priority 1.5', () => renderKeepalived(node({ priority: 1.5 })), 'priority', /integer/],
    [
      'advert interval 0',
      () => renderKeepalived(node({ advertIntervalSeconds: 0 })),
      'advertIntervalSeconds',
      /from 1 to 255/,
    ],
    [
      'interface lo',
      () => renderKeepalived(node({ interface: 'lo' })),
      'interface',
      /cannot carry VRRP adverts/,
    ],
    [
      'an interface with a space',
      () => renderKeepalived(node({ interface: 'eth0 dev' })),
      'interface',
      /not an interface name/,
    ],
    [
      'a 16-byte interface',
      () => renderKeepalived(node({ interface: 'a'.repeat(16) })),
      'interface',
      /not an interface name/,
    ],
    [
      'a node name with a newline',
      () => renderKeepalived(node({ routerId: 'gw\n}' })),
      'routerId',
      /not a node name/,
    ],
    [
      'an instance with a brace',
      () => renderKeepalived(node({ instance: 'gw{' })),
      'instance',
      /not an instance name/,
    ],
    [
      'a config variable as instance',
      () => renderKeepalived(node({ instance: '$X' })),
      'instance',
      /not an instance name/,
    ],
    [
      'a VIP that is a name',
      () => renderKeepalived(node({ virtualIps: ['vip.local'] })),
      'virtualIps[0]',
      /IPv4/,
    ],
    [
      'a VIP with a bad prefix',
      () => renderKeepalived(node({ virtualIps: ['192.0.2.1/33'] })),
      'virtualIps[0]',
      /prefix must be 1-32/,
    ],
    [
      'a VIP with a bad octet',
      () => renderKeepalived(node({ virtualIps: ['192.0.2.256'] })),
      'virtualIps[0]',
      /IPv4/,
    ],
    ['no VIP', () => renderKeepalived(node({ virtualIps: [] })), 'virtualIps', /at least one/],
    [
      'a VIP twice',
      () => renderKeepalived(node({ virtualIps: ['192.0.2.1', '192.0.2.1/32'] })),
      'virtualIps',
      /twice/,
    ],
    [
      'unicast without peers',
      () => renderKeepalived(node({ unicast: { sourceIp: '192.0.2.10', peers: [] } })),
      'unicast.peers',
      /at least one peer/,
    ],
    [
      'a unicast peer that is the node itself',
      () => renderKeepalived(node({ unicast: { sourceIp: '192.0.2.10', peers: ['192.0.2.10'] } })),
      'unicast.peers[0]',
      /own sourceIp/,
    ],
    [
      'a unicast source with an injected line',
      () => renderKeepalived(node({ unicast: { sourceIp: '192.0.2.10\n}', peers: ['192.0.2.11'] } })),
      'unicast.sourceIp',
      /IPv4/,
    ],
    [
      'nopreempt with a weighted check',
      () => renderKeepalived(node({ check: { nginxPidFile: '/run/nginx.pid', weight: -50 } })),
      'check.weight',
      /must be 0 with nopreempt/,
    ],
    [
      'a start as MASTER with a preempt delay',
      () =>
        renderKeepalived(node({ preemption: { mode: 'preempt', initialState: 'MASTER', delaySeconds: 5 } })),
      'preemption.delaySeconds',
      /ignores preempt_delay/,
    ],
    [
      'a preempt delay over 1000 s',
      () => renderKeepalived(node({ preemption: { mode: 'preempt', delaySeconds: 1001 } })),
      'preemption.delaySeconds',
      /from 0 to 1000/,
    ],
    [
      'a check weight of 254',
      () =>
        renderKeepalived(
          node({ preemption: { mode: 'preempt' }, check: { nginxPidFile: '/run/n.pid', weight: 254 } }),
        ),
      'check.weight',
      /-253 to 253/,
    ],
    [
      'a relative pid file',
      () => renderKeepalived(node({ check: { nginxPidFile: 'logs/nginx.pid' } })),
      'check.nginxPidFile',
      /absolute path/,
    ],
    [
      'a pid file with ..',
      () => renderKeepalived(node({ check: { nginxPidFile: '/run/../etc/shadow' } })),
      'check.nginxPidFile',
      /\.\. parts/,
    ],
    [
      'a pid file with a quote',
      () => renderKeepalived(node({ check: { nginxPidFile: '/run/x" ; y' } })),
      'check.nginxPidFile',
      /absolute path/,
    ],
    [
      'a check interval of 0',
      () => renderKeepalived(node({ check: { nginxPidFile: '/run/n.pid', intervalSeconds: 0 } })),
      'check.intervalSeconds',
      /from 1 to 60/,
    ],
    [
      'a fall of 11',
      () => renderKeepalived(node({ check: { nginxPidFile: '/run/n.pid', fall: 11 } })),
      'check.fall',
      /from 1 to 10/,
    ],
    [
      'a notify script with a space',
      () => renderKeepalived(node({ notify: { ...notify, script: '/usr/bin/touch /etc/x' } })),
      'notify.script',
      /absolute path/,
    ],
    [
      'a state file with a newline',
      () => renderKeepalived(node({ notify: { ...notify, stateFile: '/tmp/x\n}' } })),
      'notify.stateFile',
      /absolute path/,
    ],
    [
      'an unknown preemption mode',
      () => renderKeepalived(node({ preemption: { mode: 'sometimes' } as never })),
      'preemption.mode',
      /"nopreempt" or "preempt"/,
    ],
    [
      'a gateway of one node',
      () => renderKeepalivedGateway(gateway({ nodes: gateway().nodes.slice(0, 1) })),
      'nodes',
      /at least 2 nodes/,
    ],
    [
      'two nodes with one priority',
      () =>
        renderKeepalivedGateway(
          gateway({
            nodes: [
              ...gateway().nodes.slice(0, 2),
              { name: 'gw-c', interface: 'eth0', priority: 150, address: '192.0.2.12' },
            ],
          }),
        ),
      'nodes[2].priority',
      /also gw-a's/,
    ],
    [
      'two nodes with one name',
      () =>
        renderKeepalivedGateway(
          gateway({
            nodes: [
              ...gateway().nodes.slice(0, 2),
              { name: 'gw-a', interface: 'eth0', priority: 90, address: '192.0.2.12' },
            ],
          }),
        ),
      'nodes[2].name',
      /used twice/,
    ],
    [
      'a unicast node without an address',
      () =>
        renderKeepalivedGateway(
          gateway({
            nodes: [...gateway().nodes.slice(0, 2), { name: 'gw-c', interface: 'eth0', priority: 90 }],
          }),
        ),
      'nodes[2].address',
      /IPv4/,
    ],
    [
      'a weight too small to move the VIP',
      () =>
        renderKeepalivedGateway(
          gateway({ preemption: { mode: 'preempt' }, check: { nginxPidFile: '/run/n.pid', weight: -30 } }),
        ),
      'check.weight',
      /gw-a \(priority 150\) with a failing check still outranks gw-b \(priority 120\)/,
    ],
    [
      'a node priority out of range, with the node named',
      () =>
        renderKeepalivedGateway(
          gateway({
            nodes: [
              ...gateway().nodes.slice(0, 2),
              { name: 'gw-c', interface: 'eth0', priority: 300, address: '192.0.2.12' },
            ],
          }),
        ),
      'nodes[2].priority',
      /^nodes\[2\]\.priority must be an integer from 1 to 254/,
    ],
  ];

  for (const [what, render, field, message] of refused) {
    it(`refuses ${what}, naming ${field}`, () => {
      assert.throws(render, (err: unknown) => {
        assert.ok(err instanceof RenderError, String(err));
        assert.equal(err.field, field);
        assert.match(err.message, message);
        return true;
      });
    });
  }
});

describe('the scripts a node file runs', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gw-vrrp-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (argv: string[]): Promise<{ code: number; stderr: string }> =>
    new Promise((resolve) => {
      const [bin, ...args] = argv;
      execFile(bin ?? '', args, (err, _out, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr }),
      );
    });

  it('the notify script records the state the agent reports, replacing the file each time', async () => {
    const script = path.join(dir, 'berth-vrrp-notify');
    writeFileSync(script, vrrpNotifyScript());
    chmodSync(script, 0o755);
    const state = path.join(dir, 'state.json');
    assert.equal(await readVrrpState(state), null, 'no file yet');
    // As keepalived calls it: the configured arguments, then INSTANCE|GROUP NAME STATE PRIORITY.
    assert.equal((await run([script, state, 'INSTANCE', 'berth_gw', 'MASTER', '150'])).code, 0);
    const master = await readVrrpState(state);
    assert.equal(master?.state, 'MASTER');
    assert.equal(master?.holdsVip, true);
    assert.equal(master?.priority, 150);
    assert.equal(master?.instance, 'berth_gw');
    assert.ok(Math.abs(Date.parse(master?.at ?? '') - Date.now()) < 60_000);
    assert.equal((await run([script, state, 'INSTANCE', 'berth_gw', 'FAULT', '150'])).code, 0);
    assert.deepEqual(
      { state: (await readVrrpState(state))?.state, holdsVip: (await readVrrpState(state))?.holdsVip },
      { state: 'FAULT', holdsVip: false },
    );
    assert.equal((await run([script, state, 'GROUP', 'g1', 'MASTER', '0'])).code, 0);
    assert.equal(
      (await readVrrpState(state))?.state,
      'FAULT',
      'group events do not overwrite the instance state',
    );
    const bad = await run([script, state, 'INSTANCE', 'berth_gw', 'EVIL"}', '1']);
    assert.equal(bad.code, 2);
    assert.equal((await readVrrpState(state))?.state, 'FAULT');
    assert.deepEqual(readdirSync(dir).sort(), ['berth-vrrp-notify', 'state.json'], 'no temporary file left');
    // The package's own copy is executable, as the agent installs it.
    const shipped = new URL('../keepalived/berth-vrrp-notify', import.meta.url).pathname;
    assert.equal((await run([shipped, state, 'INSTANCE', 'berth_gw', 'BACKUP', '120'])).code, 0);
    assert.equal((await readVrrpState(state))?.holdsVip, false);
  });

  it('installs the notify script where keepalived will run it, and names what would stop it', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root: keepalived runs the scripts as root');
    const safe = mkdtempSync(path.join(tmpdir(), 'gw-vrrp-safe-'));
    try {
      const dest = path.join(safe, 'berth-vrrp-notify');
      await installVrrpNotifyScript(dest);
      assert.equal(statSync(dest).mode & 0o777, 0o755);
      assert.equal(await scriptSecurityProblem(dest), null);
      // keepalived judges the same path the same way when it is the check script (-t checks those).
      const asCheck = renderKeepalived(node()).replace(/script "[^"]*"/, `script "${dest}"`);
      assert.ok(asCheck.includes(`script "${dest}"`));
      const good = await validateKeepalived(asCheck, strict);
      assert.ok(good.ok, good.ok ? '' : good.message);

      chmodSync(safe, 0o777);
      assert.match((await scriptSecurityProblem(dest)) ?? '', /gw-vrrp-safe-\w+ is writable by everyone/);
      await assert.rejects(
        installVrrpNotifyScript(dest),
        /keepalived would not run the notify script .* is writable by everyone/,
      );
      const open = await validateKeepalived(asCheck, strict);
      assert.ok(!open.ok && /due to insecure/.test(open.message), 'keepalived -t agrees');
      chmodSync(safe, 0o1777);
      assert.equal(await scriptSecurityProblem(dest), null, 'a sticky directory is safe, as for keepalived');

      chmodSync(safe, 0o700);
      chownSync(dest, 65534, 65534);
      assert.match((await scriptSecurityProblem(dest)) ?? '', /owned by uid 65534, not root/);
      const owned = await validateKeepalived(asCheck, strict);
      assert.ok(!owned.ok && /due to insecure/.test(owned.message), 'keepalived -t agrees');
      assert.match((await scriptSecurityProblem(path.join(safe, 'missing'))) ?? '', /does not exist/);
    } finally {
      rmSync(safe, { recursive: true, force: true });
    }
  });

  it('reads only what the notify script writes', () => {
    const ok = '{"instance":"berth_gw","state":"BACKUP","priority":120,"at":"2026-12-06T12:00:00Z"}\n';
    assert.equal(parseVrrpState(ok)?.state, 'BACKUP');
    for (const t of [
      '',
      '{"instance":"berth_gw","state":"MAST',
      'null',
      '{"instance":"x y","state":"MASTER","priority":1,"at":"2026-12-06T12:00:00Z"}',
      '{"instance":"g","state":"LEADER","priority":1,"at":"2026-12-06T12:00:00Z"}',
    ]) {
      assert.equal(parseVrrpState(t), null, t);
    }
  });

  it('the Nginx check passes while the master runs and fails once it has stopped', async () => {
    const prefix = path.join(dir, 'nginx');
    mkdirSync(path.join(prefix, 'conf'), { recursive: true });
    mkdirSync(path.join(prefix, 'logs'));
    chmodSync(dir, 0o755);
    const conf = path.join(prefix, 'conf', 'nginx.conf');
    writeFileSync(
      conf,
      'daemon off;\nworker_processes 1;\npid logs/nginx.pid;\nerror_log logs/error.log;\nevents { worker_connections 16; }\n',
    );
    const pidFile = path.join(prefix, 'logs', 'nginx.pid');
    const argv = nginxCheckArgv(pidFile);
    assert.equal((await run(argv)).code, 1, 'no pid file: down');
    const proc = spawn('/usr/sbin/nginx', ['-p', `${prefix}/`, '-c', conf], { stdio: 'ignore' });
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    try {
      const deadline = Date.now() + 15_000;
      while (!existsSync(pidFile)) {
        assert.ok(Date.now() < deadline, 'nginx wrote no pid file within 15 s');
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal((await run(argv)).code, 0, 'running master: up');
    } finally {
      proc.kill('SIGTERM');
      await exited;
    }
    assert.equal((await run(argv)).code, 1, 'stopped: down');
    // A pid file left behind that names some other process is not Nginx.
    writeFileSync(pidFile, `${process.pid}\n`);
    assert.equal((await run(argv)).code, 1, 'a pid that is not nginx: down');
  });
});
