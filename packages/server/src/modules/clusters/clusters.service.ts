import {
  ConflictError,
  InvalidError,
  NotFoundError,
  clusterEndpointExamples,
  clusterKindProblems,
  defaultClusterExposure,
  defaultPublishAddress,
  inClusterEndpoint,
  localClusterName,
  type Cluster,
  type ClusterCapacity,
  type ClusterCredentials,
  type ClusterExposure,
  type ClusterFieldProblem,
  type ClusterEvent,
  type ClusterRegistryCheck,
  type ClusterState,
  type CreateClusterRequest,
  type Environment,
  type PatchClusterRequest,
  type PatchEnvRequest,
} from '@berth/shared';
import { parsePodmanEndpoint } from '@berth/engine-podman';
import { checkKubeconfig } from '@berth/engine-kubernetes';
import type { SecretBox } from '../../crypto/secret-box';
import { newId, nowIso } from '../../util';
import { isUniqueViolation } from '../identity/store-errors';
import type { ClusterHealthChecker } from './cluster-health';
import {
  envClusters,
  type ClusterEventRow,
  type ClusterRow,
  type ClustersRepository,
  type EnvironmentRow,
} from './clusters.repository';

const states = new Set<string>(['ready', 'degraded', 'unreachable', 'unknown']);

function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** A cluster as the API shows it; `admin` decides whether the endpoint and credentials show. */
export function toCluster(row: ClusterRow, admin: boolean): Cluster {
  return {
    name: row.name,
    kind: row.kind,
    endpoint: admin ? row.endpoint : null,
    labels: parseJson<Record<string, string>>(row.labels, {}),
    publishAddress: row.publish_address,
    registry: row.registry_address,
    exposure:
      row.kind === 'kubernetes' ? ((row.exposure ?? defaultClusterExposure) as ClusterExposure) : null,
    gatewayCidrs: parseJson<string[]>(row.gateway_cidrs ?? null, []),
    namespacePrefix: row.kind === 'kubernetes' ? (row.namespace_prefix ?? '') : null,
    engineVersion: row.engine_version ?? null,
    cordoned: row.cordoned === 1,
    draining: row.draining === 1,
    state: (states.has(row.state) ? row.state : 'unknown') as ClusterState,
    message: row.message,
    latencyMs: row.latency_ms,
    lastCheckedAt: row.last_checked_at,
    capacity: parseJson<ClusterCapacity | null>(row.capacity, null),
    registryCheck: parseJson<ClusterRegistryCheck | null>(row.registry_check ?? null, null),
    hasCredentials: admin && row.credentials_sealed !== null,
    builtIn: row.built_in === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    createdBy: row.created_by,
    version: row.version,
  };
}

export function toEnvironment(row: EnvironmentRow): Environment {
  return {
    name: row.name,
    displayName: row.display_name,
    clusters: envClusters(row),
    failover: { graceSeconds: row.failover_grace_seconds },
    createdAt: row.created_at,
  };
}

function toEvent(row: ClusterEventRow): ClusterEvent {
  return {
    id: row.id,
    cluster: row.cluster,
    at: row.at,
    type: row.type,
    fromState: row.from_state,
    toState: row.to_state,
    message: row.message,
  };
}

const notFound = (name: string) =>
  new NotFoundError(
    'CLUSTER_NOT_FOUND',
    `Cluster '${name}' does not exist; list them with \`berth clusters list\`.`,
  );

const endpointField = (message: string) =>
  new InvalidError(
    `${message}. Examples: ${clusterEndpointExamples.join(', ')}.`,
    [{ path: 'endpoint', message: `${message} (e.g. ${clusterEndpointExamples.join(' or ')})` }],
    'UNPROCESSABLE',
  );

/** Settings that do not fit the cluster's kind: 400 naming each field (nothing is stored). */
function kindRefused(problems: ClusterFieldProblem[]): InvalidError {
  const fields = problems.map((p) => ({ path: p.path.join('.'), message: p.message }));
  const first = fields[0];
  return new InvalidError(
    `Invalid cluster. ${first ? `${first.path}: ${first.message}` : ''}${fields.length > 1 ? ` (and ${fields.length - 1} more)` : ''}`,
    fields,
  );
}

/** Whether a label selector (`k=v` or `k`) matches a cluster's labels. */
function matches(labels: Record<string, string>, selectors: string[]): boolean {
  return selectors.every((s) => {
    const i = s.indexOf('=');
    if (i < 0) return s in labels;
    return labels[s.slice(0, i)] === s.slice(i + 1);
  });
}

/** A loopback address: 127.0.0.0/8, ::1, localhost. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * What a saved cluster probably has wrong without being invalid: an `ssh://` cluster on another
 * host that publishes on a loopback address, where no gateway node nor Berth's prober reaches its
 * containers. Allowed (the test fleet's ssh:// cluster is this host), so a warning, not a refusal.
 */
export function clusterWarnings(c: Pick<Cluster, 'name' | 'endpoint' | 'publishAddress'>): string[] {
  if (!c.endpoint?.startsWith('ssh://')) return [];
  let host: string;
  try {
    const parsed = parsePodmanEndpoint(c.endpoint);
    if (parsed.kind !== 'ssh') return [];
    host = parsed.host;
  } catch {
    return [];
  }
  if (isLoopback(host) || !isLoopback(c.publishAddress)) return [];
  return [
    `Cluster '${c.name}' is on host ${host} but publishes container ports on ${c.publishAddress}, a loopback address of that host: the gateways and Berth's prober cannot reach its containers there. Set the host's address that they reach: berth clusters update ${c.name} --publish-address IP.`,
  ];
}

export type ClusterFlag = 'cordon' | 'uncordon' | 'drain' | 'undrain';

/**
 * The cluster registry: platform admins register, change, cordon, drain and remove clusters;
 * everybody reads them. The built-in `local` is the configured Podman socket. Environments name
 * the clusters their services may run on.
 */
export class ClustersService {
  constructor(
    private readonly repo: ClustersRepository,
    private readonly secrets: SecretBox,
    private readonly checker: ClusterHealthChecker,
    private readonly localEndpoint: string,
  ) {}

  /** Creates the built-in cluster `local` when missing; keeps its endpoint the configured socket. */
  async ensureLocal(): Promise<void> {
    const row = await this.repo.find(localClusterName);
    const now = nowIso();
    if (!row) {
      try {
        await this.repo.insert({
          name: localClusterName,
          kind: 'podman',
          endpoint: this.localEndpoint,
          credentials_sealed: null,
          labels: '{}',
          publish_address: defaultPublishAddress,
          registry_address: null,
          built_in: 1,
          cordoned: 0,
          draining: 0,
          state: 'unknown',
          state_since: now,
          message: null,
          latency_ms: null,
          capacity: null,
          last_checked_at: null,
          created_at: now,
          updated_at: now,
          created_by: 'berth',
          version: 1,
        });
      } catch (err) {
        if (!isUniqueViolation(err)) throw err; // another process created it first
      }
      return;
    }
    if (row.endpoint !== this.localEndpoint)
      await this.repo.replace(
        { ...row, endpoint: this.localEndpoint, updated_at: now, version: row.version + 1 },
        row.version,
      );
  }

  /**
   * Without Podman (BERTH_LOCAL_CLUSTER=off) `local` is not created, and environments stop naming
   * it while it does not exist (a fresh store seeds every environment with it): they name no
   * cluster until a platform admin attaches one. A `local` row of an earlier start with Podman is
   * left as it is, with what the environments name.
   */
  async detachAbsentLocal(): Promise<void> {
    if (await this.repo.find(localClusterName)) return;
    for (const env of await this.repo.envs()) {
      const names = envClusters(env);
      if (names.includes(localClusterName))
        await this.repo.updateEnv(env.name, {
          clusters: JSON.stringify(names.filter((n) => n !== localClusterName)),
        });
    }
  }

  async list(admin: boolean, labels: string[]): Promise<Cluster[]> {
    const rows = await this.repo.list();
    return rows.map((r) => toCluster(r, admin)).filter((c) => matches(c.labels, labels));
  }

  async get(name: string, admin: boolean): Promise<Cluster> {
    const row = await this.repo.find(name);
    if (!row) throw notFound(name);
    return { ...toCluster(row, admin), placed: await this.repo.placed(name) };
  }

  /** The grammar is engine-podman's (what validates is what connects); refusals are 422 at `endpoint`. */
  private checkEndpoint(endpoint: string): void {
    try {
      parsePodmanEndpoint(endpoint);
    } catch (err) {
      if (!(err instanceof InvalidError)) throw err;
      const field = (err.details?.fields as Array<{ message: string }> | undefined)?.[0]?.message;
      throw endpointField((field ?? err.message).replace(/\.$/, ''));
    }
  }

  /**
   * A kubernetes cluster's kubeconfig, checked deeply (engine-kubernetes' checkKubeconfig: what
   * Berth would connect with, nothing that runs a command or reads a file of Berth's host), and its
   * endpoint, which must be the API server of the kubeconfig's current context: what validates is
   * what connects. Returns the warnings (TLS verification off). 400 naming the field otherwise.
   */
  private async checkKubernetes(
    endpoint: string,
    credentials: ClusterCredentials | null | undefined,
  ): Promise<string[]> {
    const problems = clusterKindProblems('kubernetes', { endpoint, credentials });
    if (problems.length > 0) throw kindRefused(problems);
    if (endpoint === inClusterEndpoint || !credentials?.kubeconfig) return [];
    const summary = await checkKubeconfig(credentials.kubeconfig, 'credentials.kubeconfig');
    if (summary.server !== endpoint.replace(/\/$/, ''))
      throw kindRefused([
        {
          path: ['endpoint'],
          message: `must be the API server of the kubeconfig's current context "${summary.context}", ${summary.server} (or change the kubeconfig's current-context)`,
        },
      ]);
    return summary.warnings;
  }

  /** The credentials a cluster holds (opened), or null. */
  private storedCredentials(row: ClusterRow): ClusterCredentials | null {
    return row.credentials_sealed
      ? (JSON.parse(this.secrets.open(row.credentials_sealed)) as ClusterCredentials)
      : null;
  }

  async create(body: CreateClusterRequest, author: string): Promise<Cluster> {
    const exists = () =>
      new ConflictError(
        `Cluster '${body.name}' already exists; change it with PATCH (\`berth clusters update ${body.name}\`).`,
        undefined,
        'ALREADY_EXISTS',
      );
    if (await this.repo.find(body.name)) throw exists();
    const kubernetes = body.kind === 'kubernetes';
    const problems = clusterKindProblems(body.kind, body);
    if (problems.length > 0) throw kindRefused(problems);
    const kubeWarnings = kubernetes ? await this.checkKubernetes(body.endpoint, body.credentials) : [];
    if (!kubernetes) this.checkEndpoint(body.endpoint);
    if (kubernetes) await this.checkNamespacePrefix(body.name, body.endpoint, body.namespacePrefix ?? '');
    const now = nowIso();
    const row: ClusterRow = {
      name: body.name,
      kind: body.kind,
      endpoint: body.endpoint,
      credentials_sealed: body.credentials ? this.secrets.seal(JSON.stringify(body.credentials)) : null,
      labels: JSON.stringify(body.labels ?? {}),
      publish_address: body.publishAddress ?? defaultPublishAddress,
      registry_address: body.registry ?? null,
      registry_check: null,
      exposure: kubernetes ? (body.exposure ?? defaultClusterExposure) : null,
      gateway_cidrs: kubernetes && body.gatewayCidrs ? JSON.stringify(body.gatewayCidrs) : null,
      namespace_prefix: kubernetes && body.namespacePrefix ? body.namespacePrefix : null,
      engine_version: null,
      built_in: 0,
      cordoned: 0,
      draining: 0,
      state: 'unknown',
      state_since: now,
      message: null,
      latency_ms: null,
      capacity: null,
      last_checked_at: null,
      created_at: now,
      updated_at: now,
      created_by: author,
      version: 1,
    };
    try {
      await this.repo.insert(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw exists();
      throw err;
    }
    // The first check runs in the background; the answer shows state "unknown" until it ends.
    void this.checker.check(row).catch(() => undefined);
    const made = toCluster(row, true);
    return { ...made, warnings: [...clusterWarnings(made), ...kubeWarnings] };
  }

  /**
   * Two kubernetes clusters on one API server (the same endpoint) with the same namespace prefix
   * would apply into the same namespaces: refused, naming the other cluster.
   */
  private async checkNamespacePrefix(name: string, endpoint: string, prefix: string): Promise<void> {
    const same = (await this.repo.list()).find(
      (c) => c.kind === 'kubernetes' && c.endpoint === endpoint && (c.namespace_prefix ?? '') === prefix,
    );
    if (!same) return;
    const shown = prefix === '' ? 'no namespace prefix' : `namespace prefix "${prefix}"`;
    throw new InvalidError(
      `Cluster '${same.name}' is registered at ${endpoint} with ${shown}: '${name}' would share its namespaces. Give '${name}' a namespace prefix of its own (--namespace-prefix), e.g. "${name}".`,
      [{ path: 'namespacePrefix', message: `is already used on this API server by cluster '${same.name}'` }],
    );
  }

  async patch(name: string, body: PatchClusterRequest): Promise<Cluster> {
    const row = await this.repo.find(name);
    if (!row) throw notFound(name);
    if (body.version !== undefined && body.version !== row.version) throw stale(row.version);
    const next: ClusterRow = { ...row, updated_at: nowIso(), version: row.version + 1 };
    // the cluster as it would be, judged by the rules of its kind (the kind never changes)
    const kubernetes = row.kind === 'kubernetes';
    const endpoint = body.endpoint ?? row.endpoint;
    const credentials = body.credentials === undefined ? this.storedCredentials(row) : body.credentials;
    const problems = clusterKindProblems(kubernetes ? 'kubernetes' : 'podman', {
      endpoint,
      credentials,
      exposure: body.exposure,
      gatewayCidrs: body.gatewayCidrs,
      publishAddress: body.publishAddress,
    });
    if (problems.length > 0) throw kindRefused(problems);
    if (body.namespacePrefix !== undefined && body.namespacePrefix !== (row.namespace_prefix ?? ''))
      throw new InvalidError(
        `Cluster '${name}' keeps its namespace prefix "${row.namespace_prefix ?? ''}": a new prefix would be new namespaces, and the volumes' data would stay behind in the old ones. Register the API server again as a new cluster with the prefix you want, and move the services there.`,
        [{ path: 'namespacePrefix', message: 'cannot be changed after the cluster is registered' }],
      );
    const kubeWarnings =
      kubernetes && (body.endpoint !== undefined || body.credentials !== undefined)
        ? await this.checkKubernetes(endpoint, credentials)
        : [];
    if (body.exposure !== undefined) next.exposure = body.exposure;
    if (body.gatewayCidrs !== undefined)
      next.gateway_cidrs = body.gatewayCidrs === null ? null : JSON.stringify(body.gatewayCidrs);
    if (body.endpoint !== undefined && body.endpoint !== row.endpoint) {
      if (row.built_in === 1)
        throw new InvalidError(
          `The built-in cluster '${name}' is the Podman socket Berth was started with; change BERTH_PODMAN_SOCKET and restart instead.`,
          [
            {
              path: 'endpoint',
              message: 'cannot be changed for the built-in cluster (set BERTH_PODMAN_SOCKET)',
            },
          ],
          'UNPROCESSABLE',
        );
      if (!kubernetes) this.checkEndpoint(body.endpoint);
      next.endpoint = body.endpoint;
    }
    if (body.credentials === null) next.credentials_sealed = null;
    else if (body.credentials !== undefined)
      next.credentials_sealed = this.secrets.seal(JSON.stringify(body.credentials));
    if (body.labels === null) next.labels = '{}';
    else if (body.labels !== undefined) {
      const labels = parseJson<Record<string, string>>(row.labels, {});
      for (const [k, v] of Object.entries(body.labels)) {
        if (v === null) delete labels[k];
        else labels[k] = v;
      }
      next.labels = JSON.stringify(labels);
    }
    // new containers publish there; the controller replaces the running ones, rolling
    if (body.publishAddress !== undefined) next.publish_address = body.publishAddress;
    if (body.registry !== undefined) next.registry_address = body.registry;
    if (!(await this.repo.replace(next, row.version))) throw stale(row.version);
    // a new way in, or a new registry address: check at once (the registry check included)
    if (
      next.endpoint !== row.endpoint ||
      next.credentials_sealed !== row.credentials_sealed ||
      next.registry_address !== row.registry_address
    )
      void this.checker.check(next).catch(() => undefined);
    const changed = toCluster(next, true);
    return { ...changed, warnings: [...clusterWarnings(changed), ...kubeWarnings] };
  }

  async remove(name: string): Promise<void> {
    const row = await this.repo.find(name);
    if (!row) throw notFound(name);
    if (row.built_in === 1)
      throw new ConflictError(
        `The built-in cluster '${name}' (the Podman socket Berth was started with) cannot be deleted; cordon it to keep new replicas off it.`,
        undefined,
        'CLUSTER_IN_USE',
      );
    const envs = (await this.repo.envs()).filter((e) => envClusters(e).includes(name)).map((e) => e.name);
    const placed = await this.repo.placed(name);
    if (envs.length > 0 || placed.length > 0) {
      const parts: string[] = [];
      if (envs.length > 0)
        parts.push(
          `environment${envs.length > 1 ? 's' : ''} ${envs.map((e) => `'${e}'`).join(', ')} name${envs.length > 1 ? '' : 's'} it (\`berth envs set-clusters ENV …\` without it)`,
        );
      if (placed.length > 0)
        parts.push(
          `${placed.reduce((n, p) => n + p.containers, 0)} container(s) of ${placed.length} service(s) run on it (drain it first)`,
        );
      throw new ConflictError(
        `Cluster '${name}' is in use: ${parts.join('; ')}.`,
        { envs, placed },
        'CLUSTER_IN_USE',
      );
    }
    await this.repo.delete(name);
  }

  /** Cordon/uncordon/drain/undrain: sets the flag, records an event. Idempotent. */
  async setFlag(name: string, action: ClusterFlag, author: string): Promise<Cluster> {
    for (let attempt = 0; ; attempt++) {
      const row = await this.repo.find(name);
      if (!row) throw notFound(name);
      const next: ClusterRow = { ...row };
      if (action === 'cordon') next.cordoned = 1;
      else if (action === 'uncordon') next.cordoned = 0;
      else if (action === 'drain') next.draining = 1;
      else next.draining = 0;
      if (next.cordoned === row.cordoned && next.draining === row.draining) return toCluster(row, true);
      next.updated_at = nowIso();
      next.version = row.version + 1;
      if (await this.repo.replace(next, row.version)) {
        const what = {
          cordon: 'cordoned (no new replicas are placed on it)',
          uncordon: 'uncordoned (new replicas may be placed on it)',
          drain: 'set to drain (its replicas are to move to other clusters)',
          undrain: 'no longer draining',
        }[action];
        await this.repo.addEvent({
          id: newId(),
          cluster: name,
          at: next.updated_at,
          type: { cordon: 'Cordoned', uncordon: 'Uncordoned', drain: 'Draining', undrain: 'Undrained' }[
            action
          ],
          from_state: null,
          to_state: null,
          message: `Cluster '${name}' ${what} by ${author}.`,
        });
        return toCluster(next, true);
      }
      if (attempt >= 5) throw stale(row.version);
    }
  }

  /** Runs a health check now and returns the cluster as it then is. */
  async check(name: string, admin: boolean): Promise<Cluster> {
    const row = await this.repo.find(name);
    if (!row) throw notFound(name);
    await this.checker.check(row, true, true);
    return this.get(name, admin);
  }

  async events(name: string, limit: number, before?: string): Promise<ClusterEvent[]> {
    if (!(await this.repo.find(name))) throw notFound(name);
    return (await this.repo.events(name, limit, before)).map(toEvent);
  }

  async getEnv(name: string): Promise<Environment> {
    const row = await this.repo.findEnv(name);
    if (!row) throw envNotFound(name);
    return toEnvironment(row);
  }

  async patchEnv(name: string, body: PatchEnvRequest): Promise<Environment> {
    const row = await this.repo.findEnv(name);
    if (!row) throw envNotFound(name);
    const set: { clusters?: string; failover_grace_seconds?: number } = {};
    if (body.clusters !== undefined) {
      const known = new Set((await this.repo.list()).map((c) => c.name));
      const fields = body.clusters.flatMap((c, i) =>
        known.has(c)
          ? []
          : [{ path: `clusters[${i}]`, message: `cluster '${c}' does not exist (berth clusters list)` }],
      );
      const seen = new Set<string>();
      body.clusters.forEach((c, i) => {
        if (seen.has(c)) fields.push({ path: `clusters[${i}]`, message: `cluster '${c}' is named twice` });
        seen.add(c);
      });
      if (fields.length > 0)
        throw new InvalidError(
          `Environment '${name}' can only name registered clusters, each once: ${fields.map((f) => `${f.path}: ${f.message}`).join('; ')}.`,
          fields,
          'UNPROCESSABLE',
        );
      set.clusters = JSON.stringify(body.clusters);
    }
    if (body.failover !== undefined) set.failover_grace_seconds = body.failover.graceSeconds;
    if (Object.keys(set).length > 0) await this.repo.updateEnv(name, set);
    return this.getEnv(name);
  }
}

const stale = (currentVersion: number) =>
  new ConflictError(
    'The cluster changed since you read it; read it again and retry with its current version.',
    { currentVersion },
    'VERSION_CONFLICT',
  );

const envNotFound = (name: string) =>
  new NotFoundError(
    'ENV_NOT_FOUND',
    `Environment '${name}' does not exist; list them with GET /api/v1/envs.`,
  );
