import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { ConfigError, loadConfig } from '../src/config/config';
import { berthListeners, fencedReason } from '../src/modules/tenancy/fence';
import { monitoringFromConfig } from '../src/modules/monitoring/monitoring.module';
import { monitoringHelpers } from '../src/supervisor/helpers';
import { supervisedHelper } from '../src/supervisor/helper-process';

const quiet = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
} as unknown as FastifyBaseLogger;

test('monitoring settings: defaults on loopback, external URLs, and refusals that name the setting', () => {
  const c = loadConfig({ BERTH_DATA_DIR: '/tmp/x' }, '/');
  assert.equal(c.monitoring.enabled, true);
  assert.equal(c.monitoring.prometheusListen, '127.0.0.1:9090');
  assert.equal(c.monitoring.alertmanagerListen, '127.0.0.1:9093');
  assert.equal(c.monitoring.blackboxListen, '127.0.0.1:9115');
  assert.equal(c.monitoring.rulesDir, '/tmp/x/monitoring/rules');
  assert.equal(c.monitoring.prometheusUrl, null);
  const ext = loadConfig(
    { BERTH_PROMETHEUS_URL: 'https://prom.example:9443/prom/', BERTH_MONITORING: 'on' },
    '/',
  );
  assert.equal(ext.monitoring.prometheusUrl, 'https://prom.example:9443/prom');
  assert.equal(loadConfig({ BERTH_MONITORING: 'off' }, '/').monitoring.enabled, false);
  assert.throws(
    () => loadConfig({ BERTH_PROMETHEUS_LISTEN: '0.0.0.0:9090' }, '/'),
    (e: unknown) =>
      e instanceof ConfigError &&
      /BERTH_PROMETHEUS_LISTEN="0.0.0.0:9090" must be a loopback HOST:PORT/.test(e.message) &&
      /BERTH_PROMETHEUS_URL/.test(e.message),
  );
  assert.throws(
    () => loadConfig({ BERTH_ALERTMANAGER_URL: 'ftp://x' }, '/'),
    /BERTH_ALERTMANAGER_URL="ftp:\/\/x" must be an http/,
  );
  assert.throws(
    () => loadConfig({ BERTH_BLACKBOX_URL: 'not a url' }, '/'),
    /BERTH_BLACKBOX_URL="not a url" is not a URL/,
  );
  assert.throws(
    () => loadConfig({ BERTH_MONITORING: 'yes' }, '/'),
    /BERTH_MONITORING="yes" must be "on" or "off"/,
  );
  assert.throws(
    () => loadConfig({ BERTH_ALERTMANAGER_WEBHOOK_TOKEN: 'short' }, '/'),
    /at least 16 characters/,
  );
  assert.throws(
    () => loadConfig({ BERTH_PROMETHEUS_EVALUATION_INTERVAL_SECONDS: '0' }, '/'),
    /BERTH_PROMETHEUS_EVALUATION_INTERVAL_SECONDS="0" must be a positive number/,
  );
});

test('no route may reach Prometheus, Alertmanager or the blackbox exporter, even with loopback backends allowed', () => {
  const c = loadConfig({ BERTH_BLACKBOX_URL: 'http://10.9.8.7:9115' }, '/');
  const listeners = berthListeners(c, [], 7080);
  const opts = { allowLoopback: true, listeners };
  assert.match(
    fencedReason('127.0.0.1:9090', opts) ?? '',
    /^Prometheus \(127.0.0.1:9090\), a listener of Berth itself/,
  );
  assert.match(fencedReason('127.0.0.1:9093', opts) ?? '', /^Alertmanager/);
  assert.match(fencedReason('10.9.8.7:9115', opts) ?? '', /^the blackbox exporter/);
  assert.equal(fencedReason('127.0.0.1:9094', opts), null);
  // monitoring off: nothing of it is fenced
  const off = berthListeners(loadConfig({ BERTH_MONITORING: 'off' }, '/'), [], 7080);
  assert.equal(fencedReason('127.0.0.1:9090', { allowLoopback: true, listeners: off }), null);
});

test('an external URL replaces the embedded process; off starts nothing and gives no module', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-mon-ext-'));
  try {
    const c = loadConfig(
      {
        BERTH_DATA_DIR: dir,
        BERTH_PROMETHEUS_URL: 'http://10.1.2.3:9090',
        BERTH_ALERTMANAGER_WEBHOOK_TOKEN: 'a-configured-webhook-token',
      },
      '/',
    );
    const helpers = monitoringHelpers(c, quiet);
    assert.equal(helpers.length, 2);
    assert.equal(supervisedHelper(dir, 'prometheus'), null);
    assert.ok(supervisedHelper(dir, 'alertmanager'));
    assert.ok(supervisedHelper(dir, 'blackbox exporter'));
    const m = monitoringFromConfig(c)!;
    assert.equal(m.prometheus.url, 'http://10.1.2.3:9090');
    assert.equal(m.alertmanagerUrl, 'http://127.0.0.1:9093');
    assert.equal(m.webhookToken, 'a-configured-webhook-token');
    // Alertmanager presents the configured token from the file its config names
    const am = readFileSync(path.join(dir, 'monitoring', 'alertmanager.yml'), 'utf8');
    assert.match(am, /"url": "http:\/\/127.0.0.1:7080\/api\/v1\/monitoring\/alertmanager"/);
    assert.equal(
      readFileSync(path.join(dir, 'monitoring', 'alertmanager-webhook.token'), 'utf8'),
      'a-configured-webhook-token',
    );
    // the rendered prometheus.yml still names the rules dir (a template for the external one)
    assert.match(
      readFileSync(path.join(dir, 'monitoring', 'prometheus.yml'), 'utf8'),
      /monitoring\/rules\/\*\.yml/,
    );
    const off = loadConfig({ BERTH_DATA_DIR: path.join(dir, 'off'), BERTH_MONITORING: 'off' }, '/');
    assert.deepEqual(monitoringHelpers(off, quiet), []);
    assert.equal(monitoringFromConfig(off), null);
    assert.equal(existsSync(path.join(dir, 'off', 'monitoring')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
