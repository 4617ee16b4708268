import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { HelperProcess } from '../../src/supervisor/helper-process';
import {
  alertmanagerSpec,
  blackboxSpec,
  monitoringPaths,
  prometheusSpec,
  writeStackFiles,
  type MonitoringPaths,
  type StackFiles,
} from '../../src/modules/monitoring/stack';
import {
  createMonitoringModule,
  type MonitoringModule,
} from '../../src/modules/monitoring/monitoring.module';
import { freePort } from './net';
import { eventually } from './platform';

const quiet = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
} as unknown as FastifyBaseLogger;

export interface TestMonitoring {
  prometheusUrl: string;
  alertmanagerUrl: string;
  rulesDir: string;
  paths: MonitoringPaths;
  module: MonitoringModule;
  prometheus: HelperProcess;
  alertmanager: HelperProcess;
  /** The blackbox exporter, when started with `blackbox: true` (probes, docs/probes.md). */
  blackbox: HelperProcess | null;
  /**
   * Points the stack at a Berth started after it (its URL is known only then): Prometheus scrapes
   * its /metrics with `metricsToken`, Alertmanager posts to its webhook. Both reload, confirmed.
   */
  connectBerth(berthUrl: string, metricsToken?: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real Prometheus and Alertmanager on free loopback ports, with configurations rendered by the
 * same code `npm start` uses (modules/monitoring/stack.ts), short intervals (1 s by default).
 * Files live in `<dir>/monitoring`.
 */
export async function startMonitoring(opts: {
  dir: string;
  berthUrl?: string;
  metricsToken?: string;
  webhookToken?: string;
  evaluationIntervalSeconds?: number;
  groupWaitSeconds?: number;
  /** Also run a blackbox exporter (the probe job scrapes it). */
  blackbox?: boolean;
}): Promise<TestMonitoring> {
  const paths = monitoringPaths(opts.dir);
  mkdirSync(path.join(paths.dir, 'logs'), { recursive: true });
  const promListen = `127.0.0.1:${await freePort()}`;
  const amListen = `127.0.0.1:${await freePort()}`;
  const prometheusUrl = `http://${promListen}`;
  const alertmanagerUrl = `http://${amListen}`;
  const bbListen = opts.blackbox ? `127.0.0.1:${await freePort()}` : null;
  const files = (berthUrl: string | null, metricsToken: string | null): StackFiles => ({
    paths,
    prometheus: {
      scrapeIntervalSeconds: 1,
      evaluationIntervalSeconds: opts.evaluationIntervalSeconds ?? 1,
      alertmanagerUrl,
      prometheusUrl,
      berthUrl,
      blackboxUrl: bbListen && `http://${bbListen}`,
    },
    alertmanager: {
      berthUrl,
      groupWaitSeconds: opts.groupWaitSeconds ?? 1,
      groupIntervalSeconds: 1,
      repeatIntervalSeconds: 3600,
    },
    metricsToken,
    webhookToken: opts.webhookToken ?? null,
  });
  const { webhookToken } = writeStackFiles(files(opts.berthUrl ?? null, opts.metricsToken ?? null));
  const prometheus = new HelperProcess(
    prometheusSpec(paths, promListen, path.join(paths.dir, 'logs', 'prometheus.log'), {
      evaluationIntervalSeconds: opts.evaluationIntervalSeconds ?? 1,
    }),
    quiet,
  );
  const alertmanager = new HelperProcess(
    alertmanagerSpec(paths, amListen, path.join(paths.dir, 'logs', 'alertmanager.log')),
    quiet,
  );
  const blackbox = bbListen
    ? new HelperProcess(
        blackboxSpec(paths, bbListen, path.join(paths.dir, 'logs', 'blackbox-exporter.log')),
        quiet,
      )
    : null;
  const stopAll = () => Promise.all([prometheus.stop(), alertmanager.stop(), blackbox?.stop()]);
  try {
    await Promise.all([prometheus.start(60_000), alertmanager.start(60_000), blackbox?.start(60_000)]);
  } catch (err) {
    await stopAll();
    throw err;
  }
  const module = createMonitoringModule({
    prometheusUrl,
    alertmanagerUrl,
    rulesDir: paths.rulesDir,
    probeTargetsDir: paths.probeTargetsDir,
    gatewayTargetsDir: paths.gatewayTargetsDir,
    webhookToken,
    blackbox: bbListen ? { url: `http://${bbListen}`, configFile: paths.blackboxConfig } : null,
  });
  // Prometheus finds its Alertmanager about 5 s after start; an alert firing before is dropped
  try {
    await eventually(
      async () => (await module.prometheus.activeAlertmanagers().catch(() => 0)) > 0,
      'Prometheus finding its Alertmanager',
      30_000,
    );
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    prometheusUrl,
    alertmanagerUrl,
    rulesDir: paths.rulesDir,
    paths,
    module,
    prometheus,
    alertmanager,
    blackbox,
    async connectBerth(berthUrl, metricsToken) {
      writeStackFiles(files(berthUrl, metricsToken ?? opts.metricsToken ?? null));
      await module.reloadPrometheus();
      const res = await fetch(`${alertmanagerUrl}/-/reload`, { method: 'POST' });
      if (res.status !== 200) throw new Error(`Alertmanager refused the reload: ${await res.text()}`);
    },
    async stop() {
      await stopAll();
    },
  };
}
