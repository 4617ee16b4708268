/**
 * Defaulting and validation the test API server does on every write, as the apiserver's
 * registries do: defaults make stored objects look like a real cluster's (and feed the pod
 * template hash), validation refuses what a real cluster refuses with 422 Invalid — invalid names
 * and label values, a Deployment whose selector misses its template's labels or changes, pod spec
 * changes, a Service without ports. Only these checks are made; the OpenAPI schema is not enforced.
 */
import { Buffer } from 'node:buffer';
import { invalid } from './status';
import { deepEqual, ensureObj, isObj, objs, str, strMap, type Obj } from './json';
import type { ResourceType } from './resources';
import { fromLabelSelectorObject, matchLabels } from './selectors';

/** Allocators for the few values the apiserver assigns. */
export interface Allocators {
  clusterIP(): string;
  nodePort(): number;
}

function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined) o[key] = value;
}

function imagePullPolicy(image: string): string {
  const last = image.split('/').pop() ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  return !last.includes(':') || last.endsWith(':latest') ? 'Always' : 'IfNotPresent';
}

function defaultProbe(p: unknown): void {
  if (!isObj(p)) return;
  setDefault(p, 'timeoutSeconds', 1);
  setDefault(p, 'periodSeconds', 10);
  setDefault(p, 'successThreshold', 1);
  setDefault(p, 'failureThreshold', 3);
  if (isObj(p.httpGet)) setDefault(p.httpGet, 'scheme', 'HTTP');
}

/** Pod spec defaults (pods and pod templates). */
export function defaultPodSpec(spec: Obj): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'schedulerName', 'default-scheduler');
  setDefault(spec, 'securityContext', {});
  for (const c of [...objs(spec, 'containers'), ...objs(spec, 'initContainers')]) {
    setDefault(c, 'terminationMessagePath', '/dev/termination-log');
    setDefault(c, 'terminationMessagePolicy', 'File');
    if (typeof c.image === 'string') setDefault(c, 'imagePullPolicy', imagePullPolicy(c.image));
    setDefault(c, 'resources', {});
    for (const p of objs(c, 'ports')) setDefault(p, 'protocol', 'TCP');
    defaultProbe(c.livenessProbe);
    defaultProbe(c.readinessProbe);
    defaultProbe(c.startupProbe);
  }
}

/** Applies the defaults of a kind to an object in place. */
export function applyDefaults(rt: ResourceType, obj: Obj, alloc: Allocators): void {
  const md = ensureObj(obj, ['metadata']);
  const spec = isObj(obj.spec) ? obj.spec : undefined;
  switch (rt.kind) {
    case 'Namespace': {
      md.labels = { ...strMap(md, 'labels'), 'kubernetes.io/metadata.name': String(md.name) };
      ensureObj(obj, ['spec']).finalizers ??= ['kubernetes'];
      break;
    }
    case 'Pod':
      if (spec) {
        defaultPodSpec(spec);
        setDefault(spec, 'serviceAccountName', 'default');
        setDefault(spec, 'enableServiceLinks', true);
      }
      break;
    case 'Deployment':
      if (spec) {
        setDefault(spec, 'replicas', 1);
        setDefault(spec, 'revisionHistoryLimit', 10);
        setDefault(spec, 'progressDeadlineSeconds', 600);
        const strategy = ensureObj(spec, ['strategy']);
        setDefault(strategy, 'type', 'RollingUpdate');
        if (strategy.type === 'RollingUpdate') {
          const ru = ensureObj(strategy, ['rollingUpdate']);
          setDefault(ru, 'maxSurge', '25%');
          setDefault(ru, 'maxUnavailable', '25%');
        }
        const tspec = isObj(spec.template) && isObj(spec.template.spec) ? spec.template.spec : undefined;
        if (tspec) defaultPodSpec(tspec);
      }
      break;
    case 'ReplicaSet':
      if (spec) {
        setDefault(spec, 'replicas', 1);
        const tspec = isObj(spec.template) && isObj(spec.template.spec) ? spec.template.spec : undefined;
        if (tspec) defaultPodSpec(tspec);
      }
      break;
    case 'Service':
      if (spec) {
        setDefault(spec, 'type', 'ClusterIP');
        setDefault(spec, 'sessionAffinity', 'None');
        if (spec.type !== 'ExternalName') {
          setDefault(spec, 'clusterIP', alloc.clusterIP());
          setDefault(spec, 'clusterIPs', [spec.clusterIP]);
          setDefault(spec, 'ipFamilies', ['IPv4']);
          setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
          setDefault(spec, 'internalTrafficPolicy', 'Cluster');
        }
        const exposed = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
        if (exposed) setDefault(spec, 'externalTrafficPolicy', 'Cluster');
        for (const p of objs(spec, 'ports')) {
          setDefault(p, 'protocol', 'TCP');
          setDefault(p, 'targetPort', p.port);
          if (exposed) setDefault(p, 'nodePort', alloc.nodePort());
        }
      }
      break;
    case 'Secret': {
      setDefault(obj, 'type', 'Opaque');
      const stringData = strMap(obj, 'stringData');
      if (Object.keys(stringData).length > 0) {
        const data = { ...strMap(obj, 'data') };
        for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(v, 'utf8').toString('base64');
        obj.data = data;
      }
      delete obj.stringData;
      break;
    }
    case 'PersistentVolumeClaim':
      if (spec) {
        setDefault(spec, 'volumeMode', 'Filesystem');
        setDefault(spec, 'storageClassName', 'standard');
      }
      break;
  }
}

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const labelName = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

function checkLabels(
  map: Record<string, string>,
  field: string,
  causes: { field: string; message: string }[],
): void {
  for (const [k, v] of Object.entries(map)) {
    const slash = k.lastIndexOf('/');
    const prefix = slash >= 0 ? k.slice(0, slash) : '';
    const name = slash >= 0 ? k.slice(slash + 1) : k;
    if (
      (prefix && (!dns1123Subdomain.test(prefix) || prefix.length > 253)) ||
      !labelName.test(name) ||
      name.length > 63
    ) {
      causes.push({
        field: `${field}`,
        message: `Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
      });
    }
    if (field.endsWith('labels') && (v.length > 63 || !labelValue.test(v))) {
      causes.push({
        field: `${field}`,
        message: `Invalid value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
      });
    }
  }
}

function checkPodSpec(spec: unknown, field: string, causes: { field: string; message: string }[]): void {
  const containers = objs(spec, 'containers');
  if (containers.length === 0) causes.push({ field: `${field}.containers`, message: 'Required value' });
  containers.forEach((c, i) => {
    if (!str(c, 'name') || !dns1123Label.test(str(c, 'name')!)) {
      causes.push({
        field: `${field}.containers[${i}].name`,
        message: `Invalid value: "${str(c, 'name') ?? ''}": must be a DNS-1123 label`,
      });
    }
    if (!str(c, 'image'))
      causes.push({ field: `${field}.containers[${i}].image`, message: 'Required value' });
  });
}

/** Refuses an object a real apiserver refuses (422 Invalid), comparing with the stored one on updates. */
export function validate(rt: ResourceType, obj: Obj, prev: Obj | undefined, internal: boolean): void {
  const causes: { field: string; message: string }[] = [];
  const name = str(obj, 'metadata', 'name') ?? '';
  const nameRe =
    rt.kind === 'Namespace' ? dns1123Label : rt.kind === 'Service' ? dns1035Label : dns1123Subdomain;
  if (!name)
    causes.push({ field: 'metadata.name', message: 'Required value: name or generateName is required' });
  else if (
    !nameRe.test(name) ||
    name.length > (rt.kind === 'Namespace' || rt.kind === 'Service' ? 63 : 253)
  ) {
    causes.push({
      field: 'metadata.name',
      message: `Invalid value: "${name}": a lowercase RFC 1123 ${rt.kind === 'Service' ? 'label (RFC 1035, starting with a letter)' : 'label'} must consist of lower case alphanumeric characters or '-'`,
    });
  }
  checkLabels(strMap(obj, 'metadata', 'labels'), 'metadata.labels', causes);
  checkLabels(strMap(obj, 'metadata', 'annotations'), 'metadata.annotations', causes);
  const spec = isObj(obj.spec) ? obj.spec : {};
  switch (rt.kind) {
    case 'Deployment':
    case 'ReplicaSet': {
      const selector = spec.selector;
      const parsed = fromLabelSelectorObject(selector);
      if (!isObj(selector) || parsed.length === 0)
        causes.push({ field: 'spec.selector', message: 'Required value' });
      const tlabels = strMap(spec, 'template', 'metadata', 'labels');
      checkLabels(tlabels, 'spec.template.metadata.labels', causes);
      if (parsed.length > 0 && !matchLabels(parsed, tlabels)) {
        causes.push({
          field: 'spec.template.metadata.labels',
          message: `Invalid value: ${JSON.stringify(tlabels)}: \`selector\` does not match template \`labels\``,
        });
      }
      if (prev && !deepEqual(selector, isObj(prev.spec) ? prev.spec.selector : undefined)) {
        causes.push({
          field: 'spec.selector',
          message: `Invalid value: ${JSON.stringify(selector)}: field is immutable`,
        });
      }
      if (typeof spec.replicas === 'number' && spec.replicas < 0) {
        causes.push({ field: 'spec.replicas', message: 'Invalid value: must be greater than or equal to 0' });
      }
      checkPodSpec(isObj(spec.template) ? spec.template.spec : undefined, 'spec.template.spec', causes);
      break;
    }
    case 'Pod':
      checkPodSpec(spec, 'spec', causes);
      if (prev && !internal) {
        const strip = (s: unknown) => {
          const c = structuredClone(isObj(s) ? s : {});
          for (const x of objs(c, 'containers')) delete x.image;
          delete c.activeDeadlineSeconds;
          delete c.tolerations;
          return c;
        };
        if (!deepEqual(strip(prev.spec), strip(obj.spec))) {
          causes.push({
            field: 'spec',
            message:
              'Forbidden: pod updates may not change fields other than `spec.containers[*].image`, `spec.activeDeadlineSeconds` or `spec.tolerations`',
          });
        }
      }
      break;
    case 'Service':
      if (spec.type !== 'ExternalName' && objs(spec, 'ports').length === 0 && spec.clusterIP !== 'None') {
        causes.push({ field: 'spec.ports', message: 'Required value' });
      }
      if (
        prev &&
        isObj(prev.spec) &&
        prev.spec.clusterIP !== undefined &&
        spec.clusterIP !== prev.spec.clusterIP
      ) {
        causes.push({ field: 'spec.clusterIP', message: 'Invalid value: field is immutable' });
      }
      break;
    case 'PersistentVolumeClaim':
      if (prev && !internal) {
        const strip = (s: unknown) => {
          const c = structuredClone(isObj(s) ? s : {});
          delete c.resources;
          return c;
        };
        if (!deepEqual(strip(prev.spec), strip(obj.spec))) {
          causes.push({
            field: 'spec',
            message: 'Forbidden: spec is immutable after creation except resources.requests for bound claims',
          });
        }
      }
      break;
    case 'Secret':
    case 'ConfigMap':
      if (
        prev &&
        prev.immutable === true &&
        (!deepEqual(prev.data, obj.data) || !deepEqual(prev.binaryData, obj.binaryData))
      ) {
        causes.push({ field: 'data', message: 'Forbidden: field is immutable when `immutable` is set' });
      }
      break;
  }
  if (causes.length > 0) throw invalid(rt.kind, name, causes);
}
