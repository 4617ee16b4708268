import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster } from '@berth/shared';
import { run } from '../src/main';
import { fakeServer, json, testIo } from './test-support';

const cluster: Cluster = {
  name: 'k8s-a',
  kind: 'kubernetes',
  endpoint: 'https://k8s.example.net:6443',
  labels: { dc: 'dc2' },
  publishAddress: '127.0.0.1',
  registry: null,
  exposure: 'pod-ip',
  gatewayCidrs: ['10.0.8.0/24'],
  namespacePrefix: 'dc2',
  engineVersion: 'v1.31.2',
  cordoned: false,
  draining: false,
  state: 'degraded',
  message: 'Kubernetes answers, but node n2: MemoryPressure.',
  latencyMs: 12,
  lastCheckedAt: '2026-12-06T22:00:00.000Z',
  capacity: null,
  registryCheck: null,
  hasCredentials: true,
  builtIn: false,
  createdAt: '2026-12-06T21:00:00.000Z',
  updatedAt: '2026-12-06T21:00:00.000Z',
  createdBy: 'admin',
  version: 2,
};

test('berth clusters get shows a kubernetes cluster: its version, exposure and gateway CIDRs, no publish address', async (t) => {
  const server = await fakeServer({ 'GET /api/v1/clusters/k8s-a': (_req, res) => json(res, 200, cluster) });
  t.after(() => server.close());
  const io = testIo({ BERTH_URL: server.url, BERTH_TOKEN: 'tok' });
  assert.equal(await run(['clusters', 'get', 'k8s-a'], io), 0, io.stderr.text);
  assert.match(io.stdout.text, /^kind:\s+kubernetes \(v1\.31\.2\)$/m);
  assert.match(io.stdout.text, /^endpoint:\s+https:\/\/k8s\.example\.net:6443 \(credentials set\)$/m);
  assert.match(io.stdout.text, /^exposure:\s+pod-ip \(gateways reach pod IPs\)$/m);
  assert.match(io.stdout.text, /^gateway CIDRs: 10\.0\.8\.0\/24$/m);
  assert.match(io.stdout.text, /^state:\s+degraded — Kubernetes answers, but node n2: MemoryPressure\.$/m);
  assert.doesNotMatch(io.stdout.text, /^publish:/m);
});

test('berth clusters update --exposure --no-gateway-cidrs sends a merge patch of just those', async (t) => {
  const server = await fakeServer({
    'PATCH /api/v1/clusters/k8s-a': (_req, res) =>
      json(res, 200, { ...cluster, exposure: 'node-port', gatewayCidrs: [], warnings: [] }),
  });
  t.after(() => server.close());
  const io = testIo({ BERTH_URL: server.url, BERTH_TOKEN: 'tok' });
  assert.equal(
    await run(['clusters', 'update', 'k8s-a', '--exposure', 'node-port', '--no-gateway-cidrs'], io),
    0,
    io.stderr.text,
  );
  assert.deepEqual(server.received[0]?.body, { exposure: 'node-port', gatewayCidrs: null });
  assert.match(io.stdout.text, /cluster k8s-a updated/);
  const bad = testIo({ BERTH_URL: server.url, BERTH_TOKEN: 'tok' });
  assert.equal(await run(['clusters', 'update', 'k8s-a', '--exposure', 'nodeport'], bad), 1);
  assert.match(bad.stderr.text, /exposure: must be "pod-ip" .* or "node-port"/);
  assert.equal(server.received.length, 1, 'nothing sent for a bad exposure');
});

test('berth clusters add --namespace-prefix registers a second cluster on one API server; a bad prefix sends nothing', async (t) => {
  const server = await fakeServer({
    'POST /api/v1/clusters': (_req, res) => json(res, 201, { ...cluster, warnings: [] }),
    'GET /api/v1/clusters/k8s-a': (_req, res) => json(res, 200, cluster),
  });
  t.after(() => server.close());
  const dir = mkdtempSync(join(tmpdir(), 'berth-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const kubeconfig = join(dir, 'kc.yaml');
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\n');
  const args = ['clusters', 'add', 'k8s-a', '--kind', 'kubernetes', '--endpoint', cluster.endpoint!];
  const io = testIo({ BERTH_URL: server.url, BERTH_TOKEN: 'tok' });
  assert.equal(
    await run([...args, '--kubeconfig', kubeconfig, '--namespace-prefix', 'dc2'], io),
    0,
    io.stderr.text,
  );
  assert.equal((server.received[0]?.body as { namespacePrefix?: string }).namespacePrefix, 'dc2');
  const bad = testIo({ BERTH_URL: server.url, BERTH_TOKEN: 'tok' });
  assert.equal(await run([...args, '--kubeconfig', kubeconfig, '--namespace-prefix', 'DC_2'], bad), 1);
  assert.match(bad.stderr.text, /namespacePrefix: must be a DNS label prefix/);
  assert.equal(server.received.length, 1, 'nothing sent for a bad prefix');
  const get = testIo({ BERTH_URL: server.url, BERTH_TOKEN: 'tok' });
  assert.equal(await run(['clusters', 'get', 'k8s-a'], get), 0, get.stderr.text);
  assert.match(get.stdout.text, /^namespaces:\s+dc2-<project>-<env>-…$/m);
});
