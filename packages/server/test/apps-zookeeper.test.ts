/**
 * The ZooKeeper template and the upgrade's pieces without an engine: the ensemble's members,
 * volumes and peers, the serving check, a member's role read from `srvr`, and the instance state
 * an upgrade record gives.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { resolveAppParams, serviceSpecSchema } from '@berth/shared';
import { findTemplate } from '../src/modules/apps/templates';
import { zookeeperRole } from '../src/modules/apps/templates/zookeeper';
import { instanceState } from '../src/modules/apps/apps.service';

const zk = findTemplate('zookeeper')!;

describe('zookeeper template', () => {
  it('makes three members with their own volumes, naming each other by service name', () => {
    const v = zk.versions.find((x) => x.version === '3.8')!;
    const { values, issues } = resolveAppParams(v.parameters, { members: '3', heapMiB: 64 });
    assert.deepEqual(issues, []);
    const o = v.objects({ name: 'coord', params: values, secrets: {} });
    assert.deepEqual(
      o.services.map((s) => s.name),
      ['coord-1', 'coord-2', 'coord-3'],
    );
    assert.deepEqual(
      o.volumes.map((x) => x.name),
      ['coord-1-data', 'coord-2-data', 'coord-3-data'],
    );
    for (const [i, s] of o.services.entries()) {
      const spec = serviceSpecSchema.parse(s.spec);
      const env = Object.fromEntries(spec.env.map((e) => [e.name, e.value]));
      assert.equal(env.ZOO_MY_ID, String(i + 1));
      assert.equal(
        env.ZOO_SERVERS,
        'server.1=coord-1:2888:3888;2181 server.2=coord-2:2888:3888;2181 server.3=coord-3:2888:3888;2181',
      );
      assert.deepEqual(spec.mounts, [{ volume: `coord-${i + 1}-data`, path: '/data' }]);
      assert.equal(spec.replicas, 1);
      // ready means serving: an exec check of srvr's Mode, not a TCP port
      assert.equal(spec.readiness?.type, 'exec');
      assert.match((spec.readiness?.command ?? []).join(' '), /srvr.*Mode: \(leader\|follower\|standalone\)/);
      assert.equal(spec.resources.memoryMiB, 64 + 192);
    }
  });

  it('a single node has no peers; 2 members are refused at params.members', () => {
    const v = zk.versions.find((x) => x.version === zk.latest)!;
    const { values } = resolveAppParams(v.parameters, {});
    const o = v.objects({ name: 'solo', params: values, secrets: {} });
    assert.deepEqual(
      o.services.map((s) => s.name),
      ['solo'],
    );
    const env = serviceSpecSchema.parse(o.services[0]!.spec).env.map((e) => e.name);
    assert.ok(!env.includes('ZOO_SERVERS') && !env.includes('ZOO_MY_ID'));
    assert.deepEqual(
      resolveAppParams(v.parameters, { members: '2' }).issues.map((i) => i.path),
      ['params.members'],
    );
  });

  it('3.8-2 differs from 3.8 in the JVM and the four-letter words, and is the latest', () => {
    const env = (version: string) => {
      const v = zk.versions.find((x) => x.version === version)!;
      const { values } = resolveAppParams(v.parameters, {});
      const spec = serviceSpecSchema.parse(
        v.objects({ name: 'z', params: values, secrets: {} }).services[0]!.spec,
      );
      return Object.fromEntries(spec.env.map((e) => [e.name, e.value]));
    };
    assert.deepEqual(
      zk.versions.map((x) => x.version),
      ['3.8', '3.8-2'],
    );
    assert.equal(zk.latest, '3.8-2');
    assert.equal(env('3.8').JAVA_TOOL_OPTIONS, undefined);
    assert.equal(env('3.8-2').JAVA_TOOL_OPTIONS, '-XX:+UseSerialGC');
    assert.ok(env('3.8-2').ZOO_4LW_COMMANDS!.split(',').includes('conf'));
    assert.ok(!env('3.8').ZOO_4LW_COMMANDS!.split(',').includes('conf'));
    assert.equal(zk.versions[0]!.passwordRotation, false);
    assert.deepEqual(zk.versions[0]!.creates.secrets, []);
  });

  it("reads a member's role from srvr, null when it is not serving", async () => {
    const answers = [
      'Zookeeper version: 3.8.0\nLatency min/avg/max: 0/0/0\nMode: follower\nNode count: 5\n',
      'This ZooKeeper instance is not currently serving requests\n',
    ];
    const server = createServer((socket) => {
      socket.once('data', (d) => {
        assert.equal(d.toString(), 'srvr');
        socket.end(answers.shift() ?? '');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      assert.equal(await zookeeperRole({ host: '127.0.0.1', port }), 'follower');
      assert.equal(await zookeeperRole({ host: '127.0.0.1', port }), null);
    } finally {
      server.close();
    }
    // nothing listening
    assert.equal(await zookeeperRole({ host: '127.0.0.1', port }), null);
  });
});

describe('instance state during an upgrade', () => {
  const healthy = [{ service: 'z-1', ready: 1, desired: 1, status: 'healthy' }];
  const record = (state: string) => JSON.stringify({ state });
  it('is upgrading while it runs, failed when it stopped, running again when done', () => {
    assert.equal(instanceState({ deleting: 0, upgrade: record('running') }, healthy, []), 'upgrading');
    assert.equal(instanceState({ deleting: 0, upgrade: record('failed') }, healthy, []), 'failed');
    assert.equal(instanceState({ deleting: 0, upgrade: record('done') }, healthy, []), 'running');
    assert.equal(instanceState({ deleting: 1, upgrade: record('running') }, healthy, []), 'deleting');
  });
});
