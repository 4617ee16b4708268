/**
 * The simulated kubelet's side of a pod: a real HTTP server on 127.0.0.1 per container port (so
 * a gateway or prober really reaches the pod), each container's state (running, terminated with a
 * reason and exit code, restarts), its log lines (with the previous instance's after a restart),
 * log followers, metrics usage, and the exec sessions to end when the container goes.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a pod's HTTP handler is told about the pod it serves. */
export interface PodInfo {
  namespace: string;
  name: string;
  uid: string;
  /** The container port the request came in on. */
  containerPort: number;
  labels: Record<string, string>;
}

/** Answers one request to a pod (default: 200 with the pod's name and a newline). */
export type PodBackend = (pod: PodInfo, req: http.IncomingMessage, res: http.ServerResponse) => void;

/** The default backend: the pod's name, so a test sees which replica answered. */
export const defaultPodBackend: PodBackend = (pod, _req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'x-pod-name': pod.name });
  res.end(`${pod.name}\n`);
};

/** One log line of a container. */
export interface LogLine {
  /** RFC 3339 with nanoseconds, as the kubelet writes with `timestamps=true`. */
  time: string;
  text: string;
}

/** The state of one container instance. */
export interface ContainerRuntime {
  name: string;
  image: string;
  containerID: string;
  state: 'running' | 'terminated';
  startedAt: string;
  finishedAt?: string;
  exitCode?: number;
  reason?: string;
  restartCount: number;
  /** The previous instance's termination (lastState.terminated). */
  last?: { exitCode: number; reason: string; startedAt: string; finishedAt: string; containerID: string };
  logs: LogLine[];
  previousLogs: LogLine[];
  /** Log followers; called with null when the instance ends. */
  followers: Set<(line: LogLine | null) => void>;
  /** metrics.k8s.io usage. */
  usage: { cpu: string; memory: string };
  /** Aborted when this instance ends (exec sessions in it end). */
  instance: AbortController;
}

/** One running pod. */
export class PodRuntime {
  readonly servers: { containerPort: number; hostPort: number; server: http.Server }[] = [];
  readonly containers = new Map<string, ContainerRuntime>();
  /** Names in `containers` that are ephemeral containers (testing/ephemeral.ts). */
  readonly ephemeral = new Set<string>();
  /** Readiness set by the test (undefined: the server's policy decides). */
  readyOverride: boolean | undefined;
  backend: PodBackend | undefined;
  /** Aborted when the pod stops: exec sessions and sleeps end. */
  readonly stopped = new AbortController();
  readonly startTime: string;
  node = '';

  constructor(
    readonly namespace: string,
    readonly name: string,
    readonly uid: string,
    startTime: string,
  ) {
    this.startTime = startTime;
  }

  /** Starts the HTTP servers of the container ports (127.0.0.1, ephemeral ports). */
  async listen(ports: number[], labels: Record<string, string>, fallback: () => PodBackend): Promise<void> {
    for (const containerPort of [...new Set(ports)]) {
      const info: PodInfo = {
        namespace: this.namespace,
        name: this.name,
        uid: this.uid,
        containerPort,
        labels,
      };
      const server = http.createServer((req, res) => (this.backend ?? fallback())(info, req, res));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      this.servers.push({ containerPort, hostPort: (server.address() as AddressInfo).port, server });
    }
  }

  /** Adds a container instance (first start). */
  addContainer(name: string, image: string, now: string): void {
    this.containers.set(name, {
      name,
      image,
      containerID: `containerd://${randomBytes(32).toString('hex')}`,
      state: 'running',
      startedAt: now,
      restartCount: 0,
      logs: [],
      previousLogs: [],
      followers: new Set(),
      usage: { cpu: '1m', memory: '8Mi' },
      instance: new AbortController(),
    });
  }

  /** Appends log lines to a container (split on newlines) and hands them to its followers. */
  appendLog(container: string, text: string, time: string): void {
    const c = this.containers.get(container);
    if (!c) return;
    const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
    for (const t of lines) {
      const line = { time, text: t };
      c.logs.push(line);
      for (const f of c.followers) f(line);
    }
  }

  /** Ends a container instance; with `restart` a new instance starts at once (restartCount + 1). */
  terminate(
    container: string,
    exit: { exitCode: number; reason: string },
    now: string,
    restart: boolean,
  ): void {
    const c = this.containers.get(container);
    if (!c || c.state !== 'running') return;
    for (const f of c.followers) f(null);
    c.followers.clear();
    c.instance.abort();
    if (restart) {
      c.instance = new AbortController();
      c.last = {
        exitCode: exit.exitCode,
        reason: exit.reason,
        startedAt: c.startedAt,
        finishedAt: now,
        containerID: c.containerID,
      };
      c.previousLogs = c.logs;
      c.logs = [];
      c.restartCount++;
      c.startedAt = now;
      c.containerID = `containerd://${randomBytes(32).toString('hex')}`;
    } else {
      c.state = 'terminated';
      c.exitCode = exit.exitCode;
      c.reason = exit.reason;
      c.finishedAt = now;
    }
  }

  /** Stops everything: servers closed, followers ended, exec sessions aborted. */
  async stop(): Promise<void> {
    this.stopped.abort();
    for (const c of this.containers.values()) {
      for (const f of c.followers) f(null);
      c.followers.clear();
    }
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.server.closeAllConnections();
            s.server.close(() => resolve());
          }),
      ),
    );
  }
}

/** A stable image digest for an image reference (what `imageID` reports). */
export function imageID(image: string): string {
  const repo = image.split('@')[0]!.replace(/:[^/:]+$/, '');
  const full = repo.includes('/')
    ? repo.split('/')[0]!.includes('.')
      ? repo
      : `docker.io/${repo}`
    : `docker.io/library/${repo}`;
  return `${full}@sha256:${createHash('sha256').update(image).digest('hex')}`;
}
