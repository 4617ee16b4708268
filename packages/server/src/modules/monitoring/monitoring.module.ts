import { mkdirSync } from 'node:fs';
import type { Config } from '../../config/config';
import { PrometheusClient } from './prometheus-client';
import { checkRulesFile } from './promtool';
import { monitoringPaths, webhookToken } from './stack';

/**
 * Prometheus and Alertmanager as the other modules see them (docs/monitoring.md): embedded
 * (supervised by `npm start`) or external, from the configuration. Modules that need them take
 * `MonitoringModule | null` and answer 503 when it is null (BERTH_MONITORING=off).
 */
export interface MonitoringModule {
  prometheus: PrometheusClient;
  /** e.g. http://127.0.0.1:9093 (API v2 under /api/v2). */
  alertmanagerUrl: string;
  /** Prometheus loads every `<rulesDir>/*.yml` (rule_files). Written only by the alert rules module. */
  rulesDir: string;
  /** file_sd directory of blackbox probe targets (`*.json`); Prometheus reads it without a reload. */
  probeTargetsDir: string;
  /**
   * file_sd directory of the gateway nodes' metrics targets (`*.json`; the gateways module writes
   * one per agent node); none: agent nodes are not scraped.
   */
  gatewayTargetsDir?: string | null;
  /** The bearer token Alertmanager presents to Berth's webhook (`POST /api/v1/monitoring/alertmanager`). */
  webhookToken: string;
  /** `promtool check rules FILE` → ok, or promtool's message (argv spawn, no shell). */
  checkRules(file: string): Promise<{ ok: true } | { ok: false; message: string }>;
  /** POST /-/reload, then waits until Prometheus reports the reload succeeded (config_last_reload_successful / reload time). */
  reloadPrometheus(): Promise<void>;
  /** The blackbox exporter: its URL and the blackbox.yml it reads (the probes module adds its modules); null: none. */
  blackbox?: { url: string; configFile: string } | null;
}

export interface MonitoringModuleOptions {
  prometheusUrl: string;
  alertmanagerUrl: string;
  rulesDir: string;
  probeTargetsDir: string;
  gatewayTargetsDir?: string | null;
  webhookToken: string;
  blackbox?: { url: string; configFile: string } | null;
  /** Per request to Prometheus (default 5000). */
  timeoutMs?: number;
}

export function createMonitoringModule(opts: MonitoringModuleOptions): MonitoringModule {
  const prometheus = new PrometheusClient({
    url: opts.prometheusUrl,
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  });
  mkdirSync(opts.rulesDir, { recursive: true });
  mkdirSync(opts.probeTargetsDir, { recursive: true });
  if (opts.gatewayTargetsDir) mkdirSync(opts.gatewayTargetsDir, { recursive: true });
  return {
    prometheus,
    alertmanagerUrl: opts.alertmanagerUrl.replace(/\/+$/, ''),
    rulesDir: opts.rulesDir,
    probeTargetsDir: opts.probeTargetsDir,
    gatewayTargetsDir: opts.gatewayTargetsDir ?? null,
    webhookToken: opts.webhookToken,
    checkRules: (file) => checkRulesFile(file),
    reloadPrometheus: () => reloadConfirmed(prometheus),
    blackbox: opts.blackbox ?? null,
  };
}

/**
 * Reloads Prometheus and confirms it: Prometheus answers the reload once it applied (200) or
 * failed (500, thrown); then its runtime info must say the last reload succeeded at or after the
 * moment asked (a reload someone else started at the same time counts: it read the same files).
 * A reload also forgets the Alertmanagers for up to 5 s (service discovery runs again), and an
 * alert firing meanwhile is dropped until its next evaluation: this waits until Prometheus knows
 * as many Alertmanagers as before, so the new rules' alerts are delivered from the start.
 */
export async function reloadConfirmed(prometheus: PrometheusClient, timeoutMs = 15_000): Promise<void> {
  // lastConfigTime has whole seconds
  const asked = Math.floor(Date.now() / 1000) * 1000;
  const alertmanagers = await prometheus.activeAlertmanagers().catch(() => 0);
  await prometheus.reload();
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    try {
      const info = await prometheus.runtimeInfo();
      if (!info.reloadConfigSuccess) throw new ReloadFailed(prometheus.url);
      if (info.lastConfigTime.getTime() < asked)
        last = `its configuration is still from ${info.lastConfigTime.toISOString()}`;
      else if ((await prometheus.activeAlertmanagers()) < alertmanagers)
        last = `it has not found its Alertmanager again (${alertmanagers} before the reload)`;
      else return;
    } catch (err) {
      if (err instanceof ReloadFailed) throw err;
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline)
      throw new Error(
        `Prometheus at ${prometheus.url} did not confirm the reload within ${timeoutMs} ms: ${last}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

class ReloadFailed extends Error {
  constructor(url: string) {
    super(
      `Prometheus at ${url} reports its last reload failed; it keeps running the previous configuration and rules (its log says why)`,
    );
  }
}

/** The module from the configuration: embedded (loopback listens) or external URLs; null when off. */
export function monitoringFromConfig(config: Readonly<Config>): MonitoringModule | null {
  const m = config.monitoring;
  if (!m.enabled) return null;
  const paths = monitoringPaths(config.dataDir, m.rulesDir);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  return createMonitoringModule({
    prometheusUrl: m.prometheusUrl ?? `http://${m.prometheusListen}`,
    alertmanagerUrl: m.alertmanagerUrl ?? `http://${m.alertmanagerListen}`,
    rulesDir: paths.rulesDir,
    probeTargetsDir: paths.probeTargetsDir,
    gatewayTargetsDir: paths.gatewayTargetsDir,
    webhookToken: webhookToken(paths, m.webhookToken),
    blackbox: { url: m.blackboxUrl ?? `http://${m.blackboxListen}`, configFile: paths.blackboxConfig },
  });
}
