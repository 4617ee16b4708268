import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../src/main';
import { fakeServer, json, testIo } from './test-support';

const path = '/api/v1/projects/shop/envs/prod/services/web/manifests';
const answer = {
  cluster: 'k8s-a',
  namespace: 'shop-prod-1a2b3c4d',
  yaml: '---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop-prod-1a2b3c4d\n',
  objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop-prod-1a2b3c4d' } }],
};

test('berth services manifests prints the YAML for the cluster asked, or the JSON with -o json', async (t) => {
  const server = await fakeServer({ [`GET ${path}`]: (_req, res) => json(res, 200, answer) });
  t.after(() => server.close());
  const io = testIo({ BERTH_URL: server.url, BERTH_TOKEN: 'tok' });
  const args = ['services', 'manifests', 'web', '-p', 'shop', '-e', 'prod', '--cluster', 'k8s-a'];
  assert.equal(await run(args, io), 0, io.stderr.text);
  assert.equal(io.stdout.text, answer.yaml);
  assert.equal(new URL(server.received[0]!.url, server.url).searchParams.get('cluster'), 'k8s-a');
  const asJson = testIo({ BERTH_URL: server.url, BERTH_TOKEN: 'tok' });
  assert.equal(await run([...args, '-o', 'json'], asJson), 0, asJson.stderr.text);
  assert.equal((JSON.parse(asJson.stdout.text) as typeof answer).namespace, answer.namespace);
});

test('berth services manifests without --cluster is a usage error and asks nothing', async (t) => {
  const server = await fakeServer({});
  t.after(() => server.close());
  const io = testIo({ BERTH_URL: server.url, BERTH_TOKEN: 'tok' });
  assert.notEqual(await run(['services', 'manifests', 'web', '-p', 'shop', '-e', 'prod'], io), 0);
  assert.match(io.stderr.text, /--cluster is required/);
  assert.equal(server.received.length, 0);
});
