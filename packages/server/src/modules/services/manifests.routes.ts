import { z } from 'zod';
import { isWorkloadEngine } from '@berth/engine-api';
import { manifestsYaml } from '@berth/engine-kubernetes';
import type { KubeObject } from '@berth/engine-api';
import { InvalidError, NotFoundError, clusterNameSchema } from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import type { ServicesModuleDeps } from './services-deps';
import { projectScope, serviceParams } from './service-params';
import { storedSpec } from './service-views';
import { WorkloadSpecs } from './workload-specs';

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
 * `GET …/services/{s}/manifests?cluster=NAME`: exactly the Kubernetes objects Berth applies for the
 * service's current release to that cluster (the engine's own `manifests`, the function its apply
 * uses; Secret values redacted), as JSON with the YAML, or as YAML alone with `format=yaml` (docs/kubernetes.md).
 */
export function registerManifestRoutes(registry: RouteRegistry, deps: ServicesModuleDeps): void {
  const specs = new WorkloadSpecs(deps.ctx, deps.engines, deps.secrets, deps.mounts);
  registry.add({
    id: 'services.manifests',
    method: 'GET',
    url: `${base}/:service/manifests`,
    summary:
      "The Kubernetes objects Berth applies for the service's current release to a Kubernetes cluster (replicas: the service's share there now, else all of its replicas; Secret values redacted); format=yaml answers the YAML alone",
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
      const here = (await deps.repo.activeContainers(row.id)).filter(
        (c) => c.cluster === query.cluster && !['draining', 'stopping'].includes(c.state),
      ).length;
      const replicas = row.stopped === 1 ? 0 : here > 0 ? here : row.replicas;
      const { namespace, workload } = await specs.resolve(row, storedSpec(release), query.cluster, replicas);
      const objects = engine.manifests(namespace, workload).map(redacted);
      const yaml = manifestsYaml(objects);
      if (query.format === 'yaml')
        return { status: 200, body: yaml, headers: { 'Content-Type': 'application/yaml; charset=utf-8' } };
      // the engine's own name, with the cluster's namespace prefix
      const ns = objects.find((o) => o.kind === 'Namespace')?.metadata.name ?? '';
      return { cluster: query.cluster, namespace: ns, yaml, objects };
    },
  });
}
