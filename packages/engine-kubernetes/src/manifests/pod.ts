/**
 * The pod template of a service's Deployment: Berth's restricted defaults (Pod Security
 * "restricted" unless the service may run as root), its container `app`, probes, resources,
 * mounts and the drain wait (docs/kubernetes-objects.md).
 *
 * What has no place here: a per-pod PIDs limit. Kubernetes limits processes per pod only with the
 * kubelet's `podPidsLimit` (node configuration), so `WorkloadSpec.pidsLimit` is not written
 * anywhere — the cluster operator sets the node limit.
 */
import { labelKeys, type WorkloadProbe, type WorkloadSpec } from '@berth/engine-api';
import { InvalidError } from '@berth/shared';
import { createHash } from 'node:crypto';
import { claimName, configMapName, envSecretName, pullSecretName } from '../names';
import { checksum, cpuQuantity, kubeKeys, mebibytes, ownershipLabels } from './common';

/** The name of the one container of a Berth pod (logs and exec address it). */
export const appContainerName = 'app';

/** The pod volume of the writable /tmp a read-only root filesystem gets. */
const tmpVolume = 'tmp';

/** The ownership labels of a service's own objects (Deployment, Service, env Secret, pods). */
export function workloadLabels(w: WorkloadSpec): Record<string, string> {
  return ownershipLabels({
    instance: w.instance,
    cluster: w.cluster,
    project: w.project,
    env: w.env,
    serviceId: w.serviceId,
  });
}

/** The Deployment's selector: the service id only — a selector is immutable, a release is not. */
export function workloadSelector(w: Pick<WorkloadSpec, 'serviceId'>): Record<string, string> {
  return { [labelKeys.service]: w.serviceId };
}

/** What Kubernetes accepts as a label value. */
export const labelValuePattern = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * The user's labels as they go on the pods. Keys starting with `berth.` are dropped, not refused:
 * they are Berth's (ownership, release, rotation, the gateway label the NetworkPolicy trusts) and
 * a user's copy must neither move a pod out of its Deployment nor past a wall; on Podman the same
 * labels are harmless, so a spec that has them still runs. A value Kubernetes cannot store is
 * refused, naming the label, rather than silently lost.
 */
export function userLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    if (k.startsWith('berth.') || k === kubeKeys.managedBy) continue;
    if (v.length > 63 || !labelValuePattern.test(v))
      throw new InvalidError(
        `spec.labels.${k} is "${v}", which Kubernetes does not accept as a label value (at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit). Change the label to run this service on a Kubernetes cluster.`,
        [{ path: `spec.labels.${k}`, message: 'is not a Kubernetes label value' }],
      );
    out[k] = v;
  }
  return out;
}

/**
 * Kubernetes expands `$(NAME)` in env values, command and args, and turns `$$` into `$`; Berth's
 * values are literal (Podman passes them as they are), so every `$` is doubled.
 */
export function literal(s: string): string {
  return s.replaceAll('$', '$$$$');
}

/**
 * Port names on a container must be IANA service names (at most 15 lowercase letters, digits and
 * "-", with a letter, no "--"); Berth's are DNS labels up to 63. A Berth name that is one is kept,
 * any other is left off the container port — the Service names its ports itself and targets the
 * number, so nothing depends on the container port's name.
 */
export function ianaPortName(name: string | undefined): string | undefined {
  if (name === undefined || name.length > 15) return undefined;
  return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) && /[a-z]/.test(name) && !name.includes('--')
    ? name
    : undefined;
}

/**
 * The ConfigMap key of a config file. File names may be paths (`conf.d/x.conf`) and keys may not
 * hold "/", so such a name becomes `<path with "_">-<hash>`; the volume's `items` put every key
 * back at its path. A name that is a valid key is its own key (what an operator expects to read).
 */
export function configFileKey(file: string): string {
  if (/^[-._a-zA-Z0-9]+$/.test(file) && !file.startsWith('..') && file.length <= 253) return file;
  const h = createHash('sha256').update(file).digest('hex').slice(0, 8);
  return `${file.replaceAll('/', '_').slice(0, 200)}-${h}`;
}

/**
 * Capabilities the Pod Security "baseline" level lets a container add (the Pod Security
 * Standards); "restricted" allows NET_BIND_SERVICE only. Berth's list also has NET_RAW, which
 * neither level allows.
 */
export const baselineCapabilities: ReadonlySet<string> = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

/**
 * The lowest Pod Security level whose admission lets the service's pods in: `restricted` for a
 * non-root service adding at most NET_BIND_SERVICE, `baseline` for root or baseline capabilities,
 * `privileged` when it adds a capability even baseline refuses (NET_RAW) — Berth's namespaces
 * never enforce that level, so such a spec cannot run on Kubernetes and should be refused.
 */
export function podSecurityLevel(
  w: Pick<WorkloadSpec, 'runAsRoot' | 'capabilities'>,
): 'restricted' | 'baseline' | 'privileged' {
  const caps = w.capabilities.map((c) => c.toUpperCase().replace(/^CAP_/, ''));
  if (caps.some((c) => !baselineCapabilities.has(c))) return 'privileged';
  return w.runAsRoot || caps.some((c) => c !== 'NET_BIND_SERVICE') ? 'baseline' : 'restricted';
}

/** The pod template (metadata and spec) of a service's release. */
export function podTemplate(w: WorkloadSpec): Record<string, unknown> {
  const annotations: Record<string, string> = {};
  if (Object.keys(w.secretVariables).length > 0)
    annotations[kubeKeys.secretChecksum] = checksum(w.secretVariables, w.serviceId);
  if (w.configs.length > 0)
    // The files too, not only the versions: a config created again reuses its version numbers.
    annotations[kubeKeys.configChecksum] = checksum(
      w.configs.map((c) => [c.config, c.version, c.files, c.binary ?? []]),
      w.serviceId,
    );
  return {
    metadata: {
      labels: {
        ...userLabels(w.labels),
        ...workloadLabels(w),
        [labelKeys.release]: String(w.release),
        [kubeKeys.restart]: String(w.restartNonce),
        [kubeKeys.rotation]: 'in',
      },
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec: podSpec(w),
  };
}

/** The pod spec of a service's release; one-off pods (one-off.ts) are built from it too. */
export function podSpec(w: WorkloadSpec): Record<string, unknown> {
  const { volumes, mounts } = podVolumes(w);
  // fsGroup makes the claims writable for the pod's group; without a numeric user Berth knows
  // no group to give them (the server resolves users to numbers: docs/kubernetes-objects.md).
  const fsGroup = w.volumes.length > 0 ? (w.runAsGroup ?? w.runAsUser) : undefined;
  return {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    // The grace period counts from the start of preStop: the drain wait, then the stop grace.
    terminationGracePeriodSeconds: w.rollout.drainSeconds + w.rollout.stopGraceSeconds,
    ...(w.pullSecret ? { imagePullSecrets: [{ name: pullSecretName }] } : {}),
    securityContext: {
      ...(w.runAsRoot ? {} : { runAsNonRoot: true }),
      ...(w.runAsUser !== undefined ? { runAsUser: w.runAsUser } : {}),
      ...(w.runAsGroup !== undefined ? { runAsGroup: w.runAsGroup } : {}),
      ...(fsGroup !== undefined ? { fsGroup, fsGroupChangePolicy: 'OnRootMismatch' } : {}),
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [container(w, mounts)],
    ...(volumes.length > 0 ? { volumes } : {}),
  };
}

function container(w: WorkloadSpec, volumeMounts: Record<string, unknown>[]): Record<string, unknown> {
  const env: Record<string, unknown>[] = [
    ...Object.entries(w.variables).map(([name, value]) => ({ name, value: literal(value) })),
    ...Object.keys(w.secretVariables).map((name) => ({
      name,
      valueFrom: { secretKeyRef: { name: envSecretName(w.service), key: name } },
    })),
  ];
  const resources: Record<string, string> = {};
  if (w.cpu !== undefined) resources.cpu = cpuQuantity(w.cpu);
  if (w.memoryMiB !== undefined) resources.memory = mebibytes(w.memoryMiB);
  return {
    name: appContainerName,
    image: w.image,
    ...(w.command ? { command: w.command.map(literal) } : {}),
    ...(w.args ? { args: w.args.map(literal) } : {}),
    ...(w.workingDir ? { workingDir: w.workingDir } : {}),
    ...(env.length > 0 ? { env } : {}),
    ...(w.ports.length > 0
      ? {
          ports: w.ports.map((p) => {
            const name = ianaPortName(p.name);
            return { ...(name ? { name } : {}), containerPort: p.containerPort, protocol: 'TCP' };
          }),
        }
      : {}),
    // Requests equal limits: the scheduler reserves what the container may use (Guaranteed
    // when both are set), as Berth's placement counts it on Podman.
    ...(Object.keys(resources).length > 0
      ? { resources: { limits: resources, requests: { ...resources } } }
      : {}),
    ...(w.liveness ? { livenessProbe: probe(w, w.liveness, 'liveness') } : {}),
    ...(w.readiness ? { readinessProbe: probe(w, w.readiness, 'readiness') } : {}),
    // The `sleep` handler (Kubernetes ≥ 1.30, no shell needed in the image): the pod leaves the
    // Service's endpoints and Berth's gateways while it waits, then gets SIGTERM (ADR 0007).
    ...(w.rollout.drainSeconds > 0
      ? { lifecycle: { preStop: { sleep: { seconds: w.rollout.drainSeconds } } } }
      : {}),
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: {
        drop: ['ALL'],
        ...(w.capabilities.length > 0
          ? { add: w.capabilities.map((c) => c.toUpperCase().replace(/^CAP_/, '')) }
          : {}),
      },
      readOnlyRootFilesystem: w.readOnlyRootFilesystem,
      ...(w.runAsRoot ? {} : { runAsNonRoot: true }),
    },
    ...(volumeMounts.length > 0 ? { volumeMounts } : {}),
  };
}

/**
 * A probe as Kubernetes runs it: every timing field of Berth's, the port defaulting to the first
 * port. Kubernetes only accepts a liveness successThreshold of 1 (a liveness probe only ever
 * counts failures), so liveness always gets 1.
 */
function probe(w: WorkloadSpec, p: WorkloadProbe, kind: 'liveness' | 'readiness'): Record<string, unknown> {
  const port = p.port ?? w.ports[0]?.containerPort;
  let handler: Record<string, unknown>;
  if (p.type === 'exec') {
    if (!p.command?.length)
      throw new InvalidError(`The ${kind} check is of type exec and has no command.`, [
        { path: `spec.${kind}.command`, message: 'is required for an exec check' },
      ]);
    handler = { exec: { command: p.command } };
  } else {
    if (port === undefined)
      throw new InvalidError(
        `The ${kind} check (${p.type}) has no port and the service has no ports to default to.`,
        [{ path: `spec.${kind}.port`, message: 'is required when the service has no ports' }],
      );
    handler = p.type === 'http' ? { httpGet: { path: p.path ?? '/', port } } : { tcpSocket: { port } };
  }
  return {
    ...handler,
    initialDelaySeconds: p.initialDelaySeconds,
    periodSeconds: p.periodSeconds,
    timeoutSeconds: p.timeoutSeconds,
    successThreshold: kind === 'liveness' ? 1 : p.successThreshold,
    failureThreshold: p.failureThreshold,
  };
}

/**
 * The pod's volumes and the container's mounts: one volume per ConfigMap and per claim (the same
 * config version or volume mounted at two paths is one volume with two mounts), and a writable
 * emptyDir at /tmp when the root filesystem is read-only and nothing else is mounted there.
 */
function podVolumes(w: WorkloadSpec): {
  volumes: Record<string, unknown>[];
  mounts: Record<string, unknown>[];
} {
  const volumes = new Map<string, Record<string, unknown>>();
  const mounts: Record<string, unknown>[] = [];
  for (const c of w.configs) {
    const name = configMapName(c.config, c.version);
    volumes.set(name, {
      name,
      configMap: {
        name,
        items: Object.keys(c.files)
          .sort()
          .map((file) => ({ key: configFileKey(file), path: file })),
      },
    });
    mounts.push({ name, mountPath: c.path, readOnly: true });
  }
  for (const v of w.volumes) {
    const name = claimName(v.volume);
    volumes.set(name, { name, persistentVolumeClaim: { claimName: name } });
    mounts.push({ name, mountPath: v.path, ...(v.readOnly ? { readOnly: true } : {}) });
  }
  const tmpTaken = mounts.some((m) => m.mountPath === '/tmp' || m.mountPath === '/tmp/');
  if (w.readOnlyRootFilesystem && !tmpTaken) {
    volumes.set(tmpVolume, { name: tmpVolume, emptyDir: {} });
    mounts.push({ name: tmpVolume, mountPath: '/tmp' });
  }
  return { volumes: [...volumes.values()], mounts };
}
