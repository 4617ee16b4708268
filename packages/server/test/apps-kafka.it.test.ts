/**
 * Kafka (KRaft) in the app store (docs/apps.md, "Kafka"): always the template's shape — member
 * names, node ids, quorum voters, listeners, the cluster id generated once and kept, the image
 * from the platform's configuration — and the API's 422 without a configured image. With
 * BERTH_TEST_KAFKA_IMAGE (an apache/kafka 3.7+ image in the local store) a 3-member cluster is
 * installed and kcat produces and consumes through it from inside the environment's network;
 * without it that test is reported as skipped.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolveAppParams, serviceSpecSchema } from '@berth/shared';
import { kafkaClusterId, kafkaTemplate } from '../src/modules/apps/templates/kafka';
import { eventually, makeProject, startPlatform, type TestPlatform } from './helpers/platform';

type Obj = Record<string, unknown>;
const v = kafkaTemplate.versions[0]!;
const envOf = (spec: { env?: { name: string; value?: string | null }[] }) =>
  Object.fromEntries((spec.env ?? []).map((e) => [e.name, e.value]));

describe('app store: the Kafka template', () => {
  it('makes members {name}-1..3, each a broker and controller voting in one quorum', () => {
    const { values } = resolveAppParams(v.parameters, { members: '3' });
    const objects = v.objects({
      name: 'events',
      params: values,
      secrets: { clusterId: 'abc' },
      image: 'mirror/kafka:3.7.0',
    });
    assert.deepEqual(
      objects.services.map((s) => s.name),
      ['events-1', 'events-2', 'events-3'],
    );
    assert.deepEqual(
      objects.volumes.map((x) => x.name),
      ['events-1-data', 'events-2-data', 'events-3-data'],
    );
    const envs = objects.services.map((s) => envOf(serviceSpecSchema.parse(s.spec)));
    assert.deepEqual(
      envs.map((e) => e.KAFKA_NODE_ID),
      ['1', '2', '3'],
    );
    for (const [i, e] of envs.entries()) {
      assert.equal(e.KAFKA_PROCESS_ROLES, 'broker,controller');
      assert.equal(e.KAFKA_CONTROLLER_QUORUM_VOTERS, '1@events-1:9093,2@events-2:9093,3@events-3:9093');
      assert.equal(e.KAFKA_LISTENERS, 'PLAINTEXT://:9092,CONTROLLER://:9093');
      assert.equal(e.KAFKA_ADVERTISED_LISTENERS, `PLAINTEXT://events-${i + 1}:9092`);
      assert.equal(e.KAFKA_CONTROLLER_LISTENER_NAMES, 'CONTROLLER');
      assert.equal(e.CLUSTER_ID, 'abc');
      assert.equal(e.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR, '3');
      assert.equal(e.KAFKA_MIN_INSYNC_REPLICAS, '2');
    }
    const spec = serviceSpecSchema.parse(objects.services[0]!.spec);
    assert.equal(spec.image, 'mirror/kafka:3.7.0');
    assert.deepEqual(spec.mounts, [{ volume: 'events-1-data', path: '/var/lib/kafka/data' }]);
    // one member: a quorum of one, internal topics not replicated
    const single = v.objects({
      name: 'solo',
      params: resolveAppParams(v.parameters, {}).values,
      secrets: { clusterId: 'x' },
      image: 'i',
    });
    assert.deepEqual(
      single.services.map((s) => s.name),
      ['solo-1'],
    );
    const e1 = envOf(serviceSpecSchema.parse(single.services[0]!.spec));
    assert.equal(e1.KAFKA_CONTROLLER_QUORUM_VOTERS, '1@solo-1:9093');
    assert.equal(e1.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR, '1');
    // the cluster id Kafka accepts: 16 bytes, base64url, 22 characters
    const id = kafkaClusterId();
    assert.match(id, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(Buffer.from(id, 'base64url').length, 16);
    assert.equal(typeof v.generated?.clusterId, 'function');
  });

  it('refuses 2 members and names the allowed counts', () => {
    const { issues } = resolveAppParams(v.parameters, { members: '2' });
    assert.deepEqual(issues, [{ path: 'params.members', message: 'must be one of 1, 3' }]);
  });
});

describe('app store: Kafka through the API', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startPlatform();
    await makeProject(p.api, 'stream');
  });
  after(async () => {
    await p?.close();
  });

  it('shows Kafka with the image setting and a note, and answers 422 saying how to configure the image', async () => {
    const app = await p.api.get<{ versions: (Obj & { notes: { en: string }[] })[] }>('/api/v1/apps/kafka');
    assert.equal(app.status, 200, JSON.stringify(app.body));
    const ver = app.body.versions[0]!;
    assert.equal(ver.image, '');
    assert.equal(ver.imageSetting, 'BERTH_APPS_KAFKA_IMAGE');
    assert.ok(ver.notes.some((n) => n.en.includes('BERTH_APPS_KAFKA_IMAGE')));
    const r = await p.api.post<{ error: { message: string; details: { fields: { path: string }[] } } }>(
      '/api/v1/projects/stream/envs/test/app-instances',
      { app: 'kafka', name: 'events', params: { members: '3' } },
    );
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.match(r.body.error.message, /BERTH_APPS_KAFKA_IMAGE/);
    assert.deepEqual(
      r.body.error.details.fields.map((f) => f.path),
      ['app'],
    );
    // nothing was made
    assert.equal((await p.api.get('/api/v1/projects/stream/envs/test/services/events-1')).status, 404);
  });
});

describe('app store: a 3-member Kafka cluster', () => {
  const image = process.env.BERTH_TEST_KAFKA_IMAGE;
  let p: TestPlatform | undefined;
  after(async () => {
    if (!p) return;
    for (const vol of (await p.engine.listVolumes({ 'berth.instance': p.instanceId }).catch(() => [])) ?? [])
      await p.engine.removeVolume(vol.name).catch(() => undefined);
    await p.close();
  });

  it('produces and consumes with kcat through the bootstrap servers', async (t) => {
    if (!image)
      return t.skip('BERTH_TEST_KAFKA_IMAGE is not set (an apache/kafka 3.7+ image in the local store)');
    p = await startPlatform({ BERTH_APPS_KAFKA_IMAGE: image });
    await makeProject(p.api, 'stream');
    const cls = await p.api.put('/api/v1/volume-classes/local', { kind: 'local' });
    assert.equal(cls.status, 200, JSON.stringify(cls.body));
    const base = '/api/v1/projects/stream/envs/test/app-instances';
    const made = await p.api.post<Obj>(base, { app: 'kafka', name: 'events', params: { members: '3' } });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const up = await eventually(
      async () => {
        const r = await p!.api.get<Obj & { state: string; connection: { connectString?: string } }>(
          `${base}/events`,
        );
        if (r.body.state === 'failed') throw new Error(`instance failed: ${JSON.stringify(r.body)}`);
        return r.body.state === 'running' ? r.body : null;
      },
      'events running',
      300_000,
      1000,
    );
    assert.equal(up.connection.connectString, 'events-1:9092,events-2:9092,events-3:9092');
    // the members advertise their service names, so kcat runs inside the env's network: the host's
    // kcat (scripts/setup-host.sh --test) with the host's /usr, in a container of the Debian base
    const network = (
      await p.engine.listNetworks?.({
        'berth.instance': p.instanceId,
        'berth.project': 'stream',
        'berth.env': 'test',
      })
    )?.[0]?.name;
    assert.ok(network, 'the environment network');
    const kcat = (args: string[], input?: string) =>
      spawnSync(
        'podman',
        [
          '--url',
          `unix://${process.env.BERTH_TEST_PODMAN_SOCKET}`,
          'run',
          '--rm',
          '-i',
          '--network',
          network,
          '-v',
          '/usr:/usr:ro',
          'localhost/berth-apps/debian:12',
          'kcat',
          ...args,
        ],
        { encoding: 'utf8', timeout: 60_000, ...(input ? { input } : {}) },
      );
    await eventually(
      () =>
        Promise.resolve(
          kcat(['-b', up.connection.connectString!, '-t', 'orders', '-P'], 'one\ntwo\n').status === 0,
        ),
      'kcat produced',
      120_000,
      2000,
    );
    const consumed = kcat([
      '-b',
      up.connection.connectString,
      '-t',
      'orders',
      '-C',
      '-o',
      'beginning',
      '-e',
      '-q',
    ]);
    assert.equal(consumed.stdout.trim(), 'one\ntwo');
  });
});
