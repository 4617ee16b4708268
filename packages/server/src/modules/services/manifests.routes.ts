import { z } from 'zod';
import { isWorkloadEngine } from '@berth/engine-api';
import { manifestsYaml } from '@berth/engine-kubernetes';
import type { KubeObject } from '@berth/engine-api';
import { InvalidError, NotFoundError, clusterNameSchema } from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import type { ServicesModuleDeps } from './services-deps';
import { projectScope, serviceParams } from './service-params';
import { storedSpec } from './service-views';
import { canaryNonce, type ContainerRow, type ServiceRow } from './services.repository';
import { WorkloadSpecs } from './workload-specs';
import { primaryCluster } from './controller/workload-rollouts';

const base = '/api/v1/projects/:project/envs/:env/services';

/** The values of a Secret's keys: never shown (secret variables, the pull credential); the keys stay. */
export const redactedValue = '<redacted by Berth>';

/** A Secret with every value replaced by `redactedValue`; other objects as they are. */
function redacted(o: KubeObject): KubeObject {
  if (o.kind !== 'Secret') return o;
  const out: KubeObject = { ...o };
  for (const field of ['data', 'stringData'] as const) {
    const values = o[field] as Record<string, string> | undefined;
    if (values) out[field] = Object.fromEntries(Object.keys(values).map((k) => [k, redactedValue]));
  }
  return out;
}

/**
 * The route canaries (release → replicas) the controller runs as Deployments on `cluster` for the
 * service (ADR 0008): the routes' demand, when the service is neither stopped nor being deleted and
 * `cluster` runs most of its own replicas (service-controller.ts puts its canaries there). Judged
 * from the ledger (`own`: its live non-canary replicas), as the replicas shown are.
 */
async function canariesOn(
  deps: ServicesModuleDeps,
  row: ServiceRow,
  own: ContainerRow[],
  cluster: string,
): Promise<ReadonlyMap<number, number>> {
  const none = new Map<number, number>();
  if (row.stopped === 1 || row.deleting === 1 || !deps.canaries) return none;
  const counts: Record<string, number> = {};
  for (const c of own) counts[c.cluster] = (counts[c.cluster] ?? 0) + 1;
  if (primaryCluster(counts) !== cluster) return none;
  return (await deps.canaries()).get(`${row.project}/${row.env}/${row.name}`) ?? none;
}

/**
 * `GET …/services/{s}/manifests?cluster=NAME`: exactly the Kubernetes objects Berth applies for the
 * service's current release to that cluster (the engine's own `manifests`, the function its apply
 * uses), then its route canaries' there (the engine's `canaryManifests`, what `applyCanaries`
 * applies, from the controller's own builder `WorkloadSpecs.canaries`); Secret values redacted. As
 * JSON with the YAML, or as YAML alone with `format=yaml` (docs/kubernetes.md).
 */
export function registerManifestRoutes(registry: RouteRegistry, deps: ServicesModuleDeps): void {
  const specs = new WorkloadSpecs(deps.ctx, deps.engines, deps.secrets, deps.mounts);
  registry.add({
    id: 'services.manifests',
    method: 'GET',
    url: `${base}/:service/manifests`,
    summary:
      "The Kubernetes objects Berth applies for the service's current release to a Kubernetes cluster (replicas: the service's share there now, else all of its replicas), then those of its route canaries running there; Secret values redacted; format=yaml answers the YAML alone",
    tags: ['services'],
    access: { permission: 'services:read', scope: projectScope },
    params: serviceParams,
    query: z.object({
      cluster: clusterNameSchema,
      format: z.enum(['json', 'yaml']).default('json'),
    }),
    async handler({ params, query }) {
      const row = await deps.service.resolve(params);
      if (!(await deps.engines.clusters()).includes(query.cluster))
        throw new NotFoundError('CLUSTER_NOT_FOUND', `Cluster '${query.cluster}' is not registered.`);
      const engine = await deps.engines.get(query.cluster);
      if (!isWorkloadEngine(engine))
        throw new InvalidError(
          `Cluster '${query.cluster}' is a ${engine.kind} cluster: Berth runs containers there itself and applies no Kubernetes objects. Pick a cluster of kind kubernetes.`,
          [{ path: 'cluster', message: `is of kind ${engine.kind}, not kubernetes` }],
        );
      const release = await deps.repo.getRelease(row.id, row.release);
      if (!release) throw new NotFoundError('RELEASE_NOT_FOUND', `Release ${row.release} is missing.`);
      // the service's own replicas: its canaries' pods are not its Deployment's
      const own = (await deps.repo.activeContainers(row.id)).filter(
        (c) => c.restart_nonce !== canaryNonce && !['draining', 'stopping'].includes(c.state),
      );
      const here = own.filter((c) => c.cluster === query.cluster).length;
      const replicas = row.stopped === 1 ? 0 : here > 0 ? here : row.replicas;
      const { namespace, workload } = await specs.resolve(row, storedSpec(release), query.cluster, replicas);
      const canaries = await specs.canaries(
        row,
        await canariesOn(deps, row, own, query.cluster),
        query.cluster,
        async (n) => {
          const r = await deps.repo.getRelease(row.id, n);
          return r ? storedSpec(r) : null;
        },
      );
      const objects = [...engine.manifests(namespace, workload), ...engine.canaryManifests(canaries)].map(
        redacted,
      );
      const yaml = manifestsYaml(objects);
      if (query.format === 'yaml')
        return { status: 200, body: yaml, headers: { 'Content-Type': 'application/yaml; charset=utf-8' } };
      // the engine's own name, with the cluster's namespace prefix
      const ns = objects.find((o) => o.kind === 'Namespace')?.metadata.name ?? '';
      return { cluster: query.cluster, namespace: ns, yaml, objects };
    },
  });
}
