/**
 * What every object Berth applies to a cluster shares: the ownership labels the engine finds and
 * garbage-collects its objects by, Berth's own label and annotation keys on Kubernetes, and the
 * quantity formats. Pure: no I/O, no client library (docs/kubernetes-objects.md).
 */
import { createHash } from 'node:crypto';
import { labelKeys } from '@berth/engine-api';

/**
 * Label and annotation keys Berth uses only on Kubernetes (the shared ones are `labelKeys` of
 * @berth/engine-api). Every Berth key starts with `berth.` so one prefix test keeps users out of
 * all of them (`userLabels`).
 */
export const kubeKeys = {
  /** The standard "who manages this" label; always `berth`. */
  managedBy: 'app.kubernetes.io/managed-by',
  /** The service's restart nonce on the pod template: a restart changes the template. */
  restart: 'berth.restart',
  /** `in` or `out`: the Service selects only `in`, so relabelling a pod takes it out of rotation. */
  rotation: 'berth.rotation',
  /** The config a ConfigMap holds one version of, and that version. */
  config: 'berth.config',
  configVersion: 'berth.config-version',
  /** `true` on a bare pod of `runContainer` (a cron run): no Deployment owns it (one-off.ts). */
  oneOff: 'berth.one-off',
  /** The volume a PersistentVolumeClaim is. */
  volume: 'berth.volume',
  /** Namespaces and pods of Berth's gateways: the NetworkPolicy lets them in. */
  gateway: 'berth.io/gateway',
  /** Template annotations whose change rolls the pods (the values are checksums). */
  secretChecksum: 'berth.io/secret-checksum',
  configChecksum: 'berth.io/config-checksum',
} as const;

/** The value of `app.kubernetes.io/managed-by` on everything Berth applies. */
export const managedByBerth = 'berth';

/** Who owns an object: the instance and cluster always, narrower scopes when given. */
export interface Ownership {
  instance: string;
  cluster: string;
  project?: string;
  env?: string;
  /** The service id (`berth.service`). */
  serviceId?: string;
}

/**
 * The ownership labels of an object. `berth.cluster` is there because two registered clusters
 * may be one Kubernetes cluster (namespaces-as-clusters in tests, or a mistake): each Berth
 * cluster then collects only its own objects, as on Podman (`labelKeys.cluster`).
 */
export function ownershipLabels(o: Ownership): Record<string, string> {
  return {
    [kubeKeys.managedBy]: managedByBerth,
    [labelKeys.instance]: o.instance,
    [labelKeys.cluster]: o.cluster,
    ...(o.project !== undefined ? { [labelKeys.project]: o.project } : {}),
    ...(o.env !== undefined ? { [labelKeys.env]: o.env } : {}),
    ...(o.serviceId !== undefined ? { [labelKeys.service]: o.serviceId } : {}),
  };
}

/**
 * A label selector (`a=b,c=d`, the `labelSelector` query parameter of a list or watch) for the
 * objects of `o` — what the engine lists to garbage-collect objects no longer wanted, and never
 * anything another Berth instance or cluster registration owns. Label values Berth writes are DNS
 * labels and ids, so they need no quoting in a selector.
 */
export function ownershipSelector(o: Ownership): string {
  return Object.entries(ownershipLabels(o))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** CPU cores as a Kubernetes quantity in millicores (`0.5` → `500m`); 1m is the API's precision. */
export function cpuQuantity(cores: number): string {
  return `${Math.max(1, Math.round(cores * 1000))}m`;
}

/** MiB as a Kubernetes quantity (`256` → `256Mi`). */
export function mebibytes(mib: number): string {
  return `${Math.ceil(mib)}Mi`;
}

/**
 * A short checksum of a value (sorted JSON), for template annotations whose change must roll the
 * pods. `salt` (the service id) keeps equal secrets of two services from showing as equal.
 */
export function checksum(value: unknown, salt = ''): string {
  return createHash('sha256').update(salt).update('\0').update(stableJson(value)).digest('hex').slice(0, 32);
}

/** JSON with object keys sorted at every level: the same value always gives the same text. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
