import type { SearchHit } from '@berth/shared';
import type { Actor, Authenticator } from '../../http/context';
import type { SearchRepository } from './search.repository';

/**
 * Global search: services by name or image, live containers by name, id, or IP; only in projects
 * the caller may read (every role that reads a project reads its services). Hits are ordered by
 * kind of match: services by name, services by image, then containers by name, id, IP.
 */
export class SearchService {
  constructor(
    private readonly repo: SearchRepository,
    private readonly auth: Pick<Authenticator, 'visibleProjects'>,
  ) {}

  async search(actor: Actor, q: string, limit: number): Promise<SearchHit[]> {
    const projects = await this.auth.visibleProjects(actor);
    if (projects !== null && projects.length === 0) return [];
    // Names, ids and IPs are lowercase; image references keep their case (tags may have capitals).
    const lower = q.toLowerCase();
    const [byName, byImage, ...containers] = await Promise.all([
      this.repo.servicesByName(lower, projects, limit),
      this.repo.containersBy('image', q, projects, limit * 4),
      this.repo.containersBy('name', lower, projects, limit),
      this.repo.containersBy('engine_id', lower, projects, limit),
      this.repo.containersBy('ip', lower, projects, limit),
    ]);
    const hits: SearchHit[] = [...byName];
    const seen = new Set(byName.map((h) => `service/${h.project}/${h.env}/${h.service}`));
    // A service matches by image when one of its live containers runs an image with that prefix.
    for (const c of byImage) {
      const key = `service/${c.project}/${c.env}/${c.service}`;
      if (seen.has(key)) continue;
      seen.add(key);
      hits.push({
        kind: 'service',
        project: c.project,
        env: c.env,
        service: c.service,
        displayName: c.displayName,
        status: c.status,
        match: 'image',
        value: c.value,
      });
    }
    for (const c of containers.flat()) {
      const key = `container/${c.container}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const { displayName: _d, status: _s, ...hit } = c;
      hits.push(hit);
    }
    return hits.slice(0, limit);
  }
}
