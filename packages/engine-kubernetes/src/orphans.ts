/**
 * Orphans: objects carrying this Berth instance's and cluster's ownership labels whose service,
 * volume or environment Berth no longer has — deleted while Berth was down, or while the cluster
 * was unreachable. The workload's own garbage collection (apply.ts) only ever sees services that
 * still exist; this sweep sees the rest. What goes:
 * - Deployments (canaries included), Services and Secrets whose `berth.service` is no service of
 *   Berth's (a Deployment's ReplicaSets and pods follow it);
 * - ConfigMaps of config versions whose environment or config is gone (one still mounted by a
 *   live service cannot be: its config cannot be deleted while mounted);
 * - PersistentVolumeClaims only when their volume is deleted in Berth — a claim is data, and
 *   Berth deletes a volume's data only when the volume is deleted, as on Podman;
 * - Namespaces whose project or environment is gone, and only once no claim is left in them
 *   (deleting a namespace deletes its claims: a claim of a volume Berth still has keeps it);
 * - one-off pods (`runContainer`, label `berth.one-off`) of an environment that is gone, and those
 *   that ended more than `oneOffKeepMs` ago (their caller reads a pod's output and deletes it
 *   within seconds of its end: one still there was left by a crash). A live one-off pod of a
 *   kept environment is never deleted here: only its caller knows whether it is still wanted
 *   (a cron run's pods: the scheduler's sweep, docs/cronjobs.md). Their Secrets (the variables)
 *   go with them, by owner reference; one left without an owner goes after `oneOffKeepMs` too.
 *
 * The cluster is listed first and what Berth has is read after (`keep()`), so an object applied
 * while the sweep runs belongs to a service `keep()` already knows.
 */
import { labelKeys, type OrphanKeep } from '@berth/engine-api';
import type { KubeClient } from './client';
import { deleteObject } from './apply';
import type { KubeList, ObjectMeta, Deployment, Pod } from './kube-types';
import { kubeKeys } from './manifests/common';
import { collectionPath, resourceOf, type ResourceInfo } from './resources';

type Meta = { metadata: ObjectMeta };

async function listAll<T extends Meta>(
  client: KubeClient,
  info: ResourceInfo,
  selector: string,
): Promise<T[]> {
  const list = await client.json<KubeList<T>>('GET', collectionPath(info), {
    query: { labelSelector: selector },
    ctx: { verb: 'list', resource: info.rbac },
  });
  return list?.items ?? [];
}

/** A one-off pod that ended this long ago is left over (see the top comment). */
export const oneOffKeepMs = 60 * 60 * 1000;

const label = (o: Meta, key: string) => o.metadata.labels?.[key];
const envOf = (o: Meta) => `${label(o, labelKeys.project) ?? ''}/${label(o, labelKeys.env) ?? ''}`;

/**
 * Deletes the orphans of `owner` (the selector `berth.instance=…,berth.cluster=…`); returns
 * `plural/namespace/name` of what went (`deployments/shop-prod-1a2b3c4d/web`).
 */
export async function collectOrphans(
  client: KubeClient,
  owner: string,
  keep: () => Promise<OrphanKeep>,
  now = Date.now(),
): Promise<string[]> {
  const kinds = {
    deployment: resourceOf('apps/v1', 'Deployment'),
    service: resourceOf('v1', 'Service'),
    secret: resourceOf('v1', 'Secret'),
    configMap: resourceOf('v1', 'ConfigMap'),
    claim: resourceOf('v1', 'PersistentVolumeClaim'),
    namespace: resourceOf('v1', 'Namespace'),
    pod: resourceOf('v1', 'Pod'),
  };
  const ofService = `${owner},${labelKeys.service}`;
  const listed = {
    deployments: await listAll<Deployment>(client, kinds.deployment, ofService),
    services: await listAll<Meta>(client, kinds.service, ofService),
    secrets: await listAll<Meta>(client, kinds.secret, ofService),
    configMaps: await listAll<Meta>(client, kinds.configMap, `${owner},${kubeKeys.config}`),
    claims: await listAll<Meta>(client, kinds.claim, `${owner},${kubeKeys.volume}`),
    namespaces: await listAll<Meta>(client, kinds.namespace, owner),
    oneOffs: await listAll<Pod>(client, kinds.pod, `${owner},${kubeKeys.oneOff}=true`),
    oneOffSecrets: await listAll<Meta>(client, kinds.secret, `${owner},${kubeKeys.oneOff}=true`),
  };
  const have = await keep();
  const gone: string[] = [];
  const drop = async (info: ResourceInfo, o: Meta) => {
    await deleteObject(client, info, o.metadata.name, o.metadata.namespace);
    gone.push(`${info.plural}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`);
  };
  const orphanService = (o: Meta) => !have.services.has(label(o, labelKeys.service) ?? '');
  for (const d of listed.deployments) if (orphanService(d)) await drop(kinds.deployment, d);
  for (const s of listed.services) if (orphanService(s)) await drop(kinds.service, s);
  for (const s of listed.secrets) if (orphanService(s)) await drop(kinds.secret, s);

  for (const p of listed.oneOffs) {
    const ended = endedAt(p);
    if (!have.envs.has(envOf(p)) || (ended !== null && now - ended > oneOffKeepMs)) await drop(kinds.pod, p);
  }
  // a one-off pod's Secret goes with its pod (its owner); one without an owner was left by a
  // crash between the Secret's apply and the pod's
  for (const s of listed.oneOffSecrets) {
    const owned = (s.metadata.ownerReferences ?? []).length > 0;
    const age = now - Date.parse(s.metadata.creationTimestamp ?? '');
    if (!have.envs.has(envOf(s)) || (!owned && age > oneOffKeepMs)) await drop(kinds.secret, s);
  }

  // claims: only of deleted volumes
  const claimsLeft = new Map<string, number>();
  for (const c of listed.claims) {
    const volume = `${envOf(c)}/${label(c, kubeKeys.volume) ?? ''}`;
    if (!have.volumes.has(volume)) await drop(kinds.claim, c);
    else claimsLeft.set(c.metadata.namespace ?? '', (claimsLeft.get(c.metadata.namespace ?? '') ?? 0) + 1);
  }

  // config maps: of gone environments or deleted configs (one still in Berth is written again
  // whenever a service mounts it; an unmounted one of a kept config is left to the service's GC)
  for (const m of listed.configMaps) {
    const config = `${label(m, labelKeys.project) ?? ''}/${label(m, kubeKeys.config) ?? ''}`;
    if (!have.envs.has(envOf(m)) || !have.configs.has(config)) await drop(kinds.configMap, m);
  }

  // namespaces of gone environments, once no claim of a kept volume is in them
  for (const n of listed.namespaces) {
    if (have.envs.has(envOf(n))) continue;
    if ((claimsLeft.get(n.metadata.name) ?? 0) > 0) continue;
    // a claim without Berth's labels (made by hand) keeps the namespace too
    const anyClaim = await client.json<KubeList<Meta>>('GET', collectionPath(kinds.claim, n.metadata.name), {
      query: { limit: 1 },
      allow: [404],
      ctx: { verb: 'list', resource: kinds.claim.rbac, namespace: n.metadata.name },
    });
    if ((anyClaim?.items ?? []).length > 0) continue;
    await drop(kinds.namespace, n);
  }
  return gone;
}

/** When a pod ended (its last container's finish), or null while it has not. */
function endedAt(p: Pod): number | null {
  if (p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed') return null;
  const times = (p.status.containerStatuses ?? []).flatMap((c) =>
    c.state?.terminated?.finishedAt ? [Date.parse(c.state.terminated.finishedAt)] : [],
  );
  return times.length ? Math.max(...times) : null;
}
