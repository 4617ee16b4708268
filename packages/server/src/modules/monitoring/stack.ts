import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { HelperSpec } from '../../supervisor/helper-process';

/*
 * The embedded monitoring stack (docs/monitoring.md): where its files live in the data dir, the
 * configurations Berth renders for Prometheus, Alertmanager and the blackbox exporter, and how
 * each process is started. `npm start` (supervisor/helpers.ts) and the tests
 * (test/helpers/monitoring.ts) use the same functions.
 */

export interface MonitoringPaths {
  /** `$dataDir/monitoring` */
  dir: string;
  prometheusConfig: string;
  alertmanagerConfig: string;
  blackboxConfig: string;
  /** Prometheus loads `<rulesDir>/*.yml`; written only by the alert rules module. */
  rulesDir: string;
  /** file_sd target files of the gateway nodes' metrics listeners (`*.json`). */
  gatewayTargetsDir: string;
  /** file_sd target files of blackbox probes (`*.json`, labels `module` and the owner's). */
  probeTargetsDir: string;
  prometheusData: string;
  alertmanagerData: string;
  /** The token Prometheus presents to Berth's /metrics (0600). */
  metricsTokenFile: string;
  /** The token Alertmanager presents to Berth's webhook (0600). */
  webhookTokenFile: string;
}

export function monitoringPaths(dataDir: string, rulesDir?: string): MonitoringPaths {
  const dir = path.join(dataDir, 'monitoring');
  return {
    dir,
    prometheusConfig: path.join(dir, 'prometheus.yml'),
    alertmanagerConfig: path.join(dir, 'alertmanager.yml'),
    blackboxConfig: path.join(dir, 'blackbox.yml'),
    rulesDir: rulesDir ?? path.join(dir, 'rules'),
    gatewayTargetsDir: path.join(dir, 'targets', 'gateways'),
    probeTargetsDir: path.join(dir, 'targets', 'probes'),
    prometheusData: path.join(dir, 'prometheus-data'),
    alertmanagerData: path.join(dir, 'alertmanager-data'),
    metricsTokenFile: path.join(dir, 'berth-metrics.token'),
    webhookTokenFile: path.join(dir, 'alertmanager-webhook.token'),
  };
}

/** A duration in Prometheus' syntax: whole seconds as "10s", else milliseconds. */
export function promDuration(seconds: number): string {
  return Number.isInteger(seconds) ? `${seconds}s` : `${Math.max(1, Math.round(seconds * 1000))}ms`;
}

/** scheme, HOST:PORT and path prefix of a URL, as a scrape or alerting target names them. */
function target(url: string): { scheme: string; address: string; prefix: string } {
  const u = new URL(url);
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return {
    scheme: u.protocol.replace(':', ''),
    address: `${u.hostname.includes(':') ? `[${u.hostname}]` : u.hostname}:${port}`,
    prefix: u.pathname.replace(/\/+$/, ''),
  };
}

export interface PrometheusConfigInput {
  paths: MonitoringPaths;
  scrapeIntervalSeconds: number;
  evaluationIntervalSeconds: number;
  /** URL of Alertmanager. */
  alertmanagerUrl: string;
  /** Prometheus' own URL (it scrapes itself: reload and rule evaluation metrics); null: not scraped. */
  prometheusUrl: string | null;
  /** Berth's URL for the /metrics scrape (with the token in paths.metricsTokenFile); null: not scraped. */
  berthUrl: string | null;
  /** URL of the blackbox exporter for the probe targets; null: no probe job. */
  blackboxUrl: string | null;
}

/**
 * prometheus.yml. JSON is YAML, so the text is JSON.stringify'd: every value is quoted and
 * escaped, whatever it holds.
 */
export function renderPrometheusConfig(input: PrometheusConfigInput): string {
  const { paths } = input;
  const interval = promDuration(input.scrapeIntervalSeconds);
  const am = target(input.alertmanagerUrl);
  const jobs: unknown[] = [];
  if (input.prometheusUrl) {
    const p = target(input.prometheusUrl);
    jobs.push({
      job_name: 'prometheus',
      scheme: p.scheme,
      metrics_path: `${p.prefix}/metrics`,
      static_configs: [{ targets: [p.address] }],
    });
  }
  if (input.berthUrl) {
    const b = target(input.berthUrl);
    jobs.push({
      job_name: 'berth',
      scheme: b.scheme,
      metrics_path: `${b.prefix}/metrics`,
      // the series carry their own project/env/service/container labels: keep them as they are
      honor_labels: true,
      authorization: { type: 'Bearer', credentials_file: paths.metricsTokenFile },
      static_configs: [{ targets: [b.address] }],
    });
  }
  jobs.push({
    // every gateway node's loopback metrics listener (docs/monitoring.md, "Gateway metrics")
    job_name: 'berth-gateways',
    honor_labels: true,
    file_sd_configs: [{ files: [path.join(paths.gatewayTargetsDir, '*.json')], refresh_interval: '30s' }],
  });
  if (input.blackboxUrl) {
    const bb = target(input.blackboxUrl);
    jobs.push({
      // probes: each target file names `module` (http_2xx, tcp_connect) and the owner's labels
      job_name: 'berth-probes',
      scheme: bb.scheme,
      metrics_path: `${bb.prefix}/probe`,
      file_sd_configs: [{ files: [path.join(paths.probeTargetsDir, '*.json')], refresh_interval: '30s' }],
      relabel_configs: [
        { source_labels: ['__address__'], target_label: '__param_target' },
        { source_labels: ['module'], target_label: '__param_module' },
        { source_labels: ['__param_target'], target_label: 'instance' },
        { target_label: '__address__', replacement: bb.address },
      ],
    });
  }
  const config = {
    global: {
      scrape_interval: interval,
      scrape_timeout: promDuration(Math.round(input.scrapeIntervalSeconds * 900) / 1000),
      evaluation_interval: promDuration(input.evaluationIntervalSeconds),
    },
    rule_files: [path.join(paths.rulesDir, '*.yml')],
    alerting: {
      alertmanagers: [
        {
          scheme: am.scheme,
          ...(am.prefix ? { path_prefix: am.prefix } : {}),
          static_configs: [{ targets: [am.address] }],
        },
      ],
    },
    scrape_configs: jobs,
  };
  return `# Written by Berth (docs/monitoring.md); changes are overwritten at start.\n${JSON.stringify(config, null, 2)}\n`;
}

export interface AlertmanagerConfigInput {
  paths: MonitoringPaths;
  /** Berth's URL for the webhook; null: alerts go nowhere (a receiver without configs). */
  berthUrl: string | null;
  groupWaitSeconds: number;
  groupIntervalSeconds: number;
  repeatIntervalSeconds: number;
}

/** Path of the webhook Alertmanager posts every notification to (the alerts module's route). */
export const alertmanagerWebhookPath = '/api/v1/monitoring/alertmanager';

/**
 * alertmanager.yml: one receiver, Berth's webhook with the bearer token from
 * paths.webhookTokenFile; grouped per project, env and rule; resolved alerts sent too.
 */
export function renderAlertmanagerConfig(input: AlertmanagerConfigInput): string {
  const receiver = input.berthUrl
    ? {
        name: 'berth',
        webhook_configs: [
          {
            url: `${input.berthUrl.replace(/\/+$/, '')}${alertmanagerWebhookPath}`,
            send_resolved: true,
            max_alerts: 0,
            http_config: {
              authorization: { type: 'Bearer', credentials_file: input.paths.webhookTokenFile },
            },
          },
        ],
      }
    : { name: 'berth' };
  const config = {
    route: {
      receiver: 'berth',
      group_by: ['berth_project', 'berth_env', 'berth_rule'],
      group_wait: promDuration(input.groupWaitSeconds),
      group_interval: promDuration(input.groupIntervalSeconds),
      repeat_interval: promDuration(input.repeatIntervalSeconds),
    },
    receivers: [receiver],
  };
  return `# Written by Berth (docs/monitoring.md); changes are overwritten at start.\n${JSON.stringify(config, null, 2)}\n`;
}

/** blackbox.yml: the probe modules (HTTP(S) answering 2xx, and a TCP connect). */
export function renderBlackboxConfig(): string {
  const config = {
    modules: {
      http_2xx: {
        prober: 'http',
        timeout: '5s',
        http: { method: 'GET', preferred_ip_protocol: 'ip4', follow_redirects: true },
      },
      tcp_connect: { prober: 'tcp', timeout: '5s', tcp: { preferred_ip_protocol: 'ip4' } },
    },
  };
  return `# Written by Berth (docs/monitoring.md); changes are overwritten at start.\n${JSON.stringify(config, null, 2)}\n`;
}

/** Writes a file whole (a temp file renamed over it): a reload never reads half a file. */
export function writeFileAtomic(file: string, text: string, mode = 0o644): void {
  const tmp = `${file}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, file);
}

/** The webhook token: the configured one, else one generated once into the data dir (0600). */
export function webhookToken(paths: MonitoringPaths, configured: string | null): string {
  if (configured) {
    writeFileAtomic(paths.webhookTokenFile, configured, 0o600);
    return configured;
  }
  if (!existsSync(paths.webhookTokenFile)) {
    try {
      writeFileSync(paths.webhookTokenFile, randomBytes(32).toString('base64url'), {
        mode: 0o600,
        flag: 'wx',
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return readFileSync(paths.webhookTokenFile, 'utf8').trim();
}

export interface StackFiles {
  paths: MonitoringPaths;
  prometheus: Omit<PrometheusConfigInput, 'paths'>;
  alertmanager: Omit<AlertmanagerConfigInput, 'paths'>;
  /** Berth's metrics token (written to paths.metricsTokenFile for the scrape). */
  metricsToken: string | null;
  /** The webhook token; null: generated once into the data dir. */
  webhookToken: string | null;
}

/** Creates the directories and writes every file of the stack; answers the webhook token. */
export function writeStackFiles(files: StackFiles): { webhookToken: string } {
  const { paths } = files;
  for (const d of [
    paths.dir,
    paths.rulesDir,
    paths.gatewayTargetsDir,
    paths.probeTargetsDir,
    paths.prometheusData,
    paths.alertmanagerData,
  ])
    mkdirSync(d, { recursive: true, mode: 0o700 });
  if (files.metricsToken) writeFileAtomic(paths.metricsTokenFile, files.metricsToken, 0o600);
  const token = webhookToken(paths, files.webhookToken);
  writeFileAtomic(paths.prometheusConfig, renderPrometheusConfig({ paths, ...files.prometheus }));
  writeFileAtomic(paths.alertmanagerConfig, renderAlertmanagerConfig({ paths, ...files.alertmanager }));
  writeFileAtomic(paths.blackboxConfig, renderBlackboxConfig());
  return { webhookToken: token };
}

function answers(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(1000) })
    .then(async (r) => {
      await r.arrayBuffer();
      return r.status === 200;
    })
    .catch(() => false);
}

/**
 * How `prometheus` runs: loopback listen, storage in the data dir, reload over HTTP. Firing alerts
 * are sent again every evaluation (not every minute): after a reload Prometheus knows no
 * Alertmanager for up to 5 s and drops what fires meanwhile; the next evaluation sends it again.
 */
export function prometheusSpec(
  paths: MonitoringPaths,
  listen: string,
  logFile: string,
  opts: { evaluationIntervalSeconds: number },
): HelperSpec {
  return {
    name: 'prometheus',
    command: 'prometheus',
    args: [
      `--config.file=${paths.prometheusConfig}`,
      `--storage.tsdb.path=${paths.prometheusData}`,
      `--web.listen-address=${listen}`,
      '--web.enable-lifecycle',
      `--rules.alert.resend-delay=${promDuration(opts.evaluationIntervalSeconds)}`,
    ],
    logFile,
    cwd: paths.dir,
    ready: () => answers(`http://${listen}/-/ready`),
  };
}

/** How `prometheus-alertmanager` runs: loopback listen, no cluster gossip (empty listen address). */
export function alertmanagerSpec(paths: MonitoringPaths, listen: string, logFile: string): HelperSpec {
  return {
    name: 'alertmanager',
    command: 'prometheus-alertmanager',
    args: [
      `--config.file=${paths.alertmanagerConfig}`,
      `--storage.path=${paths.alertmanagerData}`,
      `--web.listen-address=${listen}`,
      '--cluster.listen-address=',
    ],
    logFile,
    cwd: paths.dir,
    ready: () => answers(`http://${listen}/-/ready`),
  };
}

/** How `prometheus-blackbox-exporter` runs. */
export function blackboxSpec(paths: MonitoringPaths, listen: string, logFile: string): HelperSpec {
  return {
    name: 'blackbox exporter',
    command: 'prometheus-blackbox-exporter',
    args: [`--config.file=${paths.blackboxConfig}`, `--web.listen-address=${listen}`],
    logFile,
    cwd: paths.dir,
    ready: () => answers(`http://${listen}/-/healthy`),
  };
}
