import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderStream } from '@berth/gateway-nginx';
import { planEntryPoints, type PlannedEntryPoint } from '../src/modules/gateways/entry-points';
import type { EnvServices } from '../src/modules/gateways/gateways.repository';

const base: Omit<PlannedEntryPoint, 'project' | 'protocol' | 'port' | 'serviceName' | 'servicePort'> = {
  maxFails: 1,
  failTimeoutSeconds: 10,
  connectTimeoutSeconds: null,
  timeoutSeconds: null,
  udpResponses: null,
};

const env: EnvServices = {
  services: [
    { id: 's1', project: 'alpha', name: 'redis' },
    { id: 's2', project: 'beta', name: 'redis' },
    { id: 's3', project: 'alpha', name: 'dns' },
  ],
  endpoints: new Map<string, Record<string, string>[]>([
    ['s1', [{ '6379': '127.0.0.1:40001', '9121': '127.0.0.1:40002' }, { '6379': '127.0.0.1:40003' }]],
    ['s2', [{ '6379': '127.0.0.1:41001' }]],
    ['s3', [{ '53': '127.0.0.1:42001' }]],
  ]),
};

test('each entry point pools the serving endpoints of its own project service port', () => {
  const model = planEntryPoints(
    [
      { ...base, project: 'beta', protocol: 'tcp', port: 16379, serviceName: 'redis', servicePort: 6379 },
      { ...base, project: 'alpha', protocol: 'tcp', port: 6379, serviceName: 'redis', servicePort: 6379 },
      {
        ...base,
        project: 'alpha',
        protocol: 'udp',
        port: 53,
        serviceName: 'dns',
        servicePort: 53,
        udpResponses: 1,
      },
    ],
    env,
  );
  assert.deepEqual(
    model.entryPoints.map((e) => [e.name, e.listen, e.protocol, e.servers.map((s) => s.address)]),
    [
      ['berth_tcp_16379', '0.0.0.0:16379', 'tcp', ['127.0.0.1:41001']],
      ['berth_tcp_6379', '0.0.0.0:6379', 'tcp', ['127.0.0.1:40001', '127.0.0.1:40003']],
      ['berth_udp_53', '0.0.0.0:53', 'udp', ['127.0.0.1:42001']],
    ],
  );
  const udp = model.entryPoints.find((e) => e.protocol === 'udp');
  assert.equal(udp?.udpResponses, 1);
  assert.equal(udp?.connectTimeoutSeconds, undefined);
  // The model renders: Nginx gets one upstream and server per entry point.
  const text = renderStream(model);
  assert.match(text, /listen 0\.0\.0\.0:53 udp;/);
  assert.match(text, /server 127\.0\.0\.1:40003 weight=1 max_fails=1 fail_timeout=10s;/);
  assert.match(text, /proxy_responses 1;/);
});

test('a missing service, another project service or an unpublished port gives an empty pool', () => {
  const model = planEntryPoints(
    [
      { ...base, project: 'beta', protocol: 'tcp', port: 7000, serviceName: 'dns', servicePort: 53 },
      { ...base, project: 'alpha', protocol: 'tcp', port: 7001, serviceName: 'gone', servicePort: 1 },
      { ...base, project: 'alpha', protocol: 'tcp', port: 7002, serviceName: 'redis', servicePort: 9999 },
    ],
    env,
  );
  assert.deepEqual(
    model.entryPoints.map((e) => e.servers.length),
    [0, 0, 0],
  );
  assert.match(renderStream(model), /server 127\.0\.0\.1:9 down;/);
});

test('timeouts and health settings carry through; no entry points render an empty stream', () => {
  const [e] = planEntryPoints(
    [
      {
        ...base,
        project: 'alpha',
        protocol: 'tcp',
        port: 6379,
        serviceName: 'redis',
        servicePort: 6379,
        maxFails: 3,
        failTimeoutSeconds: 30,
        connectTimeoutSeconds: 2,
        timeoutSeconds: 3600,
      },
    ],
    env,
  ).entryPoints;
  assert.equal(e?.maxFails, 3);
  assert.equal(e?.failTimeoutSeconds, 30);
  assert.equal(e?.connectTimeoutSeconds, 2);
  assert.equal(e?.timeoutSeconds, 3600);
  assert.equal(renderStream(planEntryPoints([], env)).includes('stream {\n}'), true);
});
