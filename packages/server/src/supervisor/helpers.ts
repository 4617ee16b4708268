import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/config';
import { ensureTokenKeys, tokenIssuer } from '../modules/registry/registry-tokens';
import { HelperProcess, registerSupervised } from './helper-process';
import { metricsToken } from '../modules/containers/metrics';
import {
  alertmanagerSpec,
  blackboxSpec,
  monitoringPaths,
  prometheusSpec,
  writeStackFiles,
  type MonitoringPaths,
} from '../modules/monitoring/stack';

function pingSocket(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/v4.3.1/libpod/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

function pingAnswers(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(1000) })
    .then((r) => r.status === 200 || r.status === 401)
    .catch(() => false);
}

/** Where the embedded registry keeps its configuration and its storage. */
export function registryPaths(config: Readonly<Config>): { dir: string; file: string; storage: string } {
  const dir = path.join(config.dataDir, 'registry');
  return { dir, file: path.join(dir, 'config.yml'), storage: path.join(dir, 'data') };
}

/**
 * Writes the embedded registry's configuration: filesystem storage with deletes, and token
 * authentication with Berth as the token server (its realm is Berth's
 * `/api/v1/registry/token`; the signing certificate is generated in the data dir on first use).
 * Nothing is anonymous: the registry refuses every request without a token Berth signed.
 */
export function writeRegistryConfig(
  config: Pick<Config, 'dataDir'>,
  opts: { listen: string; realm: string; file?: string; storage?: string },
): { dir: string; file: string } {
  const paths = registryPaths(config as Readonly<Config>);
  const file = opts.file ?? paths.file;
  const storage = opts.storage ?? paths.storage;
  mkdirSync(storage, { recursive: true });
  mkdirSync(path.dirname(file), { recursive: true });
  const { cert } = ensureTokenKeys(config.dataDir);
  const realm = `${opts.realm.replace(/\/+$/, '')}/api/v1/registry/token`;
  writeFileSync(
    file,
    [
      'version: 0.1',
      'log: { level: info, accesslog: { disabled: true } }',
      'storage:',
      `  filesystem: { rootdirectory: ${JSON.stringify(storage)} }`,
      '  delete: { enabled: true }',
      '  cache: { blobdescriptor: inmemory }',
      `http: { addr: ${JSON.stringify(opts.listen)}, secret: ${JSON.stringify(randomBytes(24).toString('hex'))} }`,
      'auth:',
      '  token:',
      `    realm: ${JSON.stringify(realm)}`,
      `    service: ${JSON.stringify(opts.listen)}`,
      `    issuer: ${JSON.stringify(tokenIssuer)}`,
      `    rootcertbundle: ${JSON.stringify(cert)}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return { dir: paths.dir, file };
}

/** The helper processes `berth up` supervises on one machine (DESIGN §3). */
export function localHelpers(
  config: Readonly<Config>,
  log: FastifyBaseLogger,
  /** `tokenRealm`: the Berth URL clients reach the token endpoint at (default: the public URL). */
  opts: { registryListen: string | null; tokenRealm?: string },
): HelperProcess[] {
  const helpers: HelperProcess[] = [];
  const logs = path.join(config.dataDir, 'logs');
  mkdirSync(logs, { recursive: true });
  // no Podman service without the built-in cluster (BERTH_LOCAL_CLUSTER=off); the registry needs none
  if (config.localCluster)
    helpers.push(
      new HelperProcess(
        {
          name: 'podman service',
          command: 'podman',
          args: ['system', 'service', '--time=0', `unix://${config.podmanSocket}`],
          logFile: path.join(logs, 'podman-service.log'),
          cwd: config.dataDir,
          ready: () => pingSocket(config.podmanSocket),
        },
        log,
      ),
    );
  if (opts.registryListen) {
    const { dir, file } = writeRegistryConfig(config, {
      listen: opts.registryListen,
      realm: opts.tokenRealm ?? config.publicUrl,
    });
    const registry = new HelperProcess(
      {
        name: 'registry',
        command: 'docker-registry',
        args: ['serve', file],
        logFile: path.join(logs, 'registry.log'),
        cwd: dir,
        // With token auth /v2/ answers 401 to everyone without a token: any answer means it serves.
        ready: () => pingAnswers(`http://${opts.registryListen}/v2/`),
      },
      log,
    );
    registerSupervised(config.dataDir, 'registry', registry);
    helpers.push(registry);
  }
  return helpers;
}

/** Berth's API as the processes on this machine reach it (a wildcard listen: over loopback). */
export function localBerthUrl(config: Readonly<Config>, port = config.listenPort): string {
  const host = ['0.0.0.0', '::', ''].includes(config.listenHost) ? '127.0.0.1' : config.listenHost;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Where Prometheus, Alertmanager and the blackbox exporter are: an external URL or the embedded listen. */
export function monitoringUrls(config: Readonly<Config>): {
  prometheus: string;
  alertmanager: string;
  blackbox: string;
} {
  const m = config.monitoring;
  return {
    prometheus: m.prometheusUrl ?? `http://${m.prometheusListen}`,
    alertmanager: m.alertmanagerUrl ?? `http://${m.alertmanagerListen}`,
    blackbox: m.blackboxUrl ?? `http://${m.blackboxListen}`,
  };
}

/**
 * The file_sd target of the local gateway node's metrics listener (`targets/gateways/local.json`),
 * or none when the local gateway or its metrics are off. Agent nodes: docs/monitoring.md.
 */
export function writeLocalGatewayTargets(config: Readonly<Config>, paths: MonitoringPaths): void {
  const file = path.join(paths.gatewayTargetsDir, 'local.json');
  if (config.gatewayListen && config.gatewayMetricsListen)
    writeFileSync(
      file,
      JSON.stringify([{ targets: [config.gatewayMetricsListen], labels: { gateway: 'local' } }]),
    );
  else rmSync(file, { force: true });
}

/**
 * The monitoring stack `npm start` supervises (docs/monitoring.md): writes the configurations into
 * `$dataDir/monitoring` (Prometheus scrapes Berth's /metrics with the metrics token, the gateway
 * nodes and the probes; Alertmanager posts to Berth's webhook), and answers a helper for each of
 * Prometheus, Alertmanager and the blackbox exporter that has no external URL. None when off.
 */
export function monitoringHelpers(config: Readonly<Config>, log: FastifyBaseLogger): HelperProcess[] {
  const m = config.monitoring;
  if (!m.enabled) return [];
  const paths = monitoringPaths(config.dataDir, m.rulesDir);
  const urls = monitoringUrls(config);
  writeStackFiles({
    paths,
    prometheus: {
      scrapeIntervalSeconds: m.scrapeIntervalSeconds,
      evaluationIntervalSeconds: m.evaluationIntervalSeconds,
      alertmanagerUrl: urls.alertmanager,
      prometheusUrl: urls.prometheus,
      berthUrl: localBerthUrl(config),
      blackboxUrl: urls.blackbox,
    },
    alertmanager: {
      berthUrl: localBerthUrl(config),
      groupWaitSeconds: m.groupWaitSeconds,
      groupIntervalSeconds: m.groupIntervalSeconds,
      repeatIntervalSeconds: m.repeatIntervalSeconds,
    },
    metricsToken: metricsToken(config.dataDir, config.metricsToken),
    webhookToken: m.webhookToken,
  });
  writeLocalGatewayTargets(config, paths);
  const logs = path.join(config.dataDir, 'logs');
  mkdirSync(logs, { recursive: true });
  const helpers: HelperProcess[] = [];
  const add = (name: string, helper: HelperProcess) => {
    registerSupervised(config.dataDir, name, helper);
    helpers.push(helper);
  };
  if (!m.prometheusUrl)
    add(
      'prometheus',
      new HelperProcess(
        prometheusSpec(paths, m.prometheusListen, path.join(logs, 'prometheus.log'), {
          evaluationIntervalSeconds: m.evaluationIntervalSeconds,
        }),
        log,
      ),
    );
  if (!m.alertmanagerUrl)
    add(
      'alertmanager',
      new HelperProcess(
        alertmanagerSpec(paths, m.alertmanagerListen, path.join(logs, 'alertmanager.log')),
        log,
      ),
    );
  if (!m.blackboxUrl)
    add(
      'blackbox exporter',
      new HelperProcess(blackboxSpec(paths, m.blackboxListen, path.join(logs, 'blackbox-exporter.log')), log),
    );
  return helpers;
}
