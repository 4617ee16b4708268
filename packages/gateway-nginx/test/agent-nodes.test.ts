import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { GatewayAgentConfig } from '@berth/shared';
import { adaptConfig, parseNodesFile } from '../src/agent';

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
});
