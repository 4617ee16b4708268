/**
 * The objects of one service on one cluster, in apply order: its env Secret, the ConfigMaps of
 * its config versions, the claims of its volumes, the Deployment and the Service
 * (docs/kubernetes-objects.md, ADR 0007).
 *
 * ConfigMaps and claims belong to the environment, not to the service: two services may mount the
 * same config version or volume, and deleting a service must not delete a volume's data. They
 * carry the namespace's ownership labels plus `berth.config`/`berth.volume`, never
 * `berth.service`, so a service's garbage collection by `berth.service` leaves them alone.
 */
import { labelKeys, type KubeObject, type WorkloadSpec } from '@berth/engine-api';
import { InvalidError } from '@berth/shared';
import {
  canaryDeploymentName,
  canaryServiceName,
  claimName,
  configMapName,
  deploymentName,
  envSecretName,
  namespaceName,
  serviceObjectName,
} from '../names';
import { kubeKeys, mebibytes } from './common';
import { namespaceLabels } from './namespace';
import { configFileKey, podTemplate, workloadLabels, workloadSelector } from './pod';

/** Kubernetes keeps this many old ReplicaSets: the audit trail of templates (ADR 0007). */
export const revisionHistoryLimit = 10;

/** The objects of a service's workload, in apply order. */
export function workloadObjects(w: WorkloadSpec): KubeObject[] {
  const namespace = namespaceName(w.project, w.env, w.namespacePrefix);
  const labels = workloadLabels(w);
  const out: KubeObject[] = [];
  if (Object.keys(w.secretVariables).length > 0)
    out.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: envSecretName(w.service), namespace, labels },
      type: 'Opaque',
      data: Object.fromEntries(
        Object.entries(w.secretVariables).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]),
      ),
    });
  out.push(...configMaps(w, namespace), ...claims(w, namespace), deployment(w, namespace, labels));
  const service = serviceObject(w, namespace, labels);
  if (service) out.push(service);
  return out;
}

/** What the ConfigMaps and claims of a workload's mounts are built from. */
type MountsOf = Pick<
  WorkloadSpec,
  'project' | 'env' | 'instance' | 'cluster' | 'namespacePrefix' | 'configs' | 'volumes'
>;

/**
 * The ConfigMaps and claims of `m`'s mounts alone, in apply order: what a one-off pod (a cron
 * run) mounting them needs, the same objects by the same names a service's workload applies.
 */
export function mountObjects(m: MountsOf): KubeObject[] {
  const namespace = namespaceName(m.project, m.env, m.namespacePrefix);
  return [...configMaps(m, namespace), ...claims(m, namespace)];
}

/**
 * One ConfigMap per config version (a new version is a new ConfigMap). Not marked `immutable`:
 * a config deleted and created again starts over at version 1 under the same name, and an
 * immutable ConfigMap left from the first one would refuse the new files and stall the service.
 */
function configMaps(w: MountsOf, namespace: string): KubeObject[] {
  const out = new Map<string, KubeObject>();
  for (const c of w.configs) {
    const name = configMapName(c.config, c.version);
    const binary = new Set(c.binary ?? []);
    const data: Record<string, string> = {};
    const binaryData: Record<string, string> = {};
    const keys = new Map<string, string>();
    for (const [file, content] of Object.entries(c.files)) {
      const key = configFileKey(file);
      const other = keys.get(key);
      if (other !== undefined)
        throw new InvalidError(
          `Config ${c.config} version ${c.version}: files "${other}" and "${file}" map to the same ConfigMap key "${key}"; rename one of them.`,
          [{ path: `files.${file}`, message: `collides with "${other}" on Kubernetes` }],
        );
      keys.set(key, file);
      (binary.has(file) ? binaryData : data)[key] = content;
    }
    out.set(name, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace,
        labels: {
          ...namespaceLabels(w),
          [kubeKeys.config]: c.config,
          [kubeKeys.configVersion]: String(c.version),
        },
      },
      ...(Object.keys(data).length > 0 ? { data } : {}),
      ...(Object.keys(binaryData).length > 0 ? { binaryData } : {}),
    });
  }
  return [...out.values()];
}

/** One claim per volume; the same volume mounted twice is one claim. */
function claims(w: MountsOf, namespace: string): KubeObject[] {
  const out = new Map<string, KubeObject>();
  for (const v of w.volumes) {
    const name = claimName(v.volume);
    out.set(name, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace, labels: { ...namespaceLabels(w), [kubeKeys.volume]: v.volume } },
      spec: {
        accessModes: [v.accessMode],
        ...(v.storageClass !== undefined ? { storageClassName: v.storageClass } : {}),
        resources: { requests: { storage: mebibytes(v.sizeMiB) } },
      },
    });
  }
  return [...out.values()];
}

/**
 * The service Deployment's selector: the service's pods, except its route canaries' (ADR 0008) —
 * controllers with overlapping selectors fight over the pods. Immutable: a Deployment applied
 * before canaries existed is replaced once, its pods adopted (apply.ts `migrateSelector`).
 */
export function serviceDeploymentSelector(w: Pick<WorkloadSpec, 'serviceId'>): Record<string, unknown> {
  return {
    matchLabels: workloadSelector(w),
    matchExpressions: [{ key: labelKeys.canary, operator: 'DoesNotExist' }],
  };
}

function deployment(w: WorkloadSpec, namespace: string, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: deploymentName(w.service), namespace, labels },
    spec: {
      replicas: w.replicas,
      selector: serviceDeploymentSelector(w),
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: w.rollout.maxSurge, maxUnavailable: w.rollout.maxUnavailable },
      },
      progressDeadlineSeconds: w.rollout.progressDeadlineSeconds,
      revisionHistoryLimit,
      minReadySeconds: 0,
      template: podTemplate(w),
    },
  };
}

/** The value of `berth.canary` on a canary's objects and pods (as on Podman's canary containers). */
export const canaryMark = 'true';

/**
 * The objects of a route's canary of release `w.release` with `w.replicas` pods (ADR 0008), in
 * apply order: its own env Secret (the release's secret values, not the service's), the
 * ConfigMaps and claims it mounts (the environment's, by the same names), its Deployment and,
 * with node-port exposure, a NodePort Service of its own. Every one carries `berth.canary`, so
 * the service's garbage collection leaves them to the route; the pods carry `berth.rotation:
 * canary`, so the stable Service (which wants `in`) never sends them traffic.
 */
export function canaryObjects(w: WorkloadSpec): KubeObject[] {
  const namespace = namespaceName(w.project, w.env, w.namespacePrefix);
  const name = canaryDeploymentName(w.service, w.release);
  const labels = {
    ...workloadLabels(w),
    [labelKeys.canary]: canaryMark,
    [labelKeys.release]: String(w.release),
  };
  // the canary's name stands for the service's in the pod spec: its Secret is its own
  const own: WorkloadSpec = { ...w, service: name };
  const out: KubeObject[] = [];
  if (Object.keys(w.secretVariables).length > 0)
    out.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: envSecretName(name), namespace, labels },
      type: 'Opaque',
      data: Object.fromEntries(
        Object.entries(w.secretVariables).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]),
      ),
    });
  const template = podTemplate(own) as { metadata: { labels: Record<string, string> } };
  template.metadata.labels = {
    ...template.metadata.labels,
    [labelKeys.canary]: canaryMark,
    [kubeKeys.rotation]: 'canary',
  };
  const selector = {
    [labelKeys.service]: w.serviceId,
    [labelKeys.canary]: canaryMark,
    [labelKeys.release]: String(w.release),
  };
  out.push(...configMaps(w, namespace), ...claims(w, namespace), {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: {
      replicas: w.replicas,
      selector: { matchLabels: selector },
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: w.rollout.maxSurge, maxUnavailable: w.rollout.maxUnavailable },
      },
      progressDeadlineSeconds: w.rollout.progressDeadlineSeconds,
      revisionHistoryLimit: 0,
      minReadySeconds: 0,
      template,
    },
  });
  if (w.exposure === 'node-port' && w.ports.length > 0) {
    const names = servicePortNames(w.ports);
    out.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: canaryServiceName(w.service, w.release), namespace, labels },
      spec: {
        type: 'NodePort',
        selector,
        ports: w.ports.map((p, i) => ({
          name: names[i],
          port: p.containerPort,
          targetPort: p.containerPort,
          protocol: 'TCP',
        })),
      },
    });
  }
  return out;
}

/**
 * The Service: ClusterIP, or NodePort when gateways reach the cluster from outside its network.
 * It selects the service's pods that are in rotation only, so relabelling a pod `berth.rotation=out`
 * takes it out of the Service while its ReplicaSet keeps it. None when the service has no ports.
 */
function serviceObject(
  w: WorkloadSpec,
  namespace: string,
  labels: Record<string, string>,
): KubeObject | null {
  if (w.ports.length === 0) return null;
  const names = servicePortNames(w.ports);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: serviceObjectName(w.service), namespace, labels },
    spec: {
      type: w.exposure === 'node-port' ? 'NodePort' : 'ClusterIP',
      selector: { [labelKeys.service]: w.serviceId, [kubeKeys.rotation]: 'in' },
      ports: w.ports.map((p, i) => ({
        name: names[i],
        port: p.containerPort,
        targetPort: p.containerPort,
        protocol: 'TCP',
      })),
    },
  };
}

/**
 * Service port names (DNS labels; required once there are two ports): Berth's own name when it
 * has one, else `port-<number>`, else `tcp-<number>` when a user took that name.
 */
export function servicePortNames(ports: WorkloadSpec['ports']): string[] {
  const named = new Set(ports.flatMap((p) => (p.name ? [p.name] : [])));
  const used = new Set<string>();
  return ports.map((p) => {
    const name =
      p.name ??
      [`port-${p.containerPort}`, `tcp-${p.containerPort}`].find((n) => !named.has(n) && !used.has(n));
    if (!name || used.has(name))
      throw new InvalidError(
        `Port ${p.containerPort} ${p.name ? `is named "${p.name}" like another port` : 'has no name and both names Berth would give it are taken'}; a Service needs a distinct name per port.`,
        [{ path: 'spec.ports', message: `give port ${p.containerPort} a name of its own` }],
      );
    used.add(name);
    return name;
  });
}
