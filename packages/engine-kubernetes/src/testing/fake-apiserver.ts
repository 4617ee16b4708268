/**
 * A test Kubernetes API server, in-process, over real HTTPS on 127.0.0.1, for driving Berth's
 * Kubernetes engine with the real `@kubernetes/client-node` where no cluster can run (issue 14).
 * It honours the parts of the API Berth uses, as the apiserver does them; docs/kubernetes-testing.md
 * lists what it models and every behaviour it does not.
 *
 * Start one with `startFakeApiServer()`; load `kubeconfig` (one cluster/user/context, a bearer
 * token the server checks — a wrong one is 401 — and the server's self-signed CA) with
 * `KubeConfig.loadFromString`. Seeded: namespaces default, kube-system, kube-public,
 * kube-node-lease, and two Ready nodes (fake-node-1, fake-node-2; 4 cpu, 8Gi allocatable).
 *
 * Served: discovery (/api, /apis, /version, /readyz, /livez, /healthz); core v1 namespaces,
 * nodes, pods (+ status, log, exec), services, endpoints, secrets, configmaps,
 * persistentvolumeclaims, events, resourcequotas, limitranges, serviceaccounts; apps/v1
 * deployments (+ status, scale), replicasets, daemonsets; networking.k8s.io/v1 networkpolicies;
 * rbac.authorization.k8s.io/v1 roles, rolebindings, clusterroles, clusterrolebindings (stored,
 * not enforced); metrics.k8s.io/v1beta1 pods and nodes when `metrics: true` (404 otherwise).
 * Verbs: get, list (labelSelector, fieldSelector, limit/continue, resourceVersion +
 * resourceVersionMatch), watch (resourceVersion, allowWatchBookmarks, timeoutSeconds), create,
 * update, patch (merge, strategic merge, JSON patch, server-side apply with fieldManager/force),
 * delete (gracePeriodSeconds, propagationPolicy, preconditions), deletecollection; dryRun=All.
 *
 * HOW AN ENGINE REACHES A POD: every pod's `status.podIP` is 127.0.0.1, and for each container
 * port the kubelet simulation opens a real HTTP server on 127.0.0.1:<ephemeral> and writes the
 * pod annotation `fake.berth.dev/port-<containerPort>: "<hostPort>"` (before the pod turns Ready).
 * An engine must reach `<podIP>:<containerPort>` on a real cluster; under test it is given an
 * option (set by the tests only, e.g. `podAddress: (pod, port) => ...`) that reads the annotation
 * — `podAddress()` below does exactly that. The server answers with the pod's name by default.
 *
 * TEST HOOKS (on the returned FakeApiServer):
 * - `settle()` waits until the controller simulation has nothing left to do;
 * - `advanceClock(seconds)` moves the server's clock (progress deadlines, grace periods,
 *   minReadySeconds, sinceSeconds) — nothing in the server waits on real time except `sleep` in exec;
 * - `setPodReady(ns, pod, ready)` / `setReadinessPolicy(policy)`: readiness ('immediate' default,
 *   'manual', or a function of the pod);
 * - `killContainer(ns, pod, { container?, reason?, exitCode?, restart? })`: the container ends
 *   (e.g. reason 'OOMKilled', exitCode 137) and restarts per restartPolicy unless `restart` says;
 * - `setPodBackend(ns, pod, handler | null)`: what a pod's HTTP servers answer;
 * - `setPodProgram(fn | null)` (or the `podProgram` option): what pods started from then on run —
 *   their output and exit code; a pod with restartPolicy Never then ends Succeeded or Failed;
 * - `appendPodLog(ns, pod, text, container?)`: log lines (followers get them at once);
 * - `setPodUsage(ns, pod, { cpu, memory }, container?)`: metrics.k8s.io usage;
 * - `setExecHandler(handler)`, `setExecProtocols(['v4.channel.k8s.io'])` (refuse v5);
 * - `compact()`: etcd compaction — a watch or exact list from an older resourceVersion is 410;
 *   `dropWatches()`: every watch connection closes (an apiserver restart); `expireWatches()`:
 *   every open watch gets an ERROR 410 Expired event and closes (the watch cache fell behind);
 * - `setNodeReady(name, ready)`, `setHealthy(ok)` (/readyz and /livez answer 500 when not);
 * - `requests`: the requests served (method, path, query), for asserting relists and retries;
 * - `podAddress(ns, pod, containerPort)`: where the pod's server listens;
 * - `errors`: failures of the controller simulation (a test can assert it stays empty).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import https from 'node:https';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { Api, type DeleteOptions, type WriteOptions } from './api';
import { Simulation, type PodProgram, type ReadinessPolicy } from './controllers';
import { ephemeralExec, withEphemeralContainers } from './ephemeral';
import { defaultExecHandler, execProtocols, serveExec, type ExecHandler } from './exec';
import { clone, isObj, num, objs, parseJson, str, strMap, text, type Obj } from './json';
import { defaultPodBackend, type PodBackend } from './pod-runtime';
import { findResource, groupVersion, resourceTypes, subresources, type ResourceType } from './resources';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import { ApiError, expired } from './status';
import { Store, type Watcher } from './store';
import { localCertificate } from './tls';

/** Options of `startFakeApiServer`. */
export interface FakeApiServerOptions {
  /** The bearer token the server accepts (default: random). */
  token?: string;
  /** Serve HTTPS with a self-signed certificate (default) or plain HTTP (kubeconfig then skips TLS verification). */
  tls?: boolean;
  /** Milliseconds between watch bookmarks when a client asks for them (default 1000). */
  bookmarkIntervalMs?: number;
  /** Changes the history keeps before older revisions are compacted away (default 10000). */
  historyLimit?: number;
  /** Serve metrics.k8s.io (default false: 404 as on a cluster without metrics-server). */
  metrics?: boolean;
  /** When a started pod is Ready (default 'immediate'). */
  readiness?: ReadinessPolicy;
  /** What every pod's HTTP servers answer (default: the pod's name). */
  podBackend?: PodBackend;
  /** What every started pod's process does (default: runs until stopped); `setPodProgram` changes it. */
  podProgram?: PodProgram;
  /** Pods go only when their grace period has passed on the clock (default: they stop at once on SIGTERM). */
  holdTermination?: boolean;
  /** Nodes to seed (default two: fake-node-1, fake-node-2 with 4 cpu and 8Gi). */
  nodes?: { name: string; cpu?: string; memory?: string; pods?: string }[];
  /** A watch from a compacted resourceVersion: an ERROR event in a 200 stream (default) or an HTTP 410. */
  expiredWatchAs?: 'event' | 'status';
}

/** A running test API server and its hooks (see the module comment). */
export interface FakeApiServer {
  url: string;
  /** A kubeconfig YAML with one cluster, user and context (`fake`), namespace `default`. */
  kubeconfig: string;
  token: string;
  close(): Promise<void>;
  settle(): Promise<void>;
  advanceClock(seconds: number): void;
  /** The server's clock in milliseconds since the epoch. */
  now(): number;
  setPodReady(namespace: string, pod: string, ready: boolean | undefined): void;
  setReadinessPolicy(policy: ReadinessPolicy): void;
  killContainer(
    namespace: string,
    pod: string,
    how?: { container?: string; reason?: string; exitCode?: number; restart?: boolean },
  ): void;
  setPodBackend(namespace: string, pod: string, backend: PodBackend | null): void;
  /** What pods started from now on run: their output and exit code (null: run until stopped). */
  setPodProgram(program: PodProgram | null): void;
  appendPodLog(namespace: string, pod: string, text: string, container?: string): void;
  setPodUsage(
    namespace: string,
    pod: string,
    usage: { cpu: string; memory: string },
    container?: string,
  ): void;
  setExecHandler(handler: ExecHandler | null): void;
  setExecProtocols(protocols: string[]): void;
  compact(): void;
  dropWatches(): void;
  expireWatches(): void;
  setNodeReady(name: string, ready: boolean): void;
  setHealthy(ok: boolean): void;
  podAddress(
    namespace: string,
    pod: string,
    containerPort: number,
  ): { host: string; port: number } | undefined;
  readonly requests: { method: string; path: string; query: URLSearchParams }[];
  readonly errors: Error[];
}

const NODES = findResource('', 'v1', 'nodes')!;
const NAMESPACES = findResource('', 'v1', 'namespaces')!;
const PODS = findResource('', 'v1', 'pods')!;
const SECRETS = findResource('', 'v1', 'secrets')!;
const CONFIGMAPS = findResource('', 'v1', 'configmaps')!;
const DEPLOYMENTS = findResource('apps', 'v1', 'deployments')!;

/** A parsed API path. */
interface Route {
  group: string;
  version: string;
  namespace: string;
  resource: string;
  name?: string;
  subresource?: string;
}

function parseRoute(pathname: string): Route | 'discovery' | undefined {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1]) {
    group = '';
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts[1] && parts[2]) {
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else return undefined;
  if (rest.length === 0) return 'discovery';
  let namespace = '';
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    !(rest.length === 3 && ['status', 'finalize'].includes(rest[2]!))
  ) {
    namespace = rest[1]!;
    rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest;
  if (!resource || rest.length > 3) return undefined;
  return {
    group,
    version,
    namespace,
    resource,
    ...(name ? { name } : {}),
    ...(subresource ? { subresource } : {}),
  };
}

function sendJson(res: http.ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 16 * 1024 * 1024)
        reject(new ApiError(413, 'RequestEntityTooLarge', 'request entity too large'));
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(text: string, contentType: string): unknown {
  if (!text.trim()) return undefined;
  try {
    return contentType.includes('yaml') ? (parseYaml(text) as unknown) : parseJson(text);
  } catch (e) {
    throw new ApiError(400, 'BadRequest', `the request body could not be decoded: ${(e as Error).message}`);
  }
}

/** RFC 3339 with nanoseconds (what the kubelet prefixes log lines with). */
function nanoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** Starts a test API server on 127.0.0.1 (ephemeral port). */
export async function startFakeApiServer(opts: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  let clockOffset = 0;
  const clock = () => Date.now() + clockOffset;
  const store = new Store(opts.historyLimit ?? 10000);
  let ipCounter = 10;
  let nodePortCounter = 30000;
  const api = new Api(store, clock, {
    clusterIP: () => `10.96.${Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`,
    nodePort: () => nodePortCounter++,
  });
  const sim = new Simulation(api, store, clock, {
    readiness: opts.readiness ?? 'immediate',
    backend: opts.podBackend ?? defaultPodBackend,
    holdTermination: opts.holdTermination ?? false,
    program: opts.podProgram ?? null,
  });
  let healthy = true;
  let execHandler: ExecHandler = defaultExecHandler;
  let protocols: string[] = [...execProtocols];
  const bookmarkMs = opts.bookmarkIntervalMs ?? 1000;
  const requests: FakeApiServer['requests'] = [];
  const sockets = new Set<Socket | Duplex>();
  const sys = { manager: 'kube-apiserver', internal: true };

  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    api.create(NAMESPACES, '', { metadata: { name: ns } }, sys);
  }
  const nodes = opts.nodes ?? [{ name: 'fake-node-1' }, { name: 'fake-node-2' }];
  for (const n of nodes) {
    const allocatable = {
      cpu: n.cpu ?? '4',
      memory: n.memory ?? '8Gi',
      pods: n.pods ?? '110',
      'ephemeral-storage': '50Gi',
    };
    api.create(
      NODES,
      '',
      {
        metadata: {
          name: n.name,
          labels: {
            'kubernetes.io/hostname': n.name,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
          },
        },
        spec: {},
        status: {
          capacity: allocatable,
          allocatable,
          conditions: [
            {
              type: 'MemoryPressure',
              status: 'False',
              reason: 'KubeletHasSufficientMemory',
              lastHeartbeatTime: api.timestamp(),
              lastTransitionTime: api.timestamp(),
            },
            {
              type: 'DiskPressure',
              status: 'False',
              reason: 'KubeletHasNoDiskPressure',
              lastHeartbeatTime: api.timestamp(),
              lastTransitionTime: api.timestamp(),
            },
            {
              type: 'PIDPressure',
              status: 'False',
              reason: 'KubeletHasSufficientPID',
              lastHeartbeatTime: api.timestamp(),
              lastTransitionTime: api.timestamp(),
            },
            {
              type: 'Ready',
              status: 'True',
              reason: 'KubeletReady',
              message: 'kubelet is posting ready status',
              lastHeartbeatTime: api.timestamp(),
              lastTransitionTime: api.timestamp(),
            },
          ],
          addresses: [
            { type: 'InternalIP', address: '127.0.0.1' },
            { type: 'Hostname', address: n.name },
          ],
          nodeInfo: {
            kubeletVersion: 'v1.31.0',
            containerRuntimeVersion: 'containerd://1.7.0',
            osImage: 'Berth fake node',
            operatingSystem: 'linux',
            architecture: 'amd64',
            kernelVersion: '6.1.0',
          },
        },
      },
      sys,
    );
  }

  // ---------- discovery ----------
  const groups = () => {
    const byGroup = new Map<string, Set<string>>();
    for (const t of resourceTypes)
      if (t.group) (byGroup.get(t.group) ?? byGroup.set(t.group, new Set()).get(t.group)!).add(t.version);
    if (opts.metrics) byGroup.set('metrics.k8s.io', new Set(['v1beta1']));
    return [...byGroup.entries()].map(([name, versions]) => {
      const vs = [...versions].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
      return { name, versions: vs, preferredVersion: vs[0] };
    });
  };
  const resourceList = (group: string, version: string) => {
    if (group === 'metrics.k8s.io' && opts.metrics && version === 'v1beta1') {
      return {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: 'metrics.k8s.io/v1beta1',
        resources: [
          { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
          { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
        ],
      };
    }
    const types = resourceTypes.filter((t) => t.group === group && t.version === version);
    if (types.length === 0) return undefined;
    const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: group ? `${group}/${version}` : version,
      resources: types.flatMap((t) => [
        {
          name: t.resource,
          singularName: t.kind.toLowerCase(),
          namespaced: t.namespaced,
          kind: t.kind,
          verbs,
          ...(t.shortNames ? { shortNames: t.shortNames } : {}),
        },
        ...(t.status
          ? [
              {
                name: `${t.resource}/status`,
                singularName: '',
                namespaced: t.namespaced,
                kind: t.kind,
                verbs: ['get', 'patch', 'update'],
              },
            ]
          : []),
        ...(subresources[t.resource] ?? []).map((s) => ({
          name: `${t.resource}/${s.name}`,
          singularName: '',
          namespaced: t.namespaced,
          kind: s.kind,
          verbs: s.verbs,
        })),
      ]),
    };
  };

  // ---------- list and watch ----------
  const watches = new Set<Watcher & { res: http.ServerResponse }>();
  const listObjects = (t: ResourceType, namespace: string, q: URLSearchParams) => {
    const filter = {
      rt: t,
      labels: parseLabelSelector(q.get('labelSelector')),
      fields: parseFieldSelector(q.get('fieldSelector'), t.resource),
      ...(namespace ? { namespace } : {}),
    };
    const cont = q.get('continue');
    let rv = store.rv;
    let after = '';
    let items: Obj[];
    if (cont) {
      let token: { rv?: number; after?: string };
      try {
        token = JSON.parse(Buffer.from(cont, 'base64url').toString('utf8')) as {
          rv?: number;
          after?: string;
        };
      } catch {
        throw new ApiError(400, 'BadRequest', 'continue key is not valid: illegal base64 data');
      }
      rv = Number(token.rv ?? 0);
      after = String(token.after ?? '');
      if (rv < store.oldestRv) {
        throw new ApiError(
          410,
          'Expired',
          `The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results.`,
        );
      }
      items = store.listAt(filter, rv);
    } else {
      const want = q.get('resourceVersion');
      const match = q.get('resourceVersionMatch');
      if (want && want !== '0' && match === 'Exact') {
        rv = Number(want);
        items = store.listAt(filter, rv);
      } else {
        if (want && want !== '0' && Number(want) > store.rv) {
          throw new ApiError(504, 'Timeout', `Too large resource version: ${want}, current: ${store.rv}`);
        }
        items = store.list(filter);
      }
    }
    const key = (o: Obj) => `${str(o, 'metadata', 'namespace') ?? ''}/${str(o, 'metadata', 'name') ?? ''}`;
    if (after) items = items.filter((o) => key(o) > after);
    const limit = Number(q.get('limit') ?? '0');
    const metadata: Obj = { resourceVersion: String(rv) };
    if (limit > 0 && items.length > limit) {
      metadata.remainingItemCount = items.length - limit;
      items = items.slice(0, limit);
      metadata.continue = Buffer.from(JSON.stringify({ rv, after: key(items[items.length - 1]!) })).toString(
        'base64url',
      );
    }
    for (const o of items) {
      delete o.apiVersion;
      delete o.kind;
    }
    return { kind: `${t.kind}List`, apiVersion: groupVersion(t), metadata, items };
  };

  const serveWatch = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    t: ResourceType,
    namespace: string,
    q: URLSearchParams,
  ) => {
    const labels = parseLabelSelector(q.get('labelSelector'));
    const fields = parseFieldSelector(q.get('fieldSelector'), t.resource);
    const rvParam = q.get('resourceVersion');
    const fromRv = rvParam && rvParam !== '0' ? Number(rvParam) : undefined;
    if (fromRv !== undefined && fromRv < store.oldestRv && opts.expiredWatchAs === 'status')
      throw expired(fromRv, store.oldestRv);
    res.writeHead(200, {
      'content-type': 'application/json',
      'transfer-encoding': 'chunked',
      'cache-control': 'no-cache',
    });
    res.flushHeaders();
    let timers: NodeJS.Timeout[] = [];
    const w: Watcher & { res: http.ServerResponse } = {
      rt: t,
      labels,
      fields,
      ...(namespace ? { namespace } : {}),
      res,
      send(type, object) {
        if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
      },
      end() {
        for (const x of timers) clearTimeout(x);
        timers = [];
        store.watchers.delete(w);
        watches.delete(w);
        if (!res.writableEnded) res.end();
      },
    };
    watches.add(w);
    res.on('close', () => w.end());
    try {
      store.watch(w, fromRv);
    } catch (e) {
      if (e instanceof ApiError) {
        w.send('ERROR', e.toStatus());
        w.end();
        return;
      }
      throw e;
    }
    if (q.get('allowWatchBookmarks') === 'true' || q.get('allowWatchBookmarks') === '1') {
      const tick = () => {
        w.send('BOOKMARK', {
          kind: t.kind,
          apiVersion: groupVersion(t),
          metadata: { resourceVersion: String(store.rv) },
        });
        timers.push(setTimeout(tick, bookmarkMs));
      };
      timers.push(setTimeout(tick, bookmarkMs));
    }
    const timeout = Number(q.get('timeoutSeconds') ?? '0');
    if (timeout > 0) timers.push(setTimeout(() => w.end(), timeout * 1000));
  };

  // ---------- pods/log ----------
  const serveLog = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    namespace: string,
    podName: string,
    q: URLSearchParams,
  ) => {
    const { pod, rtm } = sim.runtime(namespace, podName);
    const names = objs(pod, 'spec', 'containers').map((c) => str(c, 'name') ?? '');
    let container = q.get('container') ?? '';
    if (!container) {
      if (names.length !== 1)
        throw new ApiError(
          400,
          'BadRequest',
          `a container name must be specified for pod ${podName}, choose one of: [${names.join(' ')}]`,
        );
      container = names[0]!;
    }
    const c = rtm.containers.get(container);
    if (!c) throw new ApiError(400, 'BadRequest', `container ${container} is not valid for pod ${podName}`);
    const previous = q.get('previous') === 'true';
    if (previous && !c.last)
      throw new ApiError(
        400,
        'BadRequest',
        `previous terminated container "${container}" in pod "${podName}" not found`,
      );
    let lines = previous ? c.previousLogs : c.logs;
    const since = q.get('sinceTime');
    const sinceSeconds = Number(q.get('sinceSeconds') ?? '0');
    if (since) lines = lines.filter((l) => Date.parse(l.time) >= Date.parse(since));
    if (sinceSeconds > 0) lines = lines.filter((l) => Date.parse(l.time) >= clock() - sinceSeconds * 1000);
    const tail = q.get('tailLines');
    if (tail !== null && tail !== '') lines = Number(tail) === 0 ? [] : lines.slice(-Number(tail));
    const stamps = q.get('timestamps') === 'true';
    let budget = Number(q.get('limitBytes') ?? '0') || Infinity;
    const format = (l: { time: string; text: string }) => (stamps ? `${l.time} ${l.text}\n` : `${l.text}\n`);
    res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
    const write = (s: string) => {
      const b = Buffer.from(s, 'utf8');
      const part = b.length > budget ? b.subarray(0, budget) : b;
      budget -= part.length;
      res.write(part);
      if (budget <= 0) res.end();
    };
    for (const l of lines) if (!res.writableEnded) write(format(l));
    const follow = q.get('follow') === 'true';
    if (!follow || previous || c.state !== 'running' || res.writableEnded) {
      res.end();
      return;
    }
    res.flushHeaders();
    const follower = (l: { time: string; text: string } | null) => {
      if (res.writableEnded) return;
      if (l === null) res.end();
      else write(format(l));
    };
    c.followers.add(follower);
    res.on('close', () => c.followers.delete(follower));
  };

  // ---------- metrics ----------
  const podMetrics = (pod: Obj) => {
    const rtm = sim.pods.get(str(pod, 'metadata', 'uid') ?? '');
    return {
      kind: 'PodMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {
        name: str(pod, 'metadata', 'name'),
        namespace: str(pod, 'metadata', 'namespace'),
        labels: strMap(pod, 'metadata', 'labels'),
        creationTimestamp: api.timestamp(),
      },
      timestamp: api.timestamp(),
      window: '15s',
      containers: rtm
        ? [...rtm.containers.values()]
            .filter((c) => c.state === 'running')
            .map((c) => ({ name: c.name, usage: { ...c.usage } }))
        : [],
    };
  };
  const serveMetrics = (res: http.ServerResponse, route: Route) => {
    if (!opts.metrics || route.version !== 'v1beta1')
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    if (route.resource === 'pods') {
      const pods = store
        .list({
          rt: PODS,
          labels: [],
          fields: [],
          ...(route.namespace ? { namespace: route.namespace } : {}),
        })
        .filter((p) => str(p, 'status', 'phase') === 'Running');
      if (route.name) {
        const p = pods.find((x) => str(x, 'metadata', 'name') === route.name);
        if (!p) throw new ApiError(404, 'NotFound', `podmetrics.metrics.k8s.io "${route.name}" not found`);
        return sendJson(res, 200, podMetrics(p));
      }
      return sendJson(res, 200, {
        kind: 'PodMetricsList',
        apiVersion: 'metrics.k8s.io/v1beta1',
        metadata: {},
        items: pods.map(podMetrics),
      });
    }
    if (route.resource === 'nodes') {
      const items = store.list({ rt: NODES, labels: [], fields: [] }).map((n) => ({
        kind: 'NodeMetrics',
        apiVersion: 'metrics.k8s.io/v1beta1',
        metadata: { name: str(n, 'metadata', 'name'), creationTimestamp: api.timestamp() },
        timestamp: api.timestamp(),
        window: '20s',
        usage: { cpu: '250m', memory: '1Gi' },
      }));
      if (route.name) {
        const n = items.find((x) => x.metadata.name === route.name);
        if (!n) throw new ApiError(404, 'NotFound', `nodemetrics.metrics.k8s.io "${route.name}" not found`);
        return sendJson(res, 200, n);
      }
      return sendJson(res, 200, {
        kind: 'NodeMetricsList',
        apiVersion: 'metrics.k8s.io/v1beta1',
        metadata: {},
        items,
      });
    }
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  };

  // ---------- scale ----------
  const scaleOf = (d: Obj) => ({
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: str(d, 'metadata', 'name'),
      namespace: str(d, 'metadata', 'namespace'),
      uid: str(d, 'metadata', 'uid'),
      resourceVersion: str(d, 'metadata', 'resourceVersion'),
      creationTimestamp: str(d, 'metadata', 'creationTimestamp'),
    },
    spec: { replicas: num(d, 'spec', 'replicas') ?? 0 },
    status: {
      replicas: num(d, 'status', 'replicas') ?? 0,
      selector: Object.entries(strMap(d, 'spec', 'selector', 'matchLabels'))
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    },
  });

  // ---------- requests ----------
  const authorized = (req: http.IncomingMessage) => {
    const h = req.headers.authorization ?? '';
    const given = Buffer.from(h.startsWith('Bearer ') ? h.slice(7) : '');
    const want = Buffer.from(token);
    return given.length === want.length && timingSafeEqual(given, want);
  };
  const managerOf = (req: http.IncomingMessage, q: URLSearchParams) =>
    q.get('fieldManager') ?? (req.headers['user-agent'] ?? 'unknown').split('/')[0]!.trim() ?? 'unknown';

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    requests.push({ method, path: url.pathname, query: q });
    if (requests.length > 5000) requests.splice(0, 1000);
    if (['/readyz', '/livez', '/healthz'].includes(url.pathname)) {
      res.writeHead(healthy ? 200 : 500, { 'content-type': 'text/plain' });
      res.end(healthy ? 'ok' : '[-]etcd failed: reason withheld\nreadyz check failed\n');
      return;
    }
    if (!authorized(req)) {
      sendJson(res, 401, new ApiError(401, 'Unauthorized', 'Unauthorized').toStatus());
      return;
    }
    if (url.pathname === '/version') {
      sendJson(res, 200, {
        major: '1',
        minor: '31',
        gitVersion: 'v1.31.0-berth-fake',
        gitCommit: '0000000',
        gitTreeState: 'clean',
        buildDate: '2026-01-01T00:00:00Z',
        goVersion: 'go1.22.0',
        compiler: 'gc',
        platform: 'linux/amd64',
      });
      return;
    }
    if (url.pathname === '/api' || url.pathname === '/api/') {
      sendJson(res, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: url.host }],
      });
      return;
    }
    if (url.pathname === '/apis' || url.pathname === '/apis/') {
      sendJson(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: groups() });
      return;
    }
    const groupOnly = /^\/apis\/([^/]+)\/?$/.exec(url.pathname);
    if (groupOnly) {
      const g = groups().find((x) => x.name === groupOnly[1]);
      if (!g) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      sendJson(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...g });
      return;
    }
    const route = parseRoute(url.pathname);
    if (!route) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    if (route === 'discovery') {
      const parts = url.pathname.split('/').filter(Boolean);
      const list = parts[0] === 'api' ? resourceList('', parts[1]!) : resourceList(parts[1]!, parts[2]!);
      if (!list) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      sendJson(res, 200, list);
      return;
    }
    if (route.group === 'metrics.k8s.io') {
      if (method !== 'GET')
        throw new ApiError(
          405,
          'MethodNotAllowed',
          'the server does not allow this method on the requested resource',
        );
      serveMetrics(res, route);
      return;
    }
    const t = findResource(route.group, route.version, route.resource);
    if (!t) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    if ((t.namespaced !== Boolean(route.namespace) && route.name) || (!t.namespaced && route.namespace))
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const namespace = route.namespace;
    const dryRun = q.getAll('dryRun').includes('All');
    const w: WriteOptions = {
      manager: managerOf(req, q),
      dryRun,
      ...(route.subresource === 'status' ? { subresource: 'status' } : {}),
    };
    const sub = route.subresource;
    if (
      sub &&
      !(sub === 'status' && t.status) &&
      !(sub === 'log' && t === PODS) &&
      !(sub === 'exec' && t === PODS) &&
      !(sub === 'ephemeralcontainers' && t === PODS) &&
      !(sub === 'scale' && t === DEPLOYMENTS)
    ) {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
    if (sub === 'exec') throw new ApiError(400, 'BadRequest', 'Upgrade request required');
    const contentType = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim();

    if (!route.name) {
      if (method === 'GET') {
        if (q.get('watch') === 'true' || q.get('watch') === '1') return serveWatch(req, res, t, namespace, q);
        return sendJson(res, 200, listObjects(t, namespace, q));
      }
      if (method === 'POST') {
        if (t.namespaced && !namespace)
          throw new ApiError(
            405,
            'MethodNotAllowed',
            'the server does not allow this method on the requested resource',
          );
        const body = parseBody(await readBody(req), contentType);
        return sendJson(res, 201, api.create(t, namespace, body, w));
      }
      if (method === 'DELETE') {
        const list = listObjects(t, namespace, q);
        const d = deleteOptions(q, parseBody(await readBody(req), contentType));
        for (const o of list.items) {
          try {
            api.delete(t, str(o, 'metadata', 'namespace') ?? '', str(o, 'metadata', 'name') ?? '', d);
          } catch (e) {
            if (!(e instanceof ApiError && e.code === 404)) throw e;
          }
        }
        return sendJson(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' });
      }
      throw new ApiError(
        405,
        'MethodNotAllowed',
        'the server does not allow this method on the requested resource',
      );
    }

    const name = route.name;
    if (sub === 'log') {
      if (method !== 'GET')
        throw new ApiError(
          405,
          'MethodNotAllowed',
          'the server does not allow this method on the requested resource',
        );
      return serveLog(req, res, namespace, name, q);
    }
    if (sub === 'ephemeralcontainers') {
      // testing/ephemeral.ts: the only way to add an ephemeral container; never change or remove one
      const current = api.read(t, namespace, name);
      if (method === 'GET') return sendJson(res, 200, current);
      const body = await readBody(req);
      let next: unknown;
      if (method === 'PUT') next = parseBody(body, contentType);
      else if (method === 'PATCH') next = api.patchPreview(current, contentType, body);
      else
        throw new ApiError(
          405,
          'MethodNotAllowed',
          'the server does not allow this method on the requested resource',
        );
      const rv = str(next, 'metadata', 'resourceVersion');
      if (method === 'PUT' && rv && rv !== str(current, 'metadata', 'resourceVersion'))
        throw new ApiError(
          409,
          'Conflict',
          `Operation cannot be fulfilled on pods "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
      const pod = withEphemeralContainers(current, next);
      delete (pod.metadata as Obj).resourceVersion;
      return sendJson(res, 200, api.replace(t, namespace, name, pod, { ...w, internal: true }));
    }
    if (sub === 'scale') {
      if (method === 'GET') return sendJson(res, 200, scaleOf(api.read(t, namespace, name)));
      const body = await readBody(req);
      const current = api.read(t, namespace, name);
      let scale: unknown;
      if (method === 'PUT') scale = parseBody(body, contentType);
      else if (method === 'PATCH') {
        const patched = api.patchPreview(scaleOf(current), contentType, body);
        scale = patched;
      } else
        throw new ApiError(
          405,
          'MethodNotAllowed',
          'the server does not allow this method on the requested resource',
        );
      const replicas = num(scale, 'spec', 'replicas');
      if (replicas === undefined) throw new ApiError(422, 'Invalid', 'spec.replicas: Required value');
      const rv = str(scale, 'metadata', 'resourceVersion');
      if (method === 'PUT' && rv && rv !== str(current, 'metadata', 'resourceVersion')) {
        throw new ApiError(
          409,
          'Conflict',
          `Operation cannot be fulfilled on deployments.apps "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
      }
      const next = clone(current);
      (next.spec as Obj).replicas = replicas;
      delete (next.metadata as Obj).resourceVersion;
      return sendJson(
        res,
        200,
        scaleOf(api.replace(t, namespace, name, next, { ...w, subresource: undefined })),
      );
    }
    switch (method) {
      case 'GET':
        return sendJson(res, 200, api.read(t, namespace, name));
      case 'PUT': {
        const body = parseBody(await readBody(req), contentType);
        return sendJson(res, 200, api.replace(t, namespace, name, body, w));
      }
      case 'PATCH': {
        const body = await readBody(req);
        const force = q.get('force') === 'true';
        const existed = Boolean(store.get(t, namespace, name));
        const out = api.patch(t, namespace, name, contentType, body, { ...w, force });
        return sendJson(res, existed ? 200 : 201, out);
      }
      case 'DELETE': {
        const d = deleteOptions(q, parseBody(await readBody(req), contentType));
        const out = api.delete(t, namespace, name, d);
        return sendJson(
          res,
          out.kind === 'Status' || !str(out, 'metadata', 'deletionTimestamp') ? 200 : 200,
          out,
        );
      }
      default:
        throw new ApiError(
          405,
          'MethodNotAllowed',
          'the server does not allow this method on the requested resource',
        );
    }
  };

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res).catch((e: unknown) => {
      const err =
        e instanceof ApiError
          ? e
          : new ApiError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`);
      if (res.headersSent) {
        res.end();
        return;
      }
      sendJson(res, err.code, err.toStatus());
    });
  };

  const cert = opts.tls === false ? undefined : await localCertificate();
  const server = cert
    ? https.createServer({ key: cert.key, cert: cert.cert }, onRequest)
    : http.createServer(onRequest);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  // ---------- pods/exec over WebSocket ----------
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered: Set<string>) => protocols.find((p) => offered.has(p)) ?? false,
  });
  const refuse = (socket: Duplex, err: ApiError) => {
    const body = JSON.stringify(err.toStatus());
    socket.end(
      `HTTP/1.1 ${err.code} ${http.STATUS_CODES[err.code] ?? 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  };
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    try {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      requests.push({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams });
      if (!authorized(req)) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
      const route = parseRoute(url.pathname);
      if (
        !route ||
        route === 'discovery' ||
        route.resource !== 'pods' ||
        route.subresource !== 'exec' ||
        !route.name
      ) {
        throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      }
      const { pod, rtm } = sim.runtime(route.namespace, route.name);
      const q = url.searchParams;
      const command = q.getAll('command');
      if (command.length === 0) throw new ApiError(400, 'BadRequest', 'you must specify at least 1 command');
      const names = objs(pod, 'spec', 'containers').map((c) => str(c, 'name') ?? '');
      const ephemeral = objs(pod, 'spec', 'ephemeralContainers');
      const container = q.get('container') || (names.length === 1 ? names[0]! : '');
      if (!container)
        throw new ApiError(
          400,
          'BadRequest',
          `a container name must be specified for pod ${route.name}, choose one of: [${names.join(' ')}]`,
        );
      const c = rtm.containers.get(container);
      if (!c)
        throw new ApiError(400, 'BadRequest', `container ${container} is not valid for pod ${route.name}`);
      if (c.state !== 'running')
        throw new ApiError(400, 'BadRequest', `container ${container} is not running`);
      const bool = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
      const spec = [...objs(pod, 'spec', 'containers'), ...ephemeral].find(
        (x) => str(x, 'name') === container,
      )!;
      const uid =
        num(spec, 'securityContext', 'runAsUser') ??
        num(pod, 'spec', 'securityContext', 'runAsUser') ??
        65534;
      const podSignal = rtm.stopped.signal;
      const instance = c.instance.signal;
      wss.handleUpgrade(req, socket, head, (ws) => {
        serveExec(ws, {
          handler: ephemeralExec(execHandler, stopEphemeral),
          base: {
            namespace: route.namespace,
            pod,
            container,
            command,
            tty: bool('tty'),
            env: containerEnv(pod, spec),
            uid,
          },
          wantStdin: bool('stdin'),
          wantStdout: bool('stdout'),
          wantStderr: bool('stderr'),
          podSignal: AbortSignal.any([podSignal, instance]),
        });
      });
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(500, 'InternalError', (e as Error).message);
      refuse(socket, err);
    }
  });

  /** An ephemeral container's main process was killed (testing/ephemeral.ts): it ends, never restarts. */
  const stopEphemeral = (namespace: string, pod: string, container: string) => {
    const { rtm } = sim.runtime(namespace, pod);
    rtm.terminate(container, { exitCode: 143, reason: 'Error' }, api.timestamp(), false);
    sim.schedule();
  };

  /** The environment the kubelet would give a container. */
  const containerEnv = (pod: Obj, spec: Obj): Record<string, string> => {
    const namespace = str(pod, 'metadata', 'namespace') ?? '';
    const env: Record<string, string> = {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOSTNAME: str(pod, 'metadata', 'name') ?? '',
    };
    const dataOf = (t: ResourceType, ref: string) => {
      const o = store.get(t, namespace, ref);
      const data = strMap(o, 'data');
      if (t !== SECRETS) return data;
      return Object.fromEntries(
        Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
      );
    };
    for (const from of objs(spec, 'envFrom')) {
      const prefix = str(from, 'prefix') ?? '';
      const secret = str(from, 'secretRef', 'name');
      const cm = str(from, 'configMapRef', 'name');
      const data = secret ? dataOf(SECRETS, secret) : cm ? dataOf(CONFIGMAPS, cm) : {};
      for (const [k, v] of Object.entries(data)) env[prefix + k] = v;
    }
    for (const e of objs(spec, 'env')) {
      const key = str(e, 'name') ?? '';
      if (typeof e.value === 'string') env[key] = e.value;
      else if (isObj(e.valueFrom)) {
        const vf = e.valueFrom;
        const sk = isObj(vf.secretKeyRef) ? vf.secretKeyRef : undefined;
        const ck = isObj(vf.configMapKeyRef) ? vf.configMapKeyRef : undefined;
        const fr = str(vf, 'fieldRef', 'fieldPath');
        if (sk) {
          const v = dataOf(SECRETS, String(sk.name))[String(sk.key)];
          if (v !== undefined) env[key] = v;
        } else if (ck) {
          const v = dataOf(CONFIGMAPS, String(ck.name))[String(ck.key)];
          if (v !== undefined) env[key] = v;
        } else if (fr) {
          const v = fr.split('.').reduce<unknown>((o, k) => (isObj(o) ? o[k] : undefined), pod);
          if (v !== undefined) env[key] = typeof v === 'object' ? JSON.stringify(v) : text(v);
        }
      } else env[key] = '';
    }
    return env;
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${cert ? 'https' : 'http'}://127.0.0.1:${port}`;
  const kubeconfig = stringifyYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'fake',
        cluster: {
          server: url,
          ...(cert
            ? { 'certificate-authority-data': Buffer.from(cert.cert).toString('base64') }
            : { 'insecure-skip-tls-verify': true }),
        },
      },
    ],
    users: [{ name: 'fake', user: { token } }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake', namespace: 'default' } }],
    'current-context': 'fake',
  });

  const runtimeOf = (namespace: string, pod: string) => sim.runtime(namespace, pod);
  const syncPod = (namespace: string, pod: string) => {
    const { pod: p, rtm } = runtimeOf(namespace, pod);
    sim.syncPodStatus(p, rtm);
  };
  const writeNodeReady = (nodeName: string, ready: boolean) => {
    const n = api.read(NODES, '', nodeName);
    const next = clone(n);
    next.status = {
      ...(isObj(n.status) ? n.status : {}),
      conditions: objs(n, 'status', 'conditions').map((c) =>
        c.type === 'Ready'
          ? {
              ...c,
              status: ready ? 'True' : 'Unknown',
              reason: ready ? 'KubeletReady' : 'NodeStatusUnknown',
              message: ready ? 'kubelet is posting ready status' : 'Kubelet stopped posting node status.',
              lastTransitionTime:
                c.status === (ready ? 'True' : 'Unknown') ? c.lastTransitionTime : api.timestamp(),
            }
          : c,
      ),
    };
    api.replace(NODES, '', nodeName, next, { manager: 'kubelet', subresource: 'status', internal: true });
  };

  return {
    url,
    kubeconfig,
    token,
    requests,
    errors: sim.errors,
    async close() {
      for (const w of [...watches]) w.end();
      await sim.close();
      for (const c of wss.clients) c.terminate();
      wss.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    settle: () => sim.idle(),
    advanceClock(seconds) {
      clockOffset += seconds * 1000;
      sim.schedule();
    },
    now: clock,
    setPodReady(namespace, pod, ready) {
      runtimeOf(namespace, pod).rtm.readyOverride = ready;
      syncPod(namespace, pod);
    },
    setReadinessPolicy(policy) {
      sim.opts.readiness = policy;
      sim.schedule();
    },
    killContainer(namespace, pod, how = {}) {
      const { pod: p, rtm } = runtimeOf(namespace, pod);
      const container = how.container ?? [...rtm.containers.keys()][0]!;
      const exitCode = how.exitCode ?? (how.reason === 'OOMKilled' ? 137 : 1);
      const reason = how.reason ?? (exitCode === 0 ? 'Completed' : 'Error');
      const policy = str(p, 'spec', 'restartPolicy') ?? 'Always';
      const restart = how.restart ?? (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0));
      rtm.terminate(container, { exitCode, reason }, api.timestamp(), restart);
      if (reason === 'OOMKilled')
        sim.event(
          p,
          'Warning',
          'OOMKilling',
          `Memory cgroup out of memory: Killed process in container ${container}`,
          'kernel-monitor',
          rtm.node,
        );
      if (restart) {
        sim.event(
          p,
          'Warning',
          'BackOff',
          `Back-off restarting failed container ${container} in pod ${pod}`,
          'kubelet',
          rtm.node,
        );
        sim.event(p, 'Normal', 'Started', `Started container ${container}`, 'kubelet', rtm.node);
      }
      syncPod(namespace, pod);
    },
    setPodProgram(program) {
      sim.opts.program = program;
    },
    setPodBackend(namespace, pod, backend) {
      runtimeOf(namespace, pod).rtm.backend = backend ?? undefined;
    },
    appendPodLog(namespace, pod, text, container) {
      const { rtm } = runtimeOf(namespace, pod);
      rtm.appendLog(container ?? [...rtm.containers.keys()][0]!, text, nanoTime(clock()));
    },
    setPodUsage(namespace, pod, usage, container) {
      const { rtm } = runtimeOf(namespace, pod);
      const c = rtm.containers.get(container ?? [...rtm.containers.keys()][0]!);
      if (c) c.usage = { ...usage };
    },
    setExecHandler(handler) {
      execHandler = handler ?? defaultExecHandler;
    },
    setExecProtocols(list) {
      protocols = [...list];
    },
    compact() {
      store.compact();
    },
    dropWatches() {
      for (const w of [...watches]) {
        w.end();
        w.res.socket?.destroy();
      }
    },
    expireWatches() {
      for (const w of [...watches]) {
        w.send('ERROR', expired(0, store.rv).toStatus());
        w.end();
      }
    },
    setNodeReady(nodeName, ready) {
      writeNodeReady(nodeName, ready);
    },
    setHealthy(ok) {
      healthy = ok;
    },
    podAddress(namespace, pod, containerPort) {
      const p = store.get(PODS, namespace, pod);
      const port = strMap(p, 'metadata', 'annotations')[`fake.berth.dev/port-${containerPort}`];
      return port ? { host: str(p, 'status', 'podIP') ?? '127.0.0.1', port: Number(port) } : undefined;
    },
  };
}

/** DeleteOptions from the query and/or the body. */
function deleteOptions(q: URLSearchParams, body: unknown): DeleteOptions {
  const b = isObj(body) ? body : {};
  const grace =
    q.get('gracePeriodSeconds') ??
    (typeof b.gracePeriodSeconds === 'number' ? String(b.gracePeriodSeconds) : null);
  const policy =
    q.get('propagationPolicy') ?? (typeof b.propagationPolicy === 'string' ? b.propagationPolicy : null);
  const orphan = q.get('orphanDependents') === 'true' || b.orphanDependents === true;
  const pre = isObj(b.preconditions) ? b.preconditions : undefined;
  return {
    ...(grace !== null ? { gracePeriodSeconds: Number(grace) } : {}),
    ...(policy === 'Background' || policy === 'Foreground' || policy === 'Orphan'
      ? { propagationPolicy: policy }
      : orphan
        ? { propagationPolicy: 'Orphan' as const }
        : {}),
    ...(pre
      ? {
          preconditions: {
            ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}),
            ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}),
          },
        }
      : {}),
    ...(q.getAll('dryRun').includes('All') || (Array.isArray(b.dryRun) && b.dryRun.includes('All'))
      ? { dryRun: true }
      : {}),
  };
}
