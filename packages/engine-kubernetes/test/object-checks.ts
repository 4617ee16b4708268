/**
 * Checks of Kubernetes objects as an API server would make them, for tests without one:
 *
 * 1. `schemaProblems`: the official OpenAPI schemas (kubernetes-models' validators) — types,
 *    required fields, enums.
 * 2. `unknownFieldProblems`: fields the API does not have. The OpenAPI validators accept any extra
 *    property, but an API server with strict field validation (kubectl's default since 1.27, and
 *    what the engine asks for) refuses them, and a lax one drops them silently (a typo such as
 *    `runAsNonroot` would leave a pod running as root). Checked against the type map of
 *    @kubernetes/client-node's generated models.
 * 3. `apiServerProblems`: the rules the API server's own validation adds that no schema carries:
 *    object names (DNS label, DNS-1035 for Services, subdomain), label keys and values, ConfigMap
 *    and Secret keys, IANA port names, volume names and mounts, a selector matching its template,
 *    a liveness successThreshold of 1, Service port names.
 * 4. `crossObjectProblems`: references between the objects applied together (a pod's ConfigMap,
 *    claim and secret keys; a Service's selector and target ports).
 * 5. `podSecurityProblems`: the Pod Security Standards (restricted, baseline) for a pod spec.
 */
import * as k8s from '@kubernetes/client-node';
import type { KubeObject } from '@berth/engine-api';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { LimitRange } from 'kubernetes-models/v1/LimitRange';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Pod } from 'kubernetes-models/v1/Pod';
import { ResourceQuota } from 'kubernetes-models/v1/ResourceQuota';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';

type Obj = Record<string, unknown>;

/** The official schema of each kind Berth applies. */
const models: Record<string, new (o: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ResourceQuota': ResourceQuota,
  'v1/LimitRange': LimitRange,
  'v1/Secret': Secret,
  'v1/ConfigMap': ConfigMap,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Service': Service,
  'v1/Pod': Pod,
  'apps/v1/Deployment': Deployment,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

/** Every problem the checks 1–4 find in `objects` (applied together), each naming its object. */
export function objectProblems(objects: KubeObject[]): string[] {
  return [
    ...objects.flatMap((o) => [...schemaProblems(o), ...unknownFieldProblems(o), ...apiServerProblems(o)]),
    ...crossObjectProblems(objects),
  ];
}

const label = (o: KubeObject) => `${o.kind}/${o.metadata.name}`;

/** 1. The OpenAPI schema of the object's kind. */
export function schemaProblems(o: KubeObject): string[] {
  const Model = models[`${o.apiVersion}/${o.kind}`];
  if (!Model) return [`${label(o)}: no schema for ${o.apiVersion} ${o.kind}`];
  try {
    new Model(o as never).validate();
    return [];
  } catch (e) {
    return [`${label(o)}: schema: ${(e as Error).message}`];
  }
}

type AttributeMap = { baseName: string; type: string }[];
const modelTypes = k8s as unknown as Record<string, { attributeTypeMap?: AttributeMap } | undefined>;

/** 2. Fields the object's type does not have, as JSON paths. */
export function unknownFieldProblems(o: KubeObject): string[] {
  const out: string[] = [];
  walk(o, `V1${o.kind}`, '', out);
  return out.map((p) => `${label(o)}: unknown field ${p}`);
}

function walk(value: unknown, type: string, path: string, out: string[]): void {
  if (value === undefined || value === null) return;
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, array[1]!, `${path}[${i}]`, out));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    for (const [k, v] of Object.entries(value as Obj)) walk(v, map[1]!, `${path}.${k}`, out);
    return;
  }
  const attributes = modelTypes[type]?.attributeTypeMap;
  if (!attributes || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value as Obj)) {
    const a = attributes.find((x) => x.baseName === k);
    if (!a) out.push(`${path}.${k}`);
    else walk(v, a.type, `${path}.${k}`, out);
  }
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const qualifiedNamePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const configKey = /^[-._a-zA-Z0-9]+$/;

function isQualifiedName(k: string): boolean {
  const parts = k.split('/');
  if (parts.length > 2) return false;
  const name = parts.at(-1)!;
  const prefix = parts.length === 2 ? parts[0]! : undefined;
  if (prefix !== undefined && (prefix.length > 253 || !dnsSubdomain.test(prefix))) return false;
  return name.length <= 63 && qualifiedNamePart.test(name);
}

function isIanaSvcName(n: string): boolean {
  return n.length <= 15 && dnsLabel.test(n) && /[a-z]/.test(n) && !n.includes('--');
}

function isBase64(s: string): boolean {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0;
}

const namespaced = new Set([
  'ResourceQuota',
  'LimitRange',
  'Secret',
  'ConfigMap',
  'PersistentVolumeClaim',
  'Service',
  'Deployment',
  'NetworkPolicy',
  'Pod',
]);

/** 3. The API server's own validation, for the parts Berth's objects use. */
export function apiServerProblems(o: KubeObject): string[] {
  const p: string[] = [];
  const m = o.metadata;
  const nameRule = o.kind === 'Namespace' ? dnsLabel : o.kind === 'Service' ? dns1035 : dnsSubdomain;
  const nameMax = o.kind === 'Namespace' || o.kind === 'Service' ? 63 : 253;
  if (m.name.length > nameMax || !nameRule.test(m.name))
    p.push(`name "${m.name}" is not valid for a ${o.kind}`);
  if (namespaced.has(o.kind) && (!m.namespace || !dnsLabel.test(m.namespace) || m.namespace.length > 63))
    p.push(`namespace "${m.namespace}" is missing or not a DNS label`);
  p.push(...labelProblems(m.labels, 'metadata.labels'));
  for (const k of Object.keys(m.annotations ?? {})) if (!isQualifiedName(k)) p.push(`annotation key "${k}"`);
  const spec = (o.spec ?? {}) as Obj;
  if (o.kind === 'ConfigMap' || o.kind === 'Secret') {
    const data = (o.data ?? {}) as Record<string, string>;
    const binaryData = (o.binaryData ?? {}) as Record<string, string>;
    for (const k of [...Object.keys(data), ...Object.keys(binaryData)])
      if (!configKey.test(k) || k.length > 253) p.push(`key "${k}" is not a valid ${o.kind} key`);
    for (const k of Object.keys(binaryData)) if (k in data) p.push(`key "${k}" is in data and binaryData`);
    const encoded = o.kind === 'Secret' ? data : binaryData;
    for (const [k, v] of Object.entries(encoded)) if (!isBase64(v)) p.push(`value of "${k}" is not base64`);
  }
  if (o.kind === 'Deployment') {
    const template = spec.template as Obj;
    const tLabels = ((template.metadata as Obj | undefined)?.labels ?? {}) as Record<string, string>;
    p.push(...labelProblems(tLabels, 'spec.template.metadata.labels'));
    const matchLabels = ((spec.selector as Obj).matchLabels ?? {}) as Record<string, string>;
    if (Object.keys(matchLabels).length === 0) p.push('empty selector');
    for (const [k, v] of Object.entries(matchLabels))
      if (tLabels[k] !== v) p.push(`selector ${k}=${v} does not match the template's labels`);
    const ru = (spec.strategy as Obj | undefined)?.rollingUpdate as Obj | undefined;
    if (ru && ru.maxSurge === 0 && ru.maxUnavailable === 0) p.push('maxSurge and maxUnavailable are both 0');
    p.push(...podSpecProblems(template.spec as Obj));
  }
  if (o.kind === 'Pod') {
    // a bare pod (one-off.ts): the kubelet restarts nothing of a pod that must end
    if (!['Always', 'OnFailure', 'Never'].includes(spec.restartPolicy as string))
      p.push(`restartPolicy "${String(spec.restartPolicy)}"`);
    p.push(...podSpecProblems(spec));
  }
  if (o.kind === 'Service') {
    const ports = (spec.ports ?? []) as Obj[];
    const names = ports.map((x) => x.name as string | undefined);
    if (ports.length > 1 && names.some((n) => !n)) p.push('a Service with several ports must name each');
    if (new Set(names).size !== names.length) p.push('duplicate Service port names');
    for (const n of names)
      if (n !== undefined && (n.length > 63 || !dnsLabel.test(n))) p.push(`Service port name "${n}"`);
    p.push(...labelProblems(spec.selector as Record<string, string> | undefined, 'spec.selector'));
  }
  if (o.kind === 'NetworkPolicy') {
    for (const rule of ((spec.ingress ?? []) as Obj[]).flatMap((r) => (r.from ?? []) as Obj[]))
      if (rule.ipBlock && !/^[0-9a-f.:]+\/\d{1,3}$/i.test((rule.ipBlock as Obj).cidr as string))
        p.push(`ipBlock ${JSON.stringify(rule.ipBlock)}`);
  }
  return p.map((x) => `${label(o)}: ${x}`);
}

function labelProblems(labels: Record<string, string> | undefined, where: string): string[] {
  const p: string[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (!isQualifiedName(k)) p.push(`${where}: key "${k}"`);
    if (typeof v !== 'string' || v.length > 63 || !labelValue.test(v))
      p.push(`${where}: value of ${k}: "${v}"`);
  }
  return p;
}

function podSpecProblems(pod: Obj): string[] {
  const p: string[] = [];
  const volumes = (pod.volumes ?? []) as Obj[];
  const volumeNames = volumes.map((v) => v.name as string);
  if (new Set(volumeNames).size !== volumeNames.length) p.push('duplicate volume names');
  for (const n of volumeNames) if (n.length > 63 || !dnsLabel.test(n)) p.push(`volume name "${n}"`);
  for (const c of (pod.containers ?? []) as Obj[]) {
    const mounts = (c.volumeMounts ?? []) as Obj[];
    for (const mnt of mounts)
      if (!volumeNames.includes(mnt.name as string))
        p.push(`mount of unknown volume "${mnt.name as string}"`);
    const paths = mounts.map((x) => x.mountPath);
    if (new Set(paths).size !== paths.length) p.push('two mounts at one path');
    const ports = (c.ports ?? []) as Obj[];
    for (const port of ports)
      if (port.name !== undefined && !isIanaSvcName(port.name as string))
        p.push(`container port name "${port.name as string}"`);
    if (new Set(ports.map((x) => x.containerPort)).size !== ports.length) p.push('duplicate container ports');
    for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      const probe = c[kind] as Obj | undefined;
      if (!probe) continue;
      const handlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'].filter((h) => probe[h] !== undefined);
      if (handlers.length !== 1) p.push(`${kind} has ${handlers.length} handlers`);
      if (kind !== 'readinessProbe' && probe.successThreshold !== undefined && probe.successThreshold !== 1)
        p.push(`${kind}.successThreshold must be 1`);
    }
    const preStop = (c.lifecycle as Obj | undefined)?.preStop as Obj | undefined;
    if (preStop && ['exec', 'httpGet', 'sleep'].filter((h) => preStop[h] !== undefined).length !== 1)
      p.push('preStop must have exactly one handler');
    const res = c.resources as
      { limits?: Record<string, string>; requests?: Record<string, string> } | undefined;
    for (const [k, v] of Object.entries(res?.requests ?? {}))
      if (res?.limits?.[k] !== undefined && res.limits[k] !== v)
        p.push(`request ${k} differs from its limit`);
  }
  return p;
}

/** 4. References between objects applied together. */
export function crossObjectProblems(objects: KubeObject[]): string[] {
  const p: string[] = [];
  const find = (kind: string, name: string) =>
    objects.find((o) => o.kind === kind && o.metadata.name === name);
  for (const d of objects.filter((o) => o.kind === 'Deployment')) {
    const template = (d.spec as Obj).template as Obj;
    const pod = template.spec as Obj;
    for (const v of (pod.volumes ?? []) as Obj[]) {
      const cm = v.configMap as { name: string; items?: { key: string }[] } | undefined;
      if (cm) {
        const target = find('ConfigMap', cm.name);
        if (!target) p.push(`${label(d)}: volume refers to missing ConfigMap ${cm.name}`);
        const keys = new Set([...Object.keys(target?.data ?? {}), ...Object.keys(target?.binaryData ?? {})]);
        for (const item of cm.items ?? [])
          if (!keys.has(item.key)) p.push(`${label(d)}: ConfigMap ${cm.name} has no key ${item.key}`);
      }
      const pvc = v.persistentVolumeClaim as { claimName: string } | undefined;
      if (pvc && !find('PersistentVolumeClaim', pvc.claimName))
        p.push(`${label(d)}: missing claim ${pvc.claimName}`);
    }
    for (const c of (pod.containers ?? []) as Obj[])
      for (const e of (c.env ?? []) as Obj[]) {
        const ref = (e.valueFrom as Obj | undefined)?.secretKeyRef as
          { name: string; key: string } | undefined;
        if (!ref) continue;
        const s = find('Secret', ref.name);
        if (!s || !((s.data ?? {}) as Obj)[ref.key])
          p.push(`${label(d)}: secret ${ref.name} has no key ${ref.key}`);
      }
    const tLabels = ((template.metadata as Obj).labels ?? {}) as Record<string, string>;
    const containerPorts = ((pod.containers ?? []) as Obj[]).flatMap((c) =>
      ((c.ports ?? []) as Obj[]).map((x) => x.containerPort),
    );
    for (const s of objects.filter(
      (o) => o.kind === 'Service' && o.metadata.namespace === d.metadata.namespace,
    )) {
      const spec = s.spec as Obj;
      for (const [k, v] of Object.entries((spec.selector ?? {}) as Record<string, string>))
        if (tLabels[k] !== v)
          p.push(`${label(s)}: selector ${k}=${v} does not select the pods of ${label(d)}`);
      for (const port of (spec.ports ?? []) as Obj[])
        if (!containerPorts.includes(port.targetPort))
          p.push(`${label(s)}: targetPort ${String(port.targetPort)} is no container port`);
    }
  }
  return p;
}

const baselineCapabilities = new Set([
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
const restrictedVolumeTypes = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
];

/**
 * 5. What Pod Security admission at `level` refuses in a pod spec (the Pod Security Standards,
 * the checks that apply to the fields Berth writes).
 */
export function podSecurityProblems(pod: Obj, level: 'restricted' | 'baseline'): string[] {
  const p: string[] = [];
  const podSc = (pod.securityContext ?? {}) as Obj;
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) p.push('host namespaces');
  for (const v of (pod.volumes ?? []) as Obj[]) {
    if (v.hostPath) p.push('hostPath volume');
    if (level === 'restricted' && !restrictedVolumeTypes.some((t) => v[t] !== undefined))
      p.push(`volume type of ${v.name as string}`);
  }
  for (const c of (pod.containers ?? []) as Obj[]) {
    const sc = (c.securityContext ?? {}) as Obj;
    const caps = (sc.capabilities ?? {}) as { add?: string[]; drop?: string[] };
    if (sc.privileged) p.push('privileged');
    for (const port of (c.ports ?? []) as Obj[]) if (port.hostPort) p.push('hostPort');
    for (const cap of caps.add ?? []) {
      if (!baselineCapabilities.has(cap)) p.push(`capability ${cap} beyond baseline`);
      else if (level === 'restricted' && cap !== 'NET_BIND_SERVICE')
        p.push(`capability ${cap} beyond restricted`);
    }
    if (level !== 'restricted') continue;
    if (sc.allowPrivilegeEscalation !== false) p.push('allowPrivilegeEscalation not false');
    if (!(caps.drop ?? []).includes('ALL')) p.push('capabilities not dropping ALL');
    if (sc.runAsNonRoot !== true && podSc.runAsNonRoot !== true) p.push('runAsNonRoot not true');
    if (sc.runAsUser === 0 || podSc.runAsUser === 0) p.push('runAsUser 0');
    const seccomp = ((sc.seccompProfile ?? podSc.seccompProfile) as Obj | undefined)?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') p.push('seccompProfile not RuntimeDefault');
  }
  return p;
}
