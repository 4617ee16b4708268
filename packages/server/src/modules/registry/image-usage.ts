import type { ServiceRef } from '@berth/shared';
import type { Db } from '../../db/database';
import { parseJson } from '../../util';
import { parseImageRef, sameHost } from './image-ref';

/** A service's current release, reduced to what image matching needs. */
export interface ServiceImage extends ServiceRef {
  tag: string | null;
  digest: string | null;
  /** The digest recorded on the release (a build's pushed manifest), when known. */
  releaseDigest: string | null;
}

/**
 * The services whose current release pulls from `host`/`repository`, in the given projects
 * (null: every project). A cheap LIKE narrows the rows; the reference is then parsed exactly.
 */
export async function servicesUsingRepository(
  db: Db,
  host: string,
  repository: string,
  projects: string[] | null,
): Promise<ServiceImage[]> {
  if (projects !== null && projects.length === 0) return [];
  let q = db
    .selectFrom('services as s')
    .innerJoin('releases as r', (j) =>
      j.onRef('r.service_id', '=', 's.id').onRef('r.number', '=', 's.release'),
    )
    .select(['s.project', 's.env', 's.name', 's.stopped', 's.replicas', 'r.spec', 'r.image_digest'])
    .where('s.deleting', '=', 0)
    // repository matched repositoryPattern, so it holds no LIKE wildcard but '_' (which matches itself too)
    .where('r.spec', 'like', `%/${repository}%`);
  if (projects !== null) q = q.where('s.project', 'in', projects);
  const rows = await q.execute();
  const out: ServiceImage[] = [];
  for (const row of rows) {
    const image = parseJson<{ image?: string }>(row.spec, {}).image ?? '';
    const ref = parseImageRef(image);
    if (!ref || ref.repository !== repository || !sameHost(ref.host, host)) continue;
    out.push({
      project: row.project,
      env: row.env,
      service: row.name,
      image,
      running: row.stopped === 0 && row.replicas > 0,
      tag: ref.tag,
      digest: ref.digest,
      releaseDigest: row.image_digest?.startsWith('sha256:') ? row.image_digest : null,
    });
  }
  return out.sort((a, b) =>
    `${a.project}/${a.env}/${a.service}`.localeCompare(`${b.project}/${b.env}/${b.service}`),
  );
}

export function toServiceRef(s: ServiceImage): ServiceRef {
  return { project: s.project, env: s.env, service: s.service, image: s.image, running: s.running };
}
