/**
 * `berth gateways` and `berth routes` against a real Berth (no local Nginx: the gateway is
 * created through the CLI and validated with the real `nginx -t`).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { platformCli } from './platform-support';

type Obj = Record<string, unknown>;

describe('berth gateways and routes', () => {
  const { dir, berth, json } = platformCli({
    dirPrefix: 'berth-cli-gw-',
    // the routes below render VM backends on 127.0.0.1 (no traffic): loopback needs the dev switch
    server: { BERTH_GATEWAY_LISTEN: 'off', BERTH_GATEWAY_ALLOW_LOOPBACK_BACKENDS: '1' },
    setup: 'project',
  });

  before(async () => {
    assert.equal((await berth(['domains', 'add', 'example.test', '--project', 'web'])).code, 0);
    assert.equal((await berth(['networks', 'add', '127.0.0.0/8', '--team', 'shop'])).code, 0);
  });

  it('creates a gateway and a node, and lists them', async () => {
    const bad = await berth(['gateways', 'create', 'edge', '--env', 'test', '--listen', '1.2.3.4:80;']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /listen/);
    const g = await json(['gateways', 'create', 'edge', '--env', 'test', '--listen', '127.0.0.1:18080']);
    assert.equal(g.appliedVersion, 1);
    const added = await json<{ token: string }>(['gateways', 'node-add', 'edge', 'n1']);
    assert.match(added.token, /^bgn_/);
    const nodes = await berth(['gateways', 'nodes', 'edge']);
    assert.match(nodes.out, /n1\s+offline/);
    const list = await berth(['gateways', 'list']);
    assert.match(list.out, /edge\s+test\s+127\.0\.0\.1:18080/);
  });

  it('creates, updates and lists routes with structured flags and -f', async () => {
    const created = await json<{ route: { spec: Obj }; gatewayVersion: { number: number } }>([
      'routes',
      'create',
      'api',
      '-p',
      'web',
      '--host',
      'api.example.test',
      '--vm',
      '127.0.0.1:9001:3',
      '--vm',
      '127.0.0.1:9002',
      '--header',
      'X-Team=shop',
      '--timeout',
      '30',
    ]);
    assert.deepEqual(created.route.spec.backends, {
      servers: [
        { address: '127.0.0.1:9001', weight: 3 },
        { address: '127.0.0.1:9002', weight: 1 },
      ],
    });
    assert.equal(created.gatewayVersion.number, 2);
    const inj = await berth([
      'routes',
      'create',
      'evil',
      '-p',
      'web',
      '--host',
      'x.example.test',
      '--vm',
      '127.0.0.1:1',
      '--header',
      'X-A=b;}include /etc/passwd',
    ]);
    assert.equal(inj.code, 1);
    assert.match(inj.err, /not allowed/);
    const file = path.join(dir, 'route.json');
    writeFileSync(
      file,
      JSON.stringify({ host: 'www.example.test', backends: { servers: [{ address: '127.0.0.1:9003' }] } }),
    );
    assert.equal((await berth(['routes', 'create', 'www', '-p', 'web', '-f', file])).code, 0);
    const upd = await json<{ route: { spec: { timeouts: Obj }; version: number } }>([
      'routes',
      'update',
      'api',
      '-p',
      'web',
      '--timeout',
      '60',
    ]);
    assert.deepEqual(upd.route.spec.timeouts, { readSeconds: 60 });
    assert.equal(upd.route.version, 2);
    const list = await berth(['routes', 'list', '-p', 'web']);
    assert.match(list.out, /api\s+api\.example\.test\s+127\.0\.0\.1:9001\*3 127\.0\.0\.1:9002\*1/);
    const rel = await berth(['routes', 'canary', 'api', '-p', 'web', '--percent', '10', '--to-release', '3']);
    assert.equal(rel.code, 1);
    assert.match(rel.err, /needs a route whose backend is a service/);
    const both = await berth([
      'routes',
      'canary',
      'api',
      '-p',
      'web',
      '--percent',
      '10',
      '--to-release',
      '3',
      '--to-service',
      'x',
    ]);
    assert.equal(both.code, 2);
    assert.match(both.err, /exactly one of --to-service NAME or --to-release N/);
  });

  it('lists versions, diffs and rolls back; rolls out to one node', async () => {
    const versions = await json<{ items: { number: number }[] }>(['gateways', 'versions', 'edge']);
    assert.deepEqual(
      versions.items.map((v) => v.number),
      [4, 3, 2, 1],
    );
    const diff = await berth(['gateways', 'diff', 'edge', '2', '4']);
    assert.match(diff.out, /proxy_read_timeout 60s/);
    const rb = await json<{ gatewayVersion: { number: number } }>(['gateways', 'rollback', 'edge', '2']);
    assert.equal(rb.gatewayVersion.number, 5);
    assert.equal(
      (await json<{ items: unknown[] }>(['routes', 'list', '-p', 'web'])).items.length,
      1,
      'www is gone again',
    );
    const out = await json<{ nodes: string[]; rolloutMode: string }>([
      'gateways',
      'rollout',
      'edge',
      '5',
      '--node',
      'n1',
    ]);
    assert.deepEqual(out.nodes, ['n1']);
    assert.equal(out.rolloutMode, 'staged');
    const missing = await berth(['gateways', 'rollout', 'edge', '5', '--node', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no node 'nope'/);
  });

  it('refuses to delete a gateway with routes, then deletes', async () => {
    const refused = await berth(['gateways', 'delete', 'edge']);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /still serves 1 route/);
    assert.equal((await berth(['routes', 'delete', 'api', '-p', 'web'])).code, 0);
    assert.equal((await berth(['gateways', 'delete', 'edge'])).code, 0);
    assert.doesNotMatch(
      (await berth(['gateways', 'list'])).out + (await berth(['gateways', 'list'])).err,
      /edge/,
    );
  });
});
