/**
 * The controller simulation of the test API server, so an engine can be tested end to end: the
 * deployment controller (a ReplicaSet per pod-template hash, RollingUpdate with maxSurge and
 * maxUnavailable as pkg/controller/deployment computes them, Recreate, revision annotations,
 * history cleanup, adoption of ownerless ReplicaSets its selector matches, status and the
 * Available/Progressing conditions with the progress deadline on the server's clock), the
 * ReplicaSet controller (pods from the template, scale down preferring unready and newer pods),
 * a scheduler (round robin over Ready nodes; no resource fit), the
 * kubelet (pods start at once with a real HTTP server per container port, readiness by policy
 * or test hook, container kills and restarts, graceful termination), the namespace controller
 * (a deleted namespace is emptied, then goes) and the service account controller (`default`).
 * Core Events are recorded for what the real components report.
 *
 * Every pass is level-triggered: it reads the store, writes only differences, and runs again
 * after any change — so it settles, and a test waits for a condition, never for a sleep.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ApiError } from './status';
import { clone, deepEqual, isObj, num, objs, str, strMap, type Obj } from './json';
import type { Api } from './api';
import { ephemeralStatuses, startEphemeral } from './ephemeral';
import { imageID, PodRuntime, type PodBackend } from './pod-runtime';
import { findResource, resourceTypes, type ResourceType } from './resources';
import { fromLabelSelectorObject, matchLabels } from './selectors';
import type { Store } from './store';

const rt = (group: string, resource: string) => findResource(group, 'v1', resource)!;
const PODS = rt('', 'pods');
const NODES = rt('', 'nodes');
const NAMESPACES = rt('', 'namespaces');
const EVENTS = rt('', 'events');
const SERVICEACCOUNTS = rt('', 'serviceaccounts');
const DEPLOYMENTS = rt('apps', 'deployments');
const REPLICASETS = rt('apps', 'replicasets');

/** When a started pod counts as Ready. */
export type ReadinessPolicy = 'immediate' | 'manual' | ((pod: Obj) => boolean);

/** A started pod as its program sees it. */
export interface ProgramPod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /** The `app` container's (first container's) command and args, as the spec has them. */
  command: string[];
  args: string[];
}

/**
 * What a started pod's process does, set by a test: the output it writes and how it ends
 * (`exitCode`; `reason` defaults as the kubelet reports it: Completed for 0, Error otherwise,
 * and exit 137 for OOMKilled), or null to run until stopped (the default for every pod).
 */
export type PodProgram = (
  pod: ProgramPod,
) => { output?: string; exitCode: number; reason?: string } | null | undefined;

/** Options of the simulation. */
export interface SimulationOptions {
  readiness: ReadinessPolicy;
  /** What started pods run (default: none ends by itself). */
  program?: PodProgram | null;
  backend: PodBackend;
  /** Pods ignore SIGTERM and go only when their grace period has passed on the clock (default: at once). */
  holdTermination: boolean;
}

const CM = 'kube-controller-manager';
const KUBELET = 'kubelet';
const all = (r: ResourceType, namespace?: string) => ({
  rt: r,
  labels: [],
  fields: [],
  ...(namespace ? { namespace } : {}),
});
const name = (o: Obj) => str(o, 'metadata', 'name') ?? '';
const nsName = (o: Obj) => str(o, 'metadata', 'namespace') ?? '';
const uidOf = (o: Obj) => str(o, 'metadata', 'uid') ?? '';
const controllerOf = (o: Obj) => objs(o, 'metadata', 'ownerReferences').find((r) => r.controller === true);
const seconds = (ts: string | undefined) => (ts ? Date.parse(ts) / 1000 : 0);

/** An int-or-percent of a total, rounded up (surge) or down (unavailable), as intstr.GetScaledValueFromIntOrPercent. */
function scaled(v: unknown, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.endsWith('%')) {
    const x = (Number(v.slice(0, -1)) * total) / 100;
    return roundUp ? Math.ceil(x) : Math.floor(x);
  }
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return 0;
}

/** The pod-template-hash of a template: stable, 10 characters of the apiserver's safe alphabet. */
export function templateHash(template: unknown): string {
  const digest = createHash('sha256').update(canonical(template)).digest();
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  for (let i = 0; i < 10; i++) s += alphabet[digest[i]! % alphabet.length];
  return s;
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObj(v)) {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => v[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The controllers, the scheduler and the kubelet of the test API server. */
export class Simulation {
  readonly pods = new Map<string, PodRuntime>();
  private readonly starting = new Set<string>();
  private scheduled = false;
  private running = false;
  private again = false;
  private closed = false;
  private nextNode = 0;
  /** Errors a pass hit (a test can assert there are none). */
  readonly errors: Error[] = [];
  private idleWaiters: (() => void)[] = [];
  /** The kubelet's grace timer (holdTermination): a pass when the earliest held pod's grace ends. */
  private graceTimer: NodeJS.Timeout | null = null;
  private graceAt = Infinity;

  constructor(
    private readonly api: Api,
    private readonly store: Store,
    private readonly clock: () => number,
    readonly opts: SimulationOptions,
  ) {
    store.onChange(() => this.schedule());
    api.onNamespaceTerminating = () => this.schedule();
  }

  /** Runs a pass soon (coalesced). */
  schedule(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pass();
    });
  }

  /** Runs a pass once the clock reaches `atMs` (the earliest such wish wins; later ones follow it). */
  private wakeAt(atMs: number): void {
    if (this.closed || atMs >= this.graceAt) return;
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceAt = atMs;
    this.graceTimer = setTimeout(
      () => {
        this.graceTimer = null;
        this.graceAt = Infinity;
        this.schedule();
      },
      Math.max(0, atMs - this.clock()) + 10,
    );
  }

  /** Resolves when no pass is pending or running and no pod is starting. */
  async idle(): Promise<void> {
    if (!this.scheduled && !this.running && this.starting.size === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pass(): void {
    if (this.closed) return;
    this.running = true;
    try {
      for (let i = 0; i < 20; i++) {
        this.again = false;
        this.namespaces();
        this.deployments();
        this.replicaSets();
        this.kubelet();
        if (!this.again) break;
      }
    } catch (e) {
      this.errors.push(e as Error);
    } finally {
      this.running = false;
    }
    if (this.again) this.schedule();
    else if (this.starting.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private now(offset = 0): string {
    return this.api.timestamp(offset);
  }

  /** Records a core/v1 Event about an object. */
  event(
    involved: Obj,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    component: string,
    host?: string,
  ): void {
    const namespace = nsName(involved) || 'default';
    if (!this.store.get(NAMESPACES, '', namespace)) return;
    const ts = this.now();
    try {
      this.api.create(
        EVENTS,
        namespace,
        {
          metadata: { name: `${name(involved)}.${randomBytes(8).toString('hex')}`, namespace },
          involvedObject: {
            apiVersion: involved.apiVersion,
            kind: involved.kind,
            namespace: nsName(involved) || undefined,
            name: name(involved),
            uid: uidOf(involved),
            resourceVersion: str(involved, 'metadata', 'resourceVersion'),
          },
          reason,
          message,
          source: { component, ...(host ? { host } : {}) },
          firstTimestamp: ts,
          lastTimestamp: ts,
          count: 1,
          type,
          eventTime: null,
          reportingComponent: component,
          reportingInstance: host ?? '',
        },
        { manager: component, internal: true },
      );
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 403)) throw e;
    }
  }

  // ---- namespace and service account controllers ----

  private namespaces(): void {
    for (const ns of this.store.peek(all(NAMESPACES))) {
      const n = name(ns);
      if (str(ns, 'metadata', 'deletionTimestamp')) {
        for (const r of resourceTypes) {
          if (!r.namespaced) continue;
          for (const o of this.store.peek(all(r, n))) {
            if (r === PODS) this.stopPod(o);
            // Everything in the namespace goes: no garbage collection to walk.
            this.store.remove(r, o);
          }
        }
        this.api.forceRemove(NAMESPACES, ns);
        continue;
      }
      if (!this.store.get(SERVICEACCOUNTS, n, 'default')) {
        this.api.create(
          SERVICEACCOUNTS,
          n,
          { metadata: { name: 'default' } },
          { manager: CM, internal: true },
        );
      }
    }
  }

  // ---- deployment controller ----

  private deployments(): void {
    for (const d of this.store.peek(all(DEPLOYMENTS))) {
      if (str(d, 'metadata', 'deletionTimestamp')) continue;
      this.syncDeployment(d);
    }
  }

  /**
   * The Deployment's ReplicaSets, after adopting the ownerless ones its selector matches (as the
   * real controller's ControllerRefManager does: a Deployment deleted with `propagationPolicy:
   * Orphan` and created again takes its ReplicaSets back, and their pods with them).
   */
  private ownedReplicaSets(d: Obj): Obj[] {
    const selector = fromLabelSelectorObject(isObj(d.spec) ? d.spec.selector : undefined);
    const out: Obj[] = [];
    for (const rs of this.store.peek(all(REPLICASETS, nsName(d)))) {
      if (str(rs, 'metadata', 'deletionTimestamp')) continue;
      if (controllerOf(rs)?.uid === uidOf(d)) out.push(rs);
      else if (
        !controllerOf(rs) &&
        selector.length > 0 &&
        matchLabels(selector, strMap(rs, 'metadata', 'labels'))
      )
        out.push(this.adopt(rs, d));
    }
    return out;
  }

  private adopt(rs: Obj, d: Obj): Obj {
    const next = clone(rs);
    (next.metadata as Obj).ownerReferences = [
      ...objs(rs, 'metadata', 'ownerReferences'),
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: name(d),
        uid: uidOf(d),
        controller: true,
        blockOwnerDeletion: true,
      },
    ];
    return this.api.replace(REPLICASETS, nsName(rs), name(rs), next, { manager: CM, internal: true });
  }

  private scaleReplicaSet(rs: Obj, replicas: number, d: Obj): Obj {
    if (num(rs, 'spec', 'replicas') === replicas) return rs;
    const before = num(rs, 'spec', 'replicas') ?? 0;
    const next = clone(rs);
    (next.spec as Obj).replicas = replicas;
    const md = next.metadata as Obj;
    md.annotations = {
      ...strMap(rs, 'metadata', 'annotations'),
      'deployment.kubernetes.io/desired-replicas': String(num(d, 'spec', 'replicas') ?? 1),
    };
    const out = this.api.replace(REPLICASETS, nsName(rs), name(rs), next, { manager: CM, internal: true });
    this.event(
      d,
      'Normal',
      'ScalingReplicaSet',
      `Scaled ${replicas > before ? 'up' : 'down'} replica set ${name(rs)} from ${before} to ${replicas}`,
      'deployment-controller',
    );
    return out;
  }

  private syncDeployment(d: Obj): void {
    const spec = d.spec as Obj;
    const replicas = num(spec, 'replicas') ?? 1;
    const template = clone(isObj(spec.template) ? spec.template : {});
    const hash = templateHash(template);
    let rses = this.ownedReplicaSets(d);
    let newRS = rses.find((rs) => strMap(rs, 'metadata', 'labels')['pod-template-hash'] === hash);
    const revisionOf = (rs: Obj) =>
      Number(strMap(rs, 'metadata', 'annotations')['deployment.kubernetes.io/revision'] ?? 0);
    const maxRevision = Math.max(0, ...rses.map(revisionOf));
    const strategy = str(spec, 'strategy', 'type') ?? 'RollingUpdate';
    const maxSurgeRaw =
      isObj(spec.strategy) && isObj(spec.strategy.rollingUpdate)
        ? spec.strategy.rollingUpdate.maxSurge
        : undefined;
    const maxUnavRaw =
      isObj(spec.strategy) && isObj(spec.strategy.rollingUpdate)
        ? spec.strategy.rollingUpdate.maxUnavailable
        : undefined;
    const maxSurge = strategy === 'RollingUpdate' ? scaled(maxSurgeRaw, replicas, true) : 0;
    let maxUnavailable = strategy === 'RollingUpdate' ? scaled(maxUnavRaw, replicas, false) : 0;
    if (strategy === 'RollingUpdate' && maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
    if (maxUnavailable > replicas) maxUnavailable = replicas;
    const olds = () => rses.filter((rs) => rs !== newRS && uidOf(rs) !== (newRS ? uidOf(newRS) : ''));
    const sumSpec = (list: Obj[]) => list.reduce((s, rs) => s + (num(rs, 'spec', 'replicas') ?? 0), 0);
    const sumStatus = (list: Obj[], f: string) => list.reduce((s, rs) => s + (num(rs, 'status', f) ?? 0), 0);
    let progressed = false;
    let created = false;

    if (!newRS) {
      const labels = { ...strMap(template, 'metadata', 'labels'), 'pod-template-hash': hash };
      const tmd = isObj(template.metadata) ? template.metadata : (template.metadata = {});
      tmd.labels = labels;
      let initial = 0;
      if (strategy === 'RollingUpdate') {
        const current = sumSpec(rses);
        initial =
          olds().length === 0 && current === 0
            ? replicas
            : Math.max(0, Math.min(replicas, replicas + maxSurge - current));
      }
      const selector = clone(isObj(spec.selector) ? spec.selector : {});
      selector.matchLabels = { ...strMap(selector, 'matchLabels'), 'pod-template-hash': hash };
      const revision = String(maxRevision + 1);
      newRS = this.api.create(
        REPLICASETS,
        nsName(d),
        {
          metadata: {
            name: `${name(d)}-${hash}`,
            labels,
            annotations: {
              'deployment.kubernetes.io/revision': revision,
              'deployment.kubernetes.io/desired-replicas': String(replicas),
              'deployment.kubernetes.io/max-replicas': String(replicas + maxSurge),
            },
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'Deployment',
                name: name(d),
                uid: uidOf(d),
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          spec: {
            replicas: initial,
            selector,
            template,
            ...(spec.minReadySeconds ? { minReadySeconds: spec.minReadySeconds } : {}),
          },
        },
        { manager: CM, internal: true },
      );
      this.event(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${name(newRS)} from 0 to ${initial}`,
        'deployment-controller',
      );
      rses = [...rses, newRS];
      progressed = true;
      created = true;
      this.setRevision(d, revision);
    } else if (revisionOf(newRS) < maxRevision) {
      // A rollback to an older template: its ReplicaSet becomes the newest revision again.
      const next = clone(newRS);
      (next.metadata as Obj).annotations = {
        ...strMap(newRS, 'metadata', 'annotations'),
        'deployment.kubernetes.io/revision': String(maxRevision + 1),
      };
      newRS = this.api.replace(REPLICASETS, nsName(d), name(newRS), next, { manager: CM, internal: true });
      rses = rses.map((rs) => (uidOf(rs) === uidOf(newRS!) ? newRS! : rs));
      this.setRevision(d, String(maxRevision + 1));
    } else if (
      strMap(d, 'metadata', 'annotations')['deployment.kubernetes.io/revision'] !== String(revisionOf(newRS))
    ) {
      this.setRevision(d, String(revisionOf(newRS)));
    }
    const nrs = newRS;
    const replaceIn = (updated: Obj) =>
      (rses = rses.map((rs) => (uidOf(rs) === uidOf(updated) ? updated : rs)));

    if (strategy === 'Recreate') {
      for (const rs of olds())
        if ((num(rs, 'spec', 'replicas') ?? 0) > 0) replaceIn(this.scaleReplicaSet(rs, 0, d));
      const oldPods = this.store
        .peek(all(PODS, nsName(d)))
        .filter((p) => olds().some((rs) => controllerOf(p)?.uid === uidOf(rs)));
      if (oldPods.length === 0 && (num(nrs, 'spec', 'replicas') ?? 0) !== replicas) {
        replaceIn(this.scaleReplicaSet(nrs, replicas, d));
        progressed = true;
      }
    } else {
      // reconcileNewReplicaSet
      const cur = rses.find((rs) => uidOf(rs) === uidOf(nrs))!;
      const newSpec = num(cur, 'spec', 'replicas') ?? 0;
      if (newSpec > replicas) {
        replaceIn(this.scaleReplicaSet(cur, replicas, d));
        progressed = true;
      } else if (newSpec < replicas) {
        const total = sumSpec(rses);
        const room = replicas + maxSurge - total;
        if (room > 0) {
          replaceIn(this.scaleReplicaSet(cur, newSpec + Math.min(room, replicas - newSpec), d));
          progressed = true;
        }
      }
      // reconcileOldReplicaSets
      const newNow = rses.find((rs) => uidOf(rs) === uidOf(nrs))!;
      const oldList = olds().filter((rs) => (num(rs, 'spec', 'replicas') ?? 0) > 0);
      if (oldList.length > 0) {
        const allPods = sumSpec(rses);
        const minAvailable = replicas - maxUnavailable;
        const newUnavailable =
          (num(newNow, 'spec', 'replicas') ?? 0) - (num(newNow, 'status', 'availableReplicas') ?? 0);
        let maxScaledDown = allPods - minAvailable - newUnavailable;
        if (maxScaledDown > 0) {
          // cleanupUnhealthyReplicas: unavailable old pods go first
          for (const rs of oldList) {
            if (maxScaledDown <= 0) break;
            const specR = num(rs, 'spec', 'replicas') ?? 0;
            const unhealthy = specR - (num(rs, 'status', 'availableReplicas') ?? 0);
            const down = Math.min(maxScaledDown, unhealthy);
            if (down > 0) {
              replaceIn(this.scaleReplicaSet(rs, specR - down, d));
              maxScaledDown -= down;
              progressed = true;
            }
          }
          // scaleDownOldReplicaSetsForRollingUpdate
          const available = sumStatus(rses, 'availableReplicas');
          let budget = available - minAvailable;
          const oldest = olds()
            .filter((rs) => (num(rs, 'spec', 'replicas') ?? 0) > 0)
            .sort(
              (a, b) =>
                seconds(str(a, 'metadata', 'creationTimestamp')) -
                seconds(str(b, 'metadata', 'creationTimestamp')),
            );
          for (const rs of oldest) {
            if (budget <= 0) break;
            const specR = num(rs, 'spec', 'replicas') ?? 0;
            const down = Math.min(specR, budget);
            replaceIn(this.scaleReplicaSet(rs, specR - down, d));
            budget -= down;
            progressed = true;
          }
        }
      }
    }

    // cleanupDeployment: old ReplicaSets at 0 beyond revisionHistoryLimit
    const limit = num(spec, 'revisionHistoryLimit') ?? 10;
    const idleOld = olds()
      .filter((rs) => (num(rs, 'spec', 'replicas') ?? 0) === 0 && (num(rs, 'status', 'replicas') ?? 0) === 0)
      .sort((a, b) => revisionOf(a) - revisionOf(b));
    while (idleOld.length > limit) {
      const rs = idleOld.shift()!;
      this.api.delete(REPLICASETS, nsName(rs), name(rs), {});
      rses = rses.filter((x) => uidOf(x) !== uidOf(rs));
    }

    this.deploymentStatus(
      d,
      rses,
      rses.find((rs) => uidOf(rs) === uidOf(nrs))!,
      replicas,
      maxUnavailable,
      progressed,
      created,
    );
  }

  private setRevision(d: Obj, revision: string): void {
    const fresh = this.store.get(DEPLOYMENTS, nsName(d), name(d));
    if (!fresh) return;
    if (strMap(fresh, 'metadata', 'annotations')['deployment.kubernetes.io/revision'] === revision) return;
    this.api.patch(
      DEPLOYMENTS,
      nsName(d),
      name(d),
      'application/merge-patch+json',
      JSON.stringify({ metadata: { annotations: { 'deployment.kubernetes.io/revision': revision } } }),
      { manager: CM, internal: true },
    );
  }

  private deploymentStatus(
    d: Obj,
    rses: Obj[],
    newRS: Obj,
    replicas: number,
    maxUnavailable: number,
    scaled: boolean,
    created: boolean,
  ): void {
    const fresh = this.store.get(DEPLOYMENTS, nsName(d), name(d));
    if (!fresh) return;
    const prev = isObj(fresh.status) ? fresh.status : {};
    const sum = (f: string) => rses.reduce((s, rs) => s + (num(rs, 'status', f) ?? 0), 0);
    const total = sum('replicas');
    const updated = num(newRS, 'status', 'replicas') ?? 0;
    const ready = sum('readyReplicas');
    const available = sum('availableReplicas');
    const now = this.now();
    const conds = objs(prev, 'conditions').map((c) => clone(c));
    const setCond = (type: string, status: string, reason: string, message: string, touch: boolean) => {
      const c = conds.find((x) => x.type === type);
      if (!c) {
        conds.push({ type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message });
        return;
      }
      if (c.status !== status) c.lastTransitionTime = now;
      if (touch || c.status !== status || c.reason !== reason) c.lastUpdateTime = now;
      c.status = status;
      c.reason = reason;
      c.message = message;
    };
    if (available >= replicas - maxUnavailable)
      setCond('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', false);
    else
      setCond(
        'Available',
        'False',
        'MinimumReplicasUnavailable',
        'Deployment does not have minimum availability.',
        false,
      );
    const complete =
      updated === replicas &&
      available === replicas &&
      total === replicas &&
      (num(newRS, 'status', 'availableReplicas') ?? 0) === replicas;
    const progressing = conds.find((c) => c.type === 'Progressing');
    const moved =
      scaled ||
      updated > (num(prev, 'updatedReplicas') ?? 0) ||
      ready > (num(prev, 'readyReplicas') ?? 0) ||
      available > (num(prev, 'availableReplicas') ?? 0) ||
      total < (num(prev, 'replicas') ?? 0);
    const deadline = num(fresh, 'spec', 'progressDeadlineSeconds') ?? 600;
    if (complete) {
      if (progressing?.reason !== 'NewReplicaSetAvailable' || progressing.status !== 'True') {
        setCond(
          'Progressing',
          'True',
          'NewReplicaSetAvailable',
          `ReplicaSet "${name(newRS)}" has successfully progressed.`,
          true,
        );
      }
    } else if (created) {
      setCond(
        'Progressing',
        'True',
        'NewReplicaSetCreated',
        `Created new replica set "${name(newRS)}"`,
        true,
      );
    } else if (moved || !progressing) {
      setCond(
        'Progressing',
        'True',
        'ReplicaSetUpdated',
        `ReplicaSet "${name(newRS)}" is progressing.`,
        true,
      );
    } else if (
      // A complete rollout stays complete when a pod later turns unready (no deadline applies).
      progressing.reason !== 'NewReplicaSetAvailable' &&
      progressing.status === 'True' &&
      this.clock() / 1000 - seconds(str(progressing, 'lastUpdateTime')) > deadline
    ) {
      setCond(
        'Progressing',
        'False',
        'ProgressDeadlineExceeded',
        `ReplicaSet "${name(newRS)}" has timed out progressing.`,
        true,
      );
      this.event(
        fresh,
        'Warning',
        'ProgressDeadlineExceeded',
        `Deployment "${name(fresh)}" has timed out progressing.`,
        'deployment-controller',
      );
    }
    const status: Obj = {
      observedGeneration: num(fresh, 'metadata', 'generation') ?? 1,
      replicas: total,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: available,
      ...(replicas - available > 0 ? { unavailableReplicas: replicas - available } : {}),
      conditions: conds.sort((a, b) => (a.type === 'Available' ? -1 : b.type === 'Available' ? 1 : 0)),
    };
    if (ready === 0) delete status.readyReplicas;
    if (available === 0) delete status.availableReplicas;
    if (updated === 0) delete status.updatedReplicas;
    if (total === 0) delete status.replicas;
    if (deepEqual(fresh.status, status)) return;
    this.api.replace(
      DEPLOYMENTS,
      nsName(fresh),
      name(fresh),
      { ...fresh, status },
      { manager: CM, subresource: 'status', internal: true },
    );
  }

  // ---- replicaset controller ----

  private replicaSets(): void {
    for (const rs of this.store.peek(all(REPLICASETS))) {
      if (str(rs, 'metadata', 'deletionTimestamp')) continue;
      this.syncReplicaSet(rs);
    }
  }

  private podReady(p: Obj): boolean {
    return objs(p, 'status', 'conditions').some((c) => c.type === 'Ready' && c.status === 'True');
  }

  private syncReplicaSet(rs: Obj): void {
    const selector = fromLabelSelectorObject(getSpec(rs).selector);
    const pods = this.store
      .peek(all(PODS, nsName(rs)))
      .filter(
        (p) => controllerOf(p)?.uid === uidOf(rs) && matchLabels(selector, strMap(p, 'metadata', 'labels')),
      );
    const active = pods.filter(
      (p) =>
        !str(p, 'metadata', 'deletionTimestamp') &&
        !['Succeeded', 'Failed'].includes(str(p, 'status', 'phase') ?? ''),
    );
    const want = num(rs, 'spec', 'replicas') ?? 1;
    const template = isObj(getSpec(rs).template) ? (getSpec(rs).template as Obj) : {};
    if (active.length < want) {
      for (let i = active.length; i < want; i++) {
        const p = this.api.create(
          PODS,
          nsName(rs),
          {
            metadata: {
              generateName: `${name(rs)}-`,
              labels: strMap(template, 'metadata', 'labels'),
              ...(isObj(template.metadata) && isObj(template.metadata.annotations)
                ? { annotations: template.metadata.annotations }
                : {}),
              ownerReferences: [
                {
                  apiVersion: 'apps/v1',
                  kind: 'ReplicaSet',
                  name: name(rs),
                  uid: uidOf(rs),
                  controller: true,
                  blockOwnerDeletion: true,
                },
              ],
            },
            spec: clone(template.spec),
          },
          { manager: CM, internal: true },
        );
        active.push(p);
        this.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${name(p)}`, 'replicaset-controller');
      }
    } else if (active.length > want) {
      const rank = (p: Obj) => [
        str(p, 'spec', 'nodeName') ? 1 : 0,
        str(p, 'status', 'phase') === 'Running' ? 1 : 0,
        this.podReady(p) ? 1 : 0,
      ];
      const victims = [...active]
        .sort((a, b) => {
          const ra = rank(a);
          const rb = rank(b);
          for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
          return (
            seconds(str(b, 'metadata', 'creationTimestamp')) -
              seconds(str(a, 'metadata', 'creationTimestamp')) || (name(a) < name(b) ? 1 : -1)
          );
        })
        .slice(0, active.length - want);
      for (const p of victims) {
        this.api.delete(PODS, nsName(p), name(p), {});
        this.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name(p)}`, 'replicaset-controller');
      }
      active.splice(0, active.length, ...active.filter((p) => !victims.includes(p)));
    }
    const minReady = num(rs, 'spec', 'minReadySeconds') ?? 0;
    const nowS = this.clock() / 1000;
    const ready = active.filter((p) => this.podReady(p));
    const available = ready.filter((p) => {
      const c = objs(p, 'status', 'conditions').find((x) => x.type === 'Ready');
      return minReady === 0 || nowS - seconds(str(c, 'lastTransitionTime')) >= minReady;
    });
    const status: Obj = {
      replicas: active.length,
      fullyLabeledReplicas: active.length,
      readyReplicas: ready.length,
      availableReplicas: available.length,
      observedGeneration: num(rs, 'metadata', 'generation') ?? 1,
    };
    for (const k of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'])
      if (status[k] === 0) delete status[k];
    if (deepEqual(rs.status, status)) return;
    this.api.replace(
      REPLICASETS,
      nsName(rs),
      name(rs),
      { ...rs, status },
      { manager: CM, subresource: 'status', internal: true },
    );
  }

  // ---- scheduler and kubelet ----

  private kubelet(): void {
    const nodes = this.store
      .peek(all(NODES))
      .filter(
        (n) =>
          objs(n, 'status', 'conditions').some((c) => c.type === 'Ready' && c.status === 'True') &&
          !(isObj(n.spec) && n.spec.unschedulable === true),
      );
    const nowS = this.clock() / 1000;
    const pods = this.store.peek(all(PODS));
    // A pod removed without passing through the kubelet (grace 0, its namespace) stops here.
    const live = new Set(pods.map(uidOf));
    for (const [uid, rtm] of this.pods) {
      if (live.has(uid)) continue;
      this.pods.delete(uid);
      void rtm.stop();
    }
    for (const p of pods) {
      const uid = uidOf(p);
      const del = str(p, 'metadata', 'deletionTimestamp');
      if (del) {
        if (!this.opts.holdTermination || nowS >= seconds(del)) {
          const rtm = this.pods.get(uid);
          if (rtm)
            for (const c of rtm.containers.keys())
              this.event(p, 'Normal', 'Killing', `Stopping container ${c}`, KUBELET, rtm.node);
          this.stopPod(p);
          this.api.forceRemove(PODS, p);
        } else {
          // a kubelet ends the pod when its grace period runs out, whether or not anything changes
          this.wakeAt(seconds(del) * 1000);
        }
        continue;
      }
      if (!str(p, 'spec', 'nodeName')) {
        const node = nodes[this.nextNode++ % Math.max(1, nodes.length)];
        if (!node) continue; // Pending: no Ready node (the scheduler would report FailedScheduling)
        const next = clone(p);
        (next.spec as Obj).nodeName = name(node);
        const bound = this.api.replace(PODS, nsName(p), name(p), next, {
          manager: 'kube-scheduler',
          internal: true,
        });
        const withCond = clone(bound);
        withCond.status = {
          ...(isObj(bound.status) ? bound.status : {}),
          conditions: [
            { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: this.now() },
          ],
        };
        this.api.replace(PODS, nsName(p), name(p), withCond, {
          manager: 'kube-scheduler',
          subresource: 'status',
          internal: true,
        });
        this.event(
          p,
          'Normal',
          'Scheduled',
          `Successfully assigned ${nsName(p)}/${name(p)} to ${name(node)}`,
          'default-scheduler',
        );
        continue;
      }
      const rtm = this.pods.get(uid);
      if (!rtm) {
        if (!this.starting.has(uid)) this.startPod(p);
        continue;
      }
      this.syncPodStatus(p, rtm);
    }
  }

  private startPod(p: Obj): void {
    const uid = uidOf(p);
    this.starting.add(uid);
    const rtm = new PodRuntime(nsName(p), name(p), uid, this.now());
    rtm.node = str(p, 'spec', 'nodeName') ?? '';
    const containers = objs(p, 'spec', 'containers');
    const ports = containers
      .flatMap((c) => objs(c, 'ports').map((x) => num(x, 'containerPort') ?? 0))
      .filter((x) => x > 0);
    rtm
      .listen(ports, strMap(p, 'metadata', 'labels'), () => this.opts.backend)
      .then(() => {
        this.starting.delete(uid);
        const current = this.store.get(PODS, nsName(p), name(p));
        if (
          this.closed ||
          !current ||
          uidOf(current) !== uid ||
          str(current, 'metadata', 'deletionTimestamp')
        ) {
          void rtm.stop();
          this.schedule();
          return;
        }
        for (const c of containers) {
          const cname = str(c, 'name') ?? '';
          const image = str(c, 'image') ?? '';
          this.event(
            current,
            'Normal',
            'Pulled',
            `Container image "${image}" already present on machine`,
            KUBELET,
            rtm.node,
          );
          rtm.addContainer(cname, image, this.now());
          this.event(current, 'Normal', 'Created', `Created container ${cname}`, KUBELET, rtm.node);
          this.event(current, 'Normal', 'Started', `Started container ${cname}`, KUBELET, rtm.node);
        }
        this.pods.set(uid, rtm);
        this.runProgram(current, rtm);
        if (rtm.servers.length > 0) {
          const annotations: Record<string, string> = {};
          for (const s of rtm.servers)
            annotations[`fake.berth.dev/port-${s.containerPort}`] = String(s.hostPort);
          this.api.patch(
            PODS,
            nsName(p),
            name(p),
            'application/merge-patch+json',
            JSON.stringify({ metadata: { annotations } }),
            { manager: KUBELET, internal: true },
          );
        }
        this.schedule();
      })
      .catch((e: Error) => {
        this.starting.delete(uid);
        this.errors.push(e);
        this.schedule();
      });
  }

  /**
   * Runs the test's program in a pod that just started: its output goes to the first
   * container's log, then the container ends with the program's exit code and restarts as the
   * pod's restartPolicy says (Always; OnFailure for a non-zero code; Never: the pod ends
   * Succeeded or Failed on the next status sync).
   */
  private runProgram(p: Obj, rtm: PodRuntime): void {
    const first = objs(p, 'spec', 'containers')[0];
    const container = str(first ?? {}, 'name');
    if (!first || !container || !this.opts.program) return;
    const strs = (k: string) => (Array.isArray(first[k]) ? (first[k] as unknown[]).map(String) : []);
    const ran = this.opts.program({
      namespace: nsName(p),
      name: name(p),
      labels: strMap(p, 'metadata', 'labels'),
      command: strs('command'),
      args: strs('args'),
    });
    if (!ran) return;
    if (ran.output) rtm.appendLog(container, ran.output, this.now());
    const reason = ran.reason ?? (ran.exitCode === 0 ? 'Completed' : 'Error');
    const policy = str(p, 'spec', 'restartPolicy') ?? 'Always';
    const restart = policy === 'Always' || (policy === 'OnFailure' && ran.exitCode !== 0);
    rtm.terminate(container, { exitCode: ran.exitCode, reason }, this.now(), restart);
  }

  /** Whether a running pod is Ready now (test override, else the policy). */
  private wantsReady(p: Obj, rtm: PodRuntime): boolean {
    if ([...rtm.containers.values()].some((c) => c.state !== 'running' && !rtm.ephemeral.has(c.name)))
      return false;
    if (rtm.readyOverride !== undefined) return rtm.readyOverride;
    const policy = this.opts.readiness;
    if (policy === 'immediate') return true;
    if (policy === 'manual') return false;
    return policy(p);
  }

  /** Writes the pod's status from its runtime when it differs. */
  syncPodStatus(p: Obj, rtm: PodRuntime): void {
    const prev = isObj(p.status) ? p.status : {};
    if (prev.phase !== 'Succeeded' && prev.phase !== 'Failed')
      for (const c of startEphemeral(p, rtm, this.now())) {
        this.event(p, 'Normal', 'Created', `Created container ${c}`, KUBELET, rtm.node);
        this.event(p, 'Normal', 'Started', `Started container ${c}`, KUBELET, rtm.node);
      }
    const ready = this.wantsReady(p, rtm);
    const specContainers = objs(p, 'spec', 'containers');
    const statuses = specContainers.map((sc) => {
      const c = rtm.containers.get(str(sc, 'name') ?? '')!;
      const running = c.state === 'running';
      return {
        name: c.name,
        image: c.image,
        imageID: imageID(c.image),
        containerID: c.containerID,
        ready: running && ready,
        started: running,
        restartCount: c.restartCount,
        state: running
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
        lastState: c.last ? { terminated: c.last } : {},
      };
    });
    const allTerminated = statuses.length > 0 && statuses.every((s) => !s.started);
    const phase = allTerminated
      ? [...rtm.containers.values()].every((c) => c.exitCode === 0 || rtm.ephemeral.has(c.name))
        ? 'Succeeded'
        : 'Failed'
      : 'Running';
    const oldConds = objs(prev, 'conditions');
    const cond = (type: string, status: boolean) => {
      const s = status ? 'True' : 'False';
      const old = oldConds.find((c) => c.type === type);
      return {
        type,
        status: s,
        lastProbeTime: null,
        lastTransitionTime: old && old.status === s ? old.lastTransitionTime : this.now(),
      };
    };
    const status: Obj = {
      phase,
      conditions: [
        cond('PodReadyToStartContainers', true),
        cond('Initialized', true),
        cond('Ready', ready),
        cond('ContainersReady', ready),
        cond('PodScheduled', true),
      ],
      hostIP: '127.0.0.1',
      hostIPs: [{ ip: '127.0.0.1' }],
      podIP: '127.0.0.1',
      podIPs: [{ ip: '127.0.0.1' }],
      startTime: rtm.startTime,
      containerStatuses: statuses,
      qosClass: qosClass(specContainers),
    };
    const ephemeral = ephemeralStatuses(p, rtm);
    if (ephemeral.length) status.ephemeralContainerStatuses = ephemeral;
    if (!deepEqual(prev, status)) {
      const fresh = clone(p);
      fresh.status = status;
      this.api.replace(PODS, nsName(p), name(p), fresh, {
        manager: KUBELET,
        subresource: 'status',
        internal: true,
      });
    }
    if (phase !== 'Running' && prev.phase === 'Running') void rtm.stop();
  }

  /** Stops a pod's runtime (servers, followers, exec sessions). */
  stopPod(p: Obj): void {
    const rtm = this.pods.get(uidOf(p));
    if (!rtm) return;
    this.pods.delete(uidOf(p));
    void rtm.stop();
  }

  /** The runtime of a pod by namespace and name, or a 404 ApiError. */
  runtime(namespace: string, podName: string): { pod: Obj; rtm: PodRuntime } {
    const pod = this.store.get(PODS, namespace, podName);
    if (!pod)
      throw new ApiError(404, 'NotFound', `pods "${podName}" not found`, { name: podName, kind: 'pods' });
    const rtm = this.pods.get(uidOf(pod));
    if (!rtm)
      throw new ApiError(400, 'BadRequest', `container is waiting to start: pod ${podName} has not started`);
    return { pod, rtm };
  }

  /** Ends every pod runtime (server close). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.graceTimer) clearTimeout(this.graceTimer);
    await Promise.all([...this.pods.values()].map((r) => r.stop()));
    this.pods.clear();
    for (const w of this.idleWaiters) w();
  }
}

function getSpec(o: Obj): Obj {
  return isObj(o.spec) ? o.spec : {};
}

function qosClass(containers: Obj[]): string {
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const limits = strMap(c, 'resources', 'limits');
    const requests = { ...limits, ...strMap(c, 'resources', 'requests') };
    if (Object.keys(limits).length || Object.keys(requests).length) any = true;
    for (const r of ['cpu', 'memory']) if (!limits[r] || requests[r] !== limits[r]) guaranteed = false;
  }
  return guaranteed ? 'Guaranteed' : any ? 'Burstable' : 'BestEffort';
}
