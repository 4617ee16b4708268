/**
 * Ephemeral containers in the test API server (docs/kubernetes-testing.md), as Kubernetes ≥ 1.25
 * has them: the `pods/ephemeralcontainers` subresource (GET, PUT, PATCH — merge, strategic merge
 * with `ephemeralContainers` keyed by name, JSON patch) is the only way to change a pod's
 * `spec.ephemeralContainers`; containers can be added, never changed or removed (422); a new one
 * needs a unique DNS-label name, an image, a `targetContainerName` naming one of the pod's
 * containers (when set) and none of the fields an ephemeral container cannot have (ports,
 * probes, resources, lifecycle). The simulated kubelet starts each new one in a running pod
 * (`status.ephemeralContainerStatuses`, running until it is stopped; it never restarts and
 * never counts for the pod's readiness or phase), and exec reaches it by its name.
 *
 * The process model is the small one the exec handler has: a main command of the form
 * `sh -c 'echo $$ >FILE; exec …'` records FILE as its pid file, and an exec of
 * `sh -c 'kill "$(cat FILE)"'` in that container ends it (exit 143, reason Error) — how Berth
 * stops a debug container (there is no API to remove or stop one). Its `sleep TTL` does not end
 * by itself on the server's clock.
 */
import { ApiError } from './status';
import { clone, deepEqual, isObj, objs, str, type Obj } from './json';
import type { ExecHandler } from './exec';
import type { PodRuntime } from './pod-runtime';

/** Fields an ephemeral container may not set (the apiserver's validation). */
const forbidden = [
  'ports',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'resources',
  'lifecycle',
  'resizePolicy',
];

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function invalid(pod: string, causes: { field: string; message: string }[]): ApiError {
  return new ApiError(
    422,
    'Invalid',
    `Pod "${pod}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`,
    { name: pod, kind: 'Pod', causes: causes.map((c) => ({ reason: 'FieldValueInvalid', ...c })) },
  );
}

/**
 * The pod with the ephemeral containers of `next` (the body of a PUT, or the current pod with a
 * PATCH applied), after the apiserver's checks; throws a 422 ApiError otherwise.
 */
export function withEphemeralContainers(current: Obj, next: unknown): Obj {
  const name = str(current, 'metadata', 'name') ?? '';
  const before = objs(current, 'spec', 'ephemeralContainers');
  const after = isObj(next) ? objs(next, 'spec', 'ephemeralContainers') : [];
  const causes: { field: string; message: string }[] = [];
  for (const old of before) {
    const same = after.find((c) => str(c, 'name') === str(old, 'name'));
    if (!same || !deepEqual(same, old))
      causes.push({
        field: 'spec.ephemeralContainers',
        message: `Forbidden: existing ephemeral containers "${str(old, 'name') ?? ''}" may not be changed`,
      });
  }
  const taken = new Set(
    [...objs(current, 'spec', 'containers'), ...objs(current, 'spec', 'initContainers')].map(
      (c) => str(c, 'name') ?? '',
    ),
  );
  const apps = new Set(objs(current, 'spec', 'containers').map((c) => str(c, 'name') ?? ''));
  after.forEach((c, i) => {
    const at = `spec.ephemeralContainers[${i}]`;
    const cname = str(c, 'name') ?? '';
    if (before.some((o) => str(o, 'name') === cname)) return;
    if (!dnsLabel.test(cname))
      causes.push({ field: `${at}.name`, message: `Invalid value: "${cname}": must be a DNS label` });
    if (taken.has(cname)) causes.push({ field: `${at}.name`, message: `Duplicate value: "${cname}"` });
    taken.add(cname);
    if (!str(c, 'image')) causes.push({ field: `${at}.image`, message: 'Required value' });
    const target = str(c, 'targetContainerName');
    if (target !== undefined && !apps.has(target))
      causes.push({
        field: `${at}.targetContainerName`,
        message: `Not found: "${target}"`,
      });
    for (const f of forbidden)
      if (c[f] !== undefined)
        causes.push({ field: `${at}.${f}`, message: 'Forbidden: cannot be set for an Ephemeral Container' });
  });
  if (causes.length) throw invalid(name, causes);
  const out = clone(current);
  (out.spec as Obj).ephemeralContainers = clone(after);
  return out;
}

/** The pid file a main command `sh -c 'echo $$ >FILE; exec …'` writes, if it is of that form. */
export function pidFileOf(container: Obj): string | undefined {
  const argv = (Array.isArray(container.command) ? (container.command as unknown[]) : []).map(String);
  if (argv[0] !== 'sh' || argv[1] !== '-c') return undefined;
  return /^echo \$\$ ?> ?(\S+);/.exec(argv[2] ?? '')?.[1];
}

/** Starts, in a running pod's runtime, the ephemeral containers it does not run yet; returns their names. */
export function startEphemeral(pod: Obj, rtm: PodRuntime, now: string): string[] {
  const started: string[] = [];
  for (const c of objs(pod, 'spec', 'ephemeralContainers')) {
    const cname = str(c, 'name') ?? '';
    if (rtm.containers.has(cname)) continue;
    rtm.addContainer(cname, str(c, 'image') ?? '', now);
    rtm.ephemeral.add(cname);
    started.push(cname);
  }
  return started;
}

/** `status.ephemeralContainerStatuses` from the runtime (never ready, no restarts). */
export function ephemeralStatuses(pod: Obj, rtm: PodRuntime): Obj[] {
  return objs(pod, 'spec', 'ephemeralContainers')
    .map((sc) => rtm.containers.get(str(sc, 'name') ?? ''))
    .filter((c) => c !== undefined)
    .map((c) => ({
      name: c.name,
      image: c.image,
      imageID: '',
      containerID: c.containerID,
      ready: false,
      restartCount: 0,
      state:
        c.state === 'running'
          ? { running: { startedAt: c.startedAt } }
          : {
              terminated: {
                exitCode: c.exitCode,
                reason: c.reason,
                startedAt: c.startedAt,
                finishedAt: c.finishedAt,
                containerID: c.containerID,
              },
            },
      lastState: {},
    }));
}

/**
 * Wraps an exec handler: in an ephemeral container, `sh -c 'kill "$(cat FILE)"'` with FILE its
 * main command's pid file ends the container (`stop`); everything else goes to `next`.
 */
export function ephemeralExec(
  next: ExecHandler,
  stop: (namespace: string, pod: string, container: string) => void,
): ExecHandler {
  return async (ctx) => {
    const spec = objs(ctx.pod, 'spec', 'ephemeralContainers').find((c) => str(c, 'name') === ctx.container);
    const file = spec ? pidFileOf(spec) : undefined;
    const m = /^kill (?:-TERM )?"?\$\(cat (\S+?)\)"?$/.exec(
      ctx.command[0] === 'sh' && ctx.command[1] === '-c' ? (ctx.command[2] ?? '').trim() : '',
    );
    if (file && m && m[1] === file) {
      stop(ctx.namespace, str(ctx.pod, 'metadata', 'name') ?? '', ctx.container);
      return 0;
    }
    return next(ctx);
  };
}
