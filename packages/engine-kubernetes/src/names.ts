/**
 * Names of the Kubernetes objects Berth owns. Berth names are DNS labels (≤ 63, may start with a
 * digit, may contain "--"), so "project-env" alone is ambiguous (a-b/c and a/b-c) and a Service
 * name must start with a letter (DNS-1035): every name that joins or transforms Berth names ends in
 * a short hash of what it stands for, and lookups go by labels, never by parsing names.
 */
import { createHash } from 'node:crypto';
import { EngineError, namespacePrefixProblem } from '@berth/shared';

const hash = (s: string, n = 8) => createHash('sha256').update(s).digest('hex').slice(0, n);

/** `<prefix>-<hash>` within 63 characters; the prefix cut at a character that keeps it a label. */
function bounded(prefix: string, key: string): string {
  const h = hash(key);
  const room = 63 - h.length - 1;
  const head = prefix.slice(0, room).replace(/-+$/, '');
  return `${head}-${h}`;
}

/**
 * The namespace of a project's environment on a cluster: `<project>-<env>-<hash>`, or
 * `<prefix>-<project>-<env>-<hash>` on a cluster with a namespace prefix (two Berth clusters on one
 * API server). Without a prefix the name is the one every cluster had before prefixes existed. The
 * prefix (≤ 40, `namespacePrefixProblem`) is never cut; the project and env are when needed.
 */
export function namespaceName(project: string, env: string, prefix = ''): string {
  if (prefix === '') return bounded(`${project}-${env}`, `${project}/${env}`);
  const problem = namespacePrefixProblem(prefix);
  if (problem) throw new EngineError(`The cluster's namespace prefix "${prefix}" ${problem}.`);
  return bounded(`${prefix}-${project}-${env}`, `${prefix}//${project}/${env}`);
}

/** The Deployment (and its pods' prefix) of a service: its Berth name (unique in the namespace). */
export function deploymentName(service: string): string {
  return service;
}

/** The Service object of a service: DNS-1035 (starts with a letter), `s-<name>-<hash>` when needed. */
export function serviceObjectName(service: string): string {
  return /^[a-z]/.test(service) && service.length <= 63 ? service : bounded(`s-${service}`, service);
}

/**
 * The Deployment of a route's canary of `release` (ADR 0008): `<service>-canary-r<release>-<hash>`,
 * one per canary release; its pods' names start with it.
 */
export function canaryDeploymentName(service: string, release: number): string {
  return bounded(`${service}-canary-r${release}`, `${service}/canary/${release}`);
}

/** The NodePort Service of a canary (node-port exposure only): DNS-1035 as serviceObjectName. */
export function canaryServiceName(service: string, release: number): string {
  const name = canaryDeploymentName(service, release);
  return /^[a-z]/.test(name)
    ? name
    : bounded(`s-${service}-canary-r${release}`, `${service}/canary/${release}`);
}

/** The Secret holding a service's secret variables. */
export function envSecretName(service: string): string {
  return bounded(`${service}-env`, `${service}/env`);
}

/** The ConfigMap of one version of a config. */
export function configMapName(config: string, version: number): string {
  return bounded(`cfg-${config}-v${version}`, `${config}/${version}`);
}

/** The PersistentVolumeClaim of a volume of the environment. */
export function claimName(volume: string): string {
  return bounded(`vol-${volume}`, volume);
}

/** The image pull secret of a namespace. */
export const pullSecretName = 'berth-pull';
