import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { GatewayAgentConfig } from '@berth/shared';
import { adaptConfig, parseNodesFile, runAgentCli } from '../src/agent';
import { AgentKeepalived, keepalivedRenderedPaths, renderKeepalivedGateway } from '../src/index';
import { hostInterface } from './host-interface';

const cfg = {
  listen: '0.0.0.0:80',
  tlsListen: null,
  certDir: '/var/lib/berth/gateway/certs',
  files: {
    'nginx.conf': [
      'daemon off;',
      'worker_processes 4;',
      'http {',
      '  server {',
      '    listen 0.0.0.0:80 default_server;',
      '  }',
      '}',
    ].join('\n'),
    'upstreams.conf': '',
  },
} as unknown as GatewayAgentConfig;

describe('berth-gateway-agent: several nodes per process', () => {
  it('rewrites worker_processes and the listener per node, and nothing else', () => {
    const out = adaptConfig(cfg, {
      server: 'http://b',
      token: 't',
      prefix: '/srv/n1',
      nginxListen: '127.0.0.1:8001',
      workerProcesses: 1,
    });
    assert.match(out, /^worker_processes 1;$/m);
    assert.match(out, /^    listen 127\.0\.0\.1:8001 default_server;$/m);
    assert.equal(out.split('\n').length, 7);
    // without the option the gateway's setting stays
    assert.match(
      adaptConfig(cfg, { server: 'http://b', token: 't', prefix: '/srv/n1' }),
      /^worker_processes 4;$/m,
    );
  });

  it('reads a nodes file and refuses what would make two nodes collide, naming the entry', () => {
    const nodes = parseNodesFile(
      JSON.stringify([
        { name: 'n1', token: 'a', prefix: '/srv/n1', nginxListen: '127.0.0.1:8001' },
        { name: 'n2', token: 'b', prefix: '/srv/n2/', certDir: '/srv/certs' },
      ]),
      'nodes.json',
    );
    assert.deepEqual(nodes, [
      { name: 'n1', token: 'a', prefix: '/srv/n1', nginxListen: '127.0.0.1:8001' },
      { name: 'n2', token: 'b', prefix: '/srv/n2', certDir: '/srv/certs' },
    ]);
    const bad: [unknown, RegExp][] = [
      [{}, /must be a JSON list of 1 to 500 nodes/],
      [[], /must be a JSON list of 1 to 500 nodes/],
      [[{ name: 'n1', prefix: '/a' }], /entry 0 \(n1\): token is required/],
      [[{ name: 'N 1', token: 't', prefix: '/a' }], /entry 0: name must be a label/],
      [[{ name: 'n1', token: 't', prefix: 'a' }], /prefix must be an absolute path/],
      [[{ name: 'n1', token: 't', prefix: '/a', port: 1 }], /entry 0: unknown field "port"/],
      [[{ name: 'n1', token: 't', prefix: '/a', nginxListen: 80 }], /nginxListen must be a non-empty string/],
      [
        [
          { name: 'n1', token: 't', prefix: '/a' },
          { name: 'n2', token: 't', prefix: '/a/' },
        ],
        /entry 1: prefix \/a is also used by nodes.json entry 0/,
      ],
      [
        [
          { name: 'n1', token: 't', prefix: '/a', nginxListen: '127.0.0.1:1' },
          { name: 'n2', token: 't', prefix: '/b', nginxTlsListen: '127.0.0.1:1' },
        ],
        /entry 1: listener 127.0.0.1:1 is also used/,
      ],
    ];
    for (const [data, re] of bad) assert.throws(() => parseNodesFile(JSON.stringify(data), 'nodes.json'), re);
    assert.throws(() => parseNodesFile('{', 'nodes.json'), /nodes.json is not JSON/);
  });

  it('takes a metrics listener per node, renders it with the node’s name, and refuses 0.0.0.0', () => {
    const metricsCfg = {
      ...cfg,
      node: 'n1',
      metricsListen: '127.0.0.1:7082',
      files: {
        'nginx.conf': [
          'http {',
          '  server {',
          '    listen 127.0.0.1:7082;',
          '      local node = ngx.var.hostname',
          '  }',
          '}',
        ].join('\n'),
        'upstreams.conf': '',
      },
    } as unknown as GatewayAgentConfig;
    const out = adaptConfig(metricsCfg, {
      server: 'http://b',
      token: 't',
      prefix: '/n1',
      metricsListen: '10.0.0.5:9100',
    });
    assert.match(out, /^    listen 10\.0\.0\.5:9100;$/m);
    assert.match(out, /^      local node = "n1"$/m);
    // without the option the gateway's loopback listener stays
    assert.match(
      adaptConfig(metricsCfg, { server: 'http://b', token: 't', prefix: '/n1' }),
      /^    listen 127\.0\.0\.1:7082;$/m,
    );
    const nodes = parseNodesFile(
      JSON.stringify([
        { name: 'n1', token: 'a', prefix: '/srv/n1', metricsListen: '10.0.0.5:9100' },
        { name: 'n2', token: 'b', prefix: '/srv/n2', metricsListen: '10.0.0.5:9101' },
      ]),
      'nodes.json',
    );
    assert.deepEqual(
      nodes.map((n) => n.metricsListen),
      ['10.0.0.5:9100', '10.0.0.5:9101'],
    );
    const bad: [unknown, RegExp][] = [
      [
        [{ name: 'n1', token: 't', prefix: '/a', metricsListen: '0.0.0.0:9100' }],
        /entry 0 \(n1\): metricsListen 0\.0\.0\.0:9100 must name one address of the node, not 0\.0\.0\.0/,
      ],
      [
        [{ name: 'n1', token: 't', prefix: '/a', metricsListen: '9100' }],
        /metricsListen 9100 must be HOST:PORT/,
      ],
      // Berth fences the listener by its address: a host name would leave it open to routes
      [
        [{ name: 'n1', token: 't', prefix: '/a', metricsListen: 'edge-1.lan:9100' }],
        /metricsListen edge-1\.lan:9100 must be an IPv4 address/,
      ],
      [
        [
          { name: 'n1', token: 't', prefix: '/a', metricsListen: '10.0.0.5:1' },
          { name: 'n2', token: 't', prefix: '/b', nginxListen: '10.0.0.5:1' },
        ],
        /entry 1: listener 10.0.0.5:1 is also used/,
      ],
    ];
    for (const [data, re] of bad) assert.throws(() => parseNodesFile(JSON.stringify(data), 'nodes.json'), re);
  });

  it('reads each node’s keepalived files, with a state file of its own by default', () => {
    const nodes = parseNodesFile(
      JSON.stringify([
        {
          name: 'n1',
          token: 'a',
          prefix: '/srv/n1',
          keepalivedConf: '/etc/berth/keepalived/n1.conf',
          keepalivedPidFile: '/run/berth-keepalived/n1.pid',
          keepalivedNotifyScript: '/usr/local/lib/berth/berth-vrrp-notify',
        },
        {
          name: 'n2',
          token: 'b',
          prefix: '/srv/n2',
          keepalivedConf: '/etc/berth/keepalived/n2.conf',
          keepalivedStateFile: '/var/lib/berth/n2-vrrp.json',
          // one notify script serves every node
          keepalivedNotifyScript: '/usr/local/lib/berth/berth-vrrp-notify',
        },
        { name: 'n3', token: 'c', prefix: '/srv/n3' },
      ]),
      'nodes.json',
    );
    assert.deepEqual(
      nodes.map((n) => n.keepalived),
      [
        {
          confFile: '/etc/berth/keepalived/n1.conf',
          stateFile: '/etc/berth/keepalived/berth-vrrp-state.n1.json',
          pidFile: '/run/berth-keepalived/n1.pid',
          notifyScript: '/usr/local/lib/berth/berth-vrrp-notify',
        },
        {
          confFile: '/etc/berth/keepalived/n2.conf',
          stateFile: '/var/lib/berth/n2-vrrp.json',
          notifyScript: '/usr/local/lib/berth/berth-vrrp-notify',
        },
        undefined,
      ],
    );
    const node = (over: Record<string, unknown>) => ({ name: 'n1', token: 't', prefix: '/a', ...over });
    const bad: [unknown[], RegExp][] = [
      [
        [node({ keepalivedConf: 'keepalived.conf' })],
        /nodes\.json entry 0 \(n1\): keepalivedConf must be an absolute path/,
      ],
      [
        [node({ keepalivedConf: '/etc/k.conf', keepalivedStateFile: '/var/lib/../x.json' })],
        /entry 0 \(n1\): keepalivedStateFile must be an absolute path .*no \. or \.\. parts/,
      ],
      [
        [node({ keepalivedConf: '/etc/k.conf', keepalivedNotifyScript: '/bin/x;reboot' })],
        /entry 0 \(n1\): keepalivedNotifyScript must be an absolute path/,
      ],
      [[node({ keepalivedConf: 7 })], /entry 0: keepalivedConf must be a non-empty string/],
      [
        [node({ keepalivedPidFile: '/run/k.pid' })],
        /entry 0 \(n1\): keepalivedPidFile without keepalivedConf: give keepalivedConf/,
      ],
      [[node({ keepalivedconf: '/etc/k.conf' })], /entry 0: unknown field "keepalivedconf"/],
      [
        [
          node({ keepalivedConf: '/etc/k.conf' }),
          node({ name: 'n2', prefix: '/b', keepalivedConf: '/etc/k.conf' }),
        ],
        /nodes\.json entry 1: keepalived file \/etc\/k\.conf is also used by nodes\.json entry 0$/,
      ],
      [
        [
          node({ keepalivedConf: '/etc/a.conf', keepalivedStateFile: '/var/s.json' }),
          node({
            name: 'n2',
            prefix: '/b',
            keepalivedConf: '/etc/b.conf',
            keepalivedStateFile: '/var/s.json',
          }),
        ],
        /entry 1: keepalived file \/var\/s\.json is also used by nodes\.json entry 0/,
      ],
      [
        [
          node({ keepalivedConf: '/etc/a.conf', keepalivedPidFile: '/run/k.pid' }),
          node({ name: 'n2', prefix: '/b', keepalivedConf: '/etc/b.conf', keepalivedPidFile: '/run/k.pid' }),
        ],
        /entry 1: keepalived file \/run\/k\.pid is also used by nodes\.json entry 0/,
      ],
    ];
    for (const [data, re] of bad) assert.throws(() => parseNodesFile(JSON.stringify(data), 'nodes.json'), re);
  });

  it('refuses the single-node keepalived flags beside a nodes file, and the others without --keepalived-conf', async () => {
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (chunk: string | Uint8Array) => {
      errors.push(String(chunk));
      return true;
    };
    try {
      const beside = await runAgentCli(
        [
          '--server',
          'http://127.0.0.1:9',
          '--nodes-file',
          '/nonexistent.json',
          '--keepalived-conf',
          '/etc/k.conf',
        ],
        {},
      );
      const alone = await runAgentCli(
        [
          '--server',
          'http://127.0.0.1:9',
          '--token',
          't',
          '--prefix',
          '/srv/n1',
          '--keepalived-pid-file',
          '/run/k.pid',
        ],
        {},
      );
      assert.deepEqual([beside, alone], [2, 2]);
    } finally {
      process.stderr.write = write;
    }
    assert.match(errors[0] ?? '', /--nodes-file sets --keepalived-conf per node: give them in the file/);
    assert.match(
      errors[1] ?? '',
      /--keepalived-pid-file without --keepalived-conf: give --keepalived-conf FILE too/,
    );
  });
});

describe('berth-gateway-agent: keepalived per node of a nodes file', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'berth-agent-nodes-vip-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const iface = hostInterface();

  it('installs each node’s own file (accepted by keepalived -t) and reads each node’s own state', async () => {
    // two nodes whose configurations share a directory, as scripts/setup-gateway-node.sh lays them out
    const nodes = parseNodesFile(
      JSON.stringify(
        ['n1', 'n2'].map((name) => ({
          name,
          token: `t-${name}`,
          prefix: path.join(root, name),
          keepalivedConf: path.join(root, 'keepalived', `${name}.conf`),
          keepalivedNotifyScript: path.join(root, 'bin', 'berth-vrrp-notify'),
        })),
      ),
      'nodes.json',
    );
    const files = renderKeepalivedGateway({
      instance: 'berth_edge',
      virtualRouterId: 51,
      preemption: { mode: 'nopreempt' },
      authPass: 'k33pal1v',
      unicast: false,
      virtualIps: ['192.0.2.100/24'],
      check: { nginxPidFile: keepalivedRenderedPaths.nginxPidFile },
      notify: { script: keepalivedRenderedPaths.notifyScript, stateFile: keepalivedRenderedPaths.stateFile },
      nodes: nodes.map((n, i) => ({ name: n.name, interface: iface, priority: 150 - 50 * i })),
    });
    // what GatewayAgent does with a node's keepalived options
    const vips = nodes.map(
      (n) =>
        new AgentKeepalived(
          { ...n.keepalived!, nginxPidFile: path.join(n.prefix, 'logs', 'nginx.pid') },
          () => {},
        ),
    );
    for (const [i, k] of vips.entries()) {
      const n = nodes[i]!;
      assert.deepEqual(await k.prepare(files.find((f) => f.node === n.name)!.text), { ok: true });
      await k.install();
      const text = readFileSync(n.keepalived!.confFile, 'utf8');
      assert.match(text, new RegExp(`^  priority ${150 - 50 * i}$`, 'm'));
      assert.ok(text.includes(`-F ${path.join(n.prefix, 'logs', 'nginx.pid')} -x nginx"`), text);
      assert.ok(
        text.includes(
          `notify "${k.notifyScript} ${path.join(root, 'keepalived', `berth-vrrp-state.${n.name}.json`)}"`,
        ),
        text,
      );
    }
    // keepalived runs the notify script with each node's own state file
    const run = promisify(execFile);
    await run(vips[0]!.notifyScript, [vips[0]!.stateFile, 'INSTANCE', 'berth_edge', 'MASTER', '150']);
    await run(vips[1]!.notifyScript, [vips[1]!.stateFile, 'INSTANCE', 'berth_edge', 'BACKUP', '100']);
    assert.deepEqual(
      (await Promise.all(vips.map((k) => k.state()))).map((s) => [s?.state, s?.holdsVip]),
      [
        ['MASTER', true],
        ['BACKUP', false],
      ],
    );
    // a file keepalived -t refuses (an interface this machine lacks) fails that node only
    const broken = files[1]!.text.replace(`interface ${iface}\n`, 'interface nosuchif0\n');
    const r = await vips[1]!.prepare(broken);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.message : '', /^keepalived -t refused keepalived\.conf: /);
    assert.match(readFileSync(nodes[1]!.keepalived!.confFile, 'utf8'), /^  interface /m);
    assert.ok(!readFileSync(nodes[1]!.keepalived!.confFile, 'utf8').includes('nosuchif0'));
  });
});
