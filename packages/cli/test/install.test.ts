import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { installDefaults, installManifests } from '@berth/engine-kubernetes';
import { run } from '../src/main';
import { fakeServer, json, testIo } from './test-support';

type Obj = Record<string, unknown>;

test('berth install manifests prints the install as YAML documents, each RBAC rule with its reason', async () => {
  const io = testIo({});
  const code = await run(
    [
      'install',
      'manifests',
      '--namespace',
      'platform',
      '--image',
      'registry.example.net/berth:0.1.0',
      '--agent-nodes',
      'edge=yes',
    ],
    io,
  );
  assert.equal(code, 0, io.stderr.text);
  assert.equal(io.stderr.text, '');
  const docs = parseAllDocuments(io.stdout.text).map((d) => d.toJS() as Obj);
  assert.deepEqual(
    docs,
    installManifests({
      namespace: 'platform',
      image: 'registry.example.net/berth:0.1.0',
      agentNodes: 'edge=yes',
    }),
  );
  assert.match(io.stdout.text, /^# Berth in a Kubernetes cluster/);
  assert.match(io.stdout.text, /# the web shell and exec health checks: pods\/exec/);
  const deployment = docs.find((d) => d.kind === 'Deployment');
  assert.ok(deployment);
  assert.equal(deployment.metadata.namespace, 'platform');
});

test('berth install manifests -o json prints one v1 List of the same objects', async () => {
  const io = testIo({});
  assert.equal(await run(['install', 'manifests', '-o', 'json'], io), 0, io.stderr.text);
  assert.deepEqual(JSON.parse(io.stdout.text), { apiVersion: 'v1', kind: 'List', items: installManifests() });
});

test('berth install manifests refuses a bad option naming it, and prints nothing', async () => {
  for (const [args, message] of [
    [['--agent-nodes', 'edge'], /--agent-nodes "edge": write LABEL=VALUE/],
    [['--namespace', 'Berth_1'], /--namespace "Berth_1"/],
    [['--replicas', '0'], /--replicas/],
  ] as const) {
    const io = testIo({});
    assert.equal(await run(['install', 'manifests', ...args], io), 2, io.stderr.text);
    assert.match(io.stderr.text, message);
    assert.equal(io.stdout.text, '');
  }
});

test("the help of install manifests shows the install's own defaults", async () => {
  const io = testIo({});
  assert.equal(await run(['install', 'manifests', '--help'], io), 0);
  for (const v of [
    installDefaults.namespace,
    installDefaults.image,
    installDefaults.databaseSecret,
    installDefaults.agentNodes,
    installDefaults.agentListen,
  ])
    assert.ok(io.stdout.text.includes(`default ${v}`), v);
  const top = testIo({});
  assert.equal(await run(['--help'], top), 0);
  assert.match(top.stdout.text, /install manifests/);
});

test('berth clusters create --kind kubernetes sends the kubeconfig file, exposure and gateway CIDRs', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-cli-kube-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const kubeconfig = 'apiVersion: v1\nkind: Config\ncurrent-context: a\n';
  writeFileSync(path.join(dir, 'kubeconfig'), kubeconfig);
  const server = await fakeServer({
    'POST /api/v1/clusters': (req, res) =>
      json(res, 201, {
        ...(req.body as Obj),
        credentials: undefined,
        hasCredentials: true,
        labels: {},
        state: 'unknown',
        warnings: [],
      }),
  });
  t.after(() => server.close());
  const io = testIo({ BERTH_URL: server.url, BERTH_TOKEN: 'tok' });
  const code = await run(
    [
      'clusters',
      'create',
      'k8s-a',
      '--kind',
      'kubernetes',
      '--endpoint',
      'https://k8s.example.net:6443',
      '--kubeconfig',
      path.join(dir, 'kubeconfig'),
      '--exposure',
      'pod-ip',
      '--gateway-cidr',
      '10.0.8.0/24',
    ],
    io,
  );
  assert.equal(code, 0, io.stderr.text);
  assert.match(io.stdout.text, /cluster k8s-a added/);
  assert.deepEqual(server.received[0]?.body, {
    name: 'k8s-a',
    kind: 'kubernetes',
    endpoint: 'https://k8s.example.net:6443',
    credentials: { kubeconfig },
    labels: {},
    exposure: 'pod-ip',
    gatewayCidrs: ['10.0.8.0/24'],
  });
});

test('berth clusters add refuses a kubeconfig for a podman cluster before sending anything', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-cli-kube-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'kubeconfig'), 'apiVersion: v1\n');
  const server = await fakeServer({});
  t.after(() => server.close());
  const io = testIo({ BERTH_URL: server.url, BERTH_TOKEN: 'tok' });
  const code = await run(
    [
      'clusters',
      'add',
      'p1',
      '--endpoint',
      'unix:///run/podman/podman.sock',
      '--kubeconfig',
      path.join(dir, 'kubeconfig'),
    ],
    io,
  );
  assert.equal(code, 1);
  assert.match(io.stderr.text, /credentials\.kubeconfig: only for kind "kubernetes"/);
  assert.equal(server.received.length, 0);
});
