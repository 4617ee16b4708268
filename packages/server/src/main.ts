import { PodmanEngine } from '@berth/engine-podman';
import { ConfigError, loadConfig } from './config/config';
import { buildServer } from './server';
import { localHelpers, monitoringHelpers, monitoringUrls } from './supervisor/helpers';
import type { HelperProcess } from './supervisor/helper-process';
import { localNginxHelper } from './modules/gateways/local-nginx';

/** `berth up`: the whole platform on one machine. */
async function main(): Promise<void> {
  // what `npm start` turns on that tests and embedders do not get by default
  const config = loadConfig({ BERTH_GATEWAY_METRICS_LISTEN: '127.0.0.1:7082', ...process.env });
  // without the built-in cluster (BERTH_LOCAL_CLUSTER=off, e.g. installed in Kubernetes) no Podman
  // is opened: services run on the registered clusters only
  const engine = config.localCluster
    ? new PodmanEngine({ socketPath: config.podmanSocket, cluster: 'local' })
    : null;
  const server = await buildServer(config, engine ? { engine } : {});
  const log = server.app.log;
  let helpers: HelperProcess[] = [];
  if (config.superviseHelpers) {
    helpers = localHelpers(config, log, { registryListen: config.registryListen });
    for (const h of helpers) await h.start();
  }
  // Berth's own Nginx for the test env: supervised even when Podman is not (BERTH_GATEWAY_LISTEN=off disables it).
  const gatewayNode = localNginxHelper(config, log);
  if (gatewayNode) {
    await gatewayNode.start();
    helpers.push(gatewayNode);
  }
  // Prometheus, Alertmanager and the blackbox exporter, unless external or off (docs/monitoring.md)
  for (const h of monitoringHelpers(config, log)) {
    await h.start(60_000);
    helpers.push(h);
  }
  const podmanVersion = engine ? await waitForPodman(engine, config.podmanSocket, log) : null;
  const url = await server.start();
  const lines = [
    '',
    `  Berth is running: ${config.publicUrl === `http://${config.listenHost}:${config.listenPort}` ? url : config.publicUrl}`,
    `  API: ${url}/api/v1   OpenAPI: ${url}/api/openapi.json`,
    `  CLI: npx berth login ${url} --username admin`,
    server.generatedAdminPassword
      ? `  Log in as "admin" with password: ${server.generatedAdminPassword}   (shown once; change it after login)`
      : '  Log in as "admin" with the password you set (BERTH_ADMIN_PASSWORD) on first start.',
    config.gatewayListen
      ? `  Gateway: http://<service>.<project>.test.${config.domainSuffix}:${config.gatewayListen.split(':')[1]}/ (Nginx on ${config.gatewayListen})`
      : '  Gateway: off',
    config.monitoring.enabled
      ? `  Monitoring: Prometheus ${monitoringUrls(config).prometheus}   Alertmanager ${monitoringUrls(config).alertmanager}   (configs in ${config.dataDir}/monitoring)`
      : '  Monitoring: off (BERTH_MONITORING=off)',
    `  Data: ${config.dataDir}   Podman: ${podmanVersion === null ? 'off (BERTH_LOCAL_CLUSTER=off: services run on registered clusters)' : `${config.podmanSocket} (podman ${podmanVersion})`}`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    for (const h of helpers) h.retire();
    await server.close();
    for (const h of helpers.reverse()) await h.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

/**
 * Waits for the local cluster's Podman and returns its version. On a busy machine Podman may miss
 * one 5 s answer (a restart after a crash is when it matters): keep asking for a minute before
 * giving up.
 */
async function waitForPodman(
  engine: PodmanEngine,
  socket: string,
  log: { warn(msg: string): void },
): Promise<string> {
  let health = await engine.health();
  for (const deadline = Date.now() + 60_000; !health.ok && Date.now() < deadline;) {
    log.warn(`Podman at ${socket} did not answer (${health.message ?? ''}); asking again`);
    await new Promise((r) => setTimeout(r, 1000));
    health = await engine.health();
  }
  if (!health.ok) throw new Error(`Podman is not reachable at ${socket}: ${health.message ?? ''}`);
  return health.version;
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`berth: configuration error: ${err.message}\n`);
  else
    process.stderr.write(
      `berth: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  process.exit(1);
});
