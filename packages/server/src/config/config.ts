import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** Berth's configuration, parsed once at start from env vars and an optional JSON file. */
export interface Config {
  /** Everything Berth writes lives here. */
  dataDir: string;
  listenHost: string;
  listenPort: number;
  /** postgres://… or a SQLite file path. */
  databaseUrl: string;
  /** Set only on first start when given; otherwise a random password is generated. */
  adminPassword: string | null;
  /** Distinguishes the containers of Berth instances that share one Podman. */
  instanceId: string;
  podmanSocket: string;
  /**
   * The built-in cluster `local` on podmanSocket (BERTH_LOCAL_CLUSTER, default on). Off: no Podman
   * is opened or supervised, `local` is neither created nor offered for placement, services run on
   * the registered clusters their environment names, and what needs this host's Podman (builds,
   * `localhost/` images) answers 409 saying so (docs/kubernetes-install.md, "Without Podman").
   */
  localCluster: boolean;
  /** When true, Berth starts `podman system service` on podmanSocket itself. */
  superviseHelpers: boolean;
  /** Domain suffix used for wildcard service domains (the gateway issue). */
  domainSuffix: string;
  /** HOST:PORT of the local gateway node (Nginx) for the `test` env; null when off. */
  gatewayListen: string | null;
  /** HOST:PORT of the local gateway's TLS listener; null (the default) when off. */
  gatewayTlsListen: string | null;
  /**
   * Loopback HOST:PORT where every gateway node serves its request metrics
   * (BERTH_GATEWAY_METRICS_LISTEN; docs/monitoring.md); null (the default; `npm start` sets
   * 127.0.0.1:7082) when off.
   */
  gatewayMetricsListen: string | null;
  /**
   * Route VM backends on loopback (127.0.0.0/8) may be allowed by a network grant. For
   * single-machine development and tests only; Berth's own listeners stay fenced even then.
   */
  allowLoopbackBackends: boolean;
  /** HOST:PORT of the embedded OCI registry (docker-registry on loopback); null when off. */
  registryListen: string | null;
  /**
   * The app store's images (docs/apps.md "Images"), as scripts/app-images.sh names and finds
   * them: the local image names' prefix (BERTH_APP_IMAGES_PREFIX, localhost/berth-apps), the base
   * (BERTH_APP_IMAGES_BASE, <prefix>/debian:12) and the Containerfiles' directory
   * (BERTH_APP_IMAGES_DIR, the checkout's apps/images); null: the script's default.
   */
  appImages: { prefix: string; base: string | null; dir: string | null };
  /** Codeflow: builds run at once (the rest queue), and each build's limits. */
  builds: { concurrency: number; memoryMiB: number; cpus: number; cacheMaxMiB: number };
  /**
   * Every container Berth starts: the PID limit when the spec sets none, and the per-container
   * CPU/memory that quota usage counts for a container whose spec and project set no limit.
   */
  containers: { pidsLimit: number; quotaCpu: number; quotaMemoryMiB: number };
  /**
   * The debug containers' toolbox image on clusters that cannot build it (Kubernetes;
   * BERTH_DEBUG_TOOLBOX_IMAGE): a reference the clusters pull, e.g. berth-toolbox pushed to a
   * registry they reach (docs/debug.md). Null: such clusters need an image per debug container.
   */
  debugToolboxImage: string | null;
  /** Directory of the built portal; null serves packages/web/dist. */
  webDist: string | null;
  environments: string[];
  /** Interval of the reconcile loop. */
  reconcileIntervalMs: number;
  /** How long a draining container waits for every gateway node to confirm its removal. */
  drainConfirmTimeoutSeconds: number;
  /**
   * Cluster health checks: every `checkSeconds` (BERTH_CLUSTER_CHECK_SECONDS, 10); a round trip
   * above `slowMs` (BERTH_CLUSTER_SLOW_MS, 1000) is degraded; no answer in `timeoutMs`
   * (BERTH_CLUSTER_CHECK_TIMEOUT_MS, 5000) is unreachable.
   */
  clusterCheck: { checkSeconds: number; slowMs: number; timeoutMs: number };
  /**
   * A cluster that came back gets its share of replicas again only after it stayed ready this
   * long (BERTH_FAILOVER_STABLE_SECONDS, default 120).
   */
  failoverStableSeconds: number;
  /**
   * Failover pace: services that start moving off a failed cluster per second
   * (BERTH_FAILOVER_RATE, default 1) and at once (BERTH_FAILOVER_BURST, default 10).
   */
  failoverRate: { perSecond: number; burst: number };
  /**
   * Images of Berth's registry that no service placed on a cluster needs and no container there
   * uses are removed from it after `graceSeconds` (BERTH_IMAGE_CLEANUP_GRACE_SECONDS, 600), looked
   * for every `intervalSeconds` (BERTH_IMAGE_CLEANUP_INTERVAL_SECONDS, 60); docs/fleet.md.
   */
  imageCleanup: { graceSeconds: number; intervalSeconds: number };
  /**
   * The app store's images that Debian does not package (docs/apps.md): Kafka's
   * (BERTH_APPS_KAFKA_IMAGE, a mirror of apache/kafka the platform team keeps); null: not offered.
   */
  appsKafkaImage: string | null;
  statsIntervalMs: number;
  /** How long stats samples are kept. */
  statsRetentionSeconds: number;
  sessionTtlSeconds: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Public URL printed to users; defaults to http://listen. */
  publicUrl: string;
  /**
   * Bearer token `/metrics` scrapes present (BERTH_METRICS_TOKEN); null: a random one generated
   * once into `$dataDir/metrics.token`.
   */
  metricsToken: string | null;
  /**
   * Prometheus, Alertmanager and the blackbox exporter (docs/monitoring.md). `enabled` false
   * (BERTH_MONITORING=off): no monitoring module, nothing started. An external URL
   * (BERTH_PROMETHEUS_URL, BERTH_ALERTMANAGER_URL, BERTH_BLACKBOX_URL) replaces the embedded process
   * (then not started); otherwise each runs on its loopback listen address, configs in
   * `$dataDir/monitoring`.
   */
  monitoring: MonitoringConfig;
}

export interface MonitoringConfig {
  enabled: boolean;
  prometheusUrl: string | null;
  alertmanagerUrl: string | null;
  blackboxUrl: string | null;
  prometheusListen: string;
  alertmanagerListen: string;
  blackboxListen: string;
  /** Where Berth writes the alert rule files Prometheus loads (BERTH_PROMETHEUS_RULES_DIR). */
  rulesDir: string;
  /** Bearer token Alertmanager presents to Berth's webhook; null: generated into the data dir. */
  webhookToken: string | null;
  scrapeIntervalSeconds: number;
  evaluationIntervalSeconds: number;
  groupWaitSeconds: number;
  groupIntervalSeconds: number;
  repeatIntervalSeconds: number;
}

const fileSchema = z
  .object({
    dataDir: z.string().optional(),
    listen: z.string().optional(),
    databaseUrl: z.string().optional(),
    instanceId: z.string().optional(),
    podmanSocket: z.string().optional(),
    domainSuffix: z.string().optional(),
    environments: z.array(z.string()).optional(),
    logLevel: z.string().optional(),
  })
  .strict();

export class ConfigError extends Error {}

function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[?([^\]]*)\]?:)?(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 0 || port > 65535) {
    throw new ConfigError(`BERTH_LISTEN="${value}" is not HOST:PORT (for example 127.0.0.1:7080)`);
  }
  return { host: m[1] || '127.0.0.1', port };
}

function listenOrOff(value: string, name: string): string | null {
  if (value === 'off') return null;
  if (!/^[a-z0-9.-]+:\d{1,5}$/.test(value) || Number(value.split(':')[1]) > 65535) {
    throw new ConfigError(`${name}="${value}" is not HOST:PORT (for example 127.0.0.1:7081) or "off"`);
  }
  return value;
}

/** An image name or prefix (no tag needed): lowercase host/path characters only. */
function imageName(value: string, name: string): string {
  if (!/^[a-z0-9][a-z0-9._/:-]*$/.test(value))
    throw new ConfigError(`${name}="${value}" is not an image name (for example localhost/berth-apps)`);
  return value.replace(/\/+$/, '');
}

function flag(value: string | undefined, name: string): boolean {
  if (value === undefined || value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new ConfigError(`${name}="${value}" must be 1/true or 0/false`);
}

/** Reads the configuration. Only this function reads process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Readonly<Config> {
  const configFile = env.BERTH_CONFIG;
  let file: z.infer<typeof fileSchema> = {};
  if (configFile) {
    if (!existsSync(configFile)) throw new ConfigError(`BERTH_CONFIG=${configFile}: no such file`);
    const parsed = fileSchema.safeParse(JSON.parse(readFileSync(configFile, 'utf8')));
    if (!parsed.success)
      throw new ConfigError(
        `${configFile}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    file = parsed.data;
  }
  const dataDir = path.resolve(cwd, env.BERTH_DATA_DIR ?? file.dataDir ?? '.berth');
  const { host, port } = parseListen(env.BERTH_LISTEN ?? file.listen ?? '127.0.0.1:7080');
  const databaseUrl = env.BERTH_DATABASE_URL ?? file.databaseUrl ?? path.join(dataDir, 'berth.sqlite');
  const instanceId =
    env.BERTH_INSTANCE_ID ??
    file.instanceId ??
    createHash('sha256').update(dataDir).digest('hex').slice(0, 8);
  if (!/^[a-z0-9]{1,16}$/.test(instanceId)) {
    throw new ConfigError(`BERTH_INSTANCE_ID="${instanceId}" must be 1-16 lowercase letters or digits`);
  }
  const explicitSocket = env.BERTH_PODMAN_SOCKET ?? file.podmanSocket;
  const logLevel = (env.BERTH_LOG_LEVEL ?? file.logLevel ?? 'info') as Config['logLevel'];
  const num = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${name}="${raw}" must be a positive number`);
    return n;
  };
  const config: Config = {
    dataDir,
    listenHost: host,
    listenPort: port,
    databaseUrl,
    adminPassword: env.BERTH_ADMIN_PASSWORD ?? null,
    instanceId,
    podmanSocket: explicitSocket ?? path.join(dataDir, 'podman.sock'),
    localCluster: onOff(env.BERTH_LOCAL_CLUSTER, 'BERTH_LOCAL_CLUSTER'),
    superviseHelpers: explicitSocket === undefined && env.BERTH_SUPERVISE !== '0',
    domainSuffix: env.BERTH_DOMAIN_SUFFIX ?? file.domainSuffix ?? 'localhost',
    gatewayListen: listenOrOff(env.BERTH_GATEWAY_LISTEN ?? '127.0.0.1:7081', 'BERTH_GATEWAY_LISTEN'),
    gatewayTlsListen: listenOrOff(env.BERTH_GATEWAY_TLS_LISTEN ?? 'off', 'BERTH_GATEWAY_TLS_LISTEN'),
    gatewayMetricsListen:
      (env.BERTH_GATEWAY_METRICS_LISTEN ?? 'off') === 'off'
        ? null
        : loopbackListen(env.BERTH_GATEWAY_METRICS_LISTEN!, 'BERTH_GATEWAY_METRICS_LISTEN'),
    builds: {
      concurrency: num('BERTH_BUILD_CONCURRENCY', 1),
      memoryMiB: num('BERTH_BUILD_MEMORY_MIB', 1024),
      cpus: num('BERTH_BUILD_CPUS', 1),
      cacheMaxMiB: num('BERTH_BUILD_CACHE_MAX_MIB', 2048),
    },
    containers: {
      pidsLimit: num('BERTH_CONTAINER_PIDS_LIMIT', 1024),
      quotaCpu: num('BERTH_CONTAINER_QUOTA_CPU', 0.5),
      quotaMemoryMiB: num('BERTH_CONTAINER_QUOTA_MEMORY_MIB', 256),
    },
    debugToolboxImage: env.BERTH_DEBUG_TOOLBOX_IMAGE?.trim() || null,
    allowLoopbackBackends: flag(
      env.BERTH_GATEWAY_ALLOW_LOOPBACK_BACKENDS,
      'BERTH_GATEWAY_ALLOW_LOOPBACK_BACKENDS',
    ),
    webDist: env.BERTH_WEB_DIST ? path.resolve(cwd, env.BERTH_WEB_DIST) : null,
    registryListen: listenOrOff(env.BERTH_REGISTRY_LISTEN ?? '127.0.0.1:5000', 'BERTH_REGISTRY_LISTEN'),
    appImages: {
      prefix: imageName(env.BERTH_APP_IMAGES_PREFIX ?? 'localhost/berth-apps', 'BERTH_APP_IMAGES_PREFIX'),
      base: env.BERTH_APP_IMAGES_BASE ? imageName(env.BERTH_APP_IMAGES_BASE, 'BERTH_APP_IMAGES_BASE') : null,
      dir: env.BERTH_APP_IMAGES_DIR ? path.resolve(cwd, env.BERTH_APP_IMAGES_DIR) : null,
    },
    environments: file.environments ?? (env.BERTH_ENVIRONMENTS ?? 'test,prod').split(',').filter(Boolean),
    reconcileIntervalMs: num('BERTH_RECONCILE_INTERVAL_MS', 1000),
    drainConfirmTimeoutSeconds: num('BERTH_DRAIN_CONFIRM_TIMEOUT_SECONDS', 30),
    clusterCheck: {
      checkSeconds: num('BERTH_CLUSTER_CHECK_SECONDS', 10),
      slowMs: num('BERTH_CLUSTER_SLOW_MS', 1000),
      timeoutMs: num('BERTH_CLUSTER_CHECK_TIMEOUT_MS', 5000),
    },
    failoverStableSeconds: num('BERTH_FAILOVER_STABLE_SECONDS', 120),
    failoverRate: {
      perSecond: num('BERTH_FAILOVER_RATE', 1),
      burst: num('BERTH_FAILOVER_BURST', 10),
    },
    imageCleanup: {
      graceSeconds: num('BERTH_IMAGE_CLEANUP_GRACE_SECONDS', 600),
      intervalSeconds: num('BERTH_IMAGE_CLEANUP_INTERVAL_SECONDS', 60),
    },
    appsKafkaImage: env.BERTH_APPS_KAFKA_IMAGE?.trim() || null,
    statsIntervalMs: num('BERTH_STATS_INTERVAL_MS', 10000),
    statsRetentionSeconds: num('BERTH_STATS_RETENTION_SECONDS', 7200),
    sessionTtlSeconds: num('BERTH_SESSION_TTL_SECONDS', 12 * 3600),
    logLevel,
    publicUrl: env.BERTH_PUBLIC_URL ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    metricsToken: metricsToken(env.BERTH_METRICS_TOKEN),
    monitoring: {
      enabled: onOff(env.BERTH_MONITORING, 'BERTH_MONITORING'),
      prometheusUrl: externalUrl(env.BERTH_PROMETHEUS_URL, 'BERTH_PROMETHEUS_URL'),
      alertmanagerUrl: externalUrl(env.BERTH_ALERTMANAGER_URL, 'BERTH_ALERTMANAGER_URL'),
      blackboxUrl: externalUrl(env.BERTH_BLACKBOX_URL, 'BERTH_BLACKBOX_URL'),
      prometheusListen: loopbackListen(
        env.BERTH_PROMETHEUS_LISTEN ?? '127.0.0.1:9090',
        'BERTH_PROMETHEUS_LISTEN',
      ),
      alertmanagerListen: loopbackListen(
        env.BERTH_ALERTMANAGER_LISTEN ?? '127.0.0.1:9093',
        'BERTH_ALERTMANAGER_LISTEN',
      ),
      blackboxListen: loopbackListen(env.BERTH_BLACKBOX_LISTEN ?? '127.0.0.1:9115', 'BERTH_BLACKBOX_LISTEN'),
      rulesDir: env.BERTH_PROMETHEUS_RULES_DIR
        ? path.resolve(cwd, env.BERTH_PROMETHEUS_RULES_DIR)
        : path.join(dataDir, 'monitoring', 'rules'),
      webhookToken: secretToken(env.BERTH_ALERTMANAGER_WEBHOOK_TOKEN, 'BERTH_ALERTMANAGER_WEBHOOK_TOKEN'),
      scrapeIntervalSeconds: num('BERTH_PROMETHEUS_SCRAPE_INTERVAL_SECONDS', 10),
      evaluationIntervalSeconds: num('BERTH_PROMETHEUS_EVALUATION_INTERVAL_SECONDS', 10),
      groupWaitSeconds: num('BERTH_ALERTMANAGER_GROUP_WAIT_SECONDS', 10),
      groupIntervalSeconds: num('BERTH_ALERTMANAGER_GROUP_INTERVAL_SECONDS', 60),
      repeatIntervalSeconds: num('BERTH_ALERTMANAGER_REPEAT_INTERVAL_SECONDS', 4 * 3600),
    },
  };
  return Object.freeze(config);
}

/** BERTH_METRICS_TOKEN: unset/empty = generated into the data dir; otherwise at least 16 characters. */
function metricsToken(raw: string | undefined): string | null {
  if (raw === undefined || raw.trim() === '') return null;
  if (raw.trim().length < 16 || /\s/.test(raw.trim()))
    throw new ConfigError('BERTH_METRICS_TOKEN must be at least 16 characters without spaces.');
  return raw.trim();
}

/** An external monitoring endpoint: unset/empty = embedded; otherwise an http(s) URL. */
function externalUrl(raw: string | undefined, name: string): string | null {
  if (raw === undefined || raw.trim() === '') return null;
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new ConfigError(`${name}="${raw}" is not a URL (for example http://10.0.0.5:9090)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new ConfigError(`${name}="${raw}" must be an http:// or https:// URL`);
  return u.toString().replace(/\/+$/, '');
}

/**
 * A listen address of an embedded monitoring process: loopback only (Prometheus' lifecycle API
 * and Alertmanager's silences answer anyone who reaches them).
 */
function loopbackListen(raw: string, name: string): string {
  const value = raw.trim();
  const m = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535 || Number(m[2]) === 0)
    throw new ConfigError(
      `${name}="${raw}" must be a loopback HOST:PORT (for example 127.0.0.1:9090); to use a Prometheus or Alertmanager elsewhere, set its URL instead (BERTH_PROMETHEUS_URL, BERTH_ALERTMANAGER_URL, BERTH_BLACKBOX_URL)`,
    );
  return value;
}

/** A configured shared secret: unset/empty = generated into the data dir; else 16+ characters. */
function secretToken(raw: string | undefined, name: string): string | null {
  if (raw === undefined || raw.trim() === '') return null;
  if (raw.trim().length < 16 || /\s/.test(raw.trim()))
    throw new ConfigError(`${name} must be at least 16 characters without spaces.`);
  return raw.trim();
}

function onOff(raw: string | undefined, name: string): boolean {
  if (raw === undefined || raw === '' || raw === 'on') return true;
  if (raw === 'off') return false;
  throw new ConfigError(`${name}="${raw}" must be "on" or "off"`);
}
