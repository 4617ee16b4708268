import type { ServicesModuleDeps } from '../services/services-deps';
import { canaryNonce, type ServiceRow } from '../services/services.repository';
import { storedSpec } from '../services/service-views';
import type { AutoscaleServices, AutoscaledService } from './autoscale-ports';

const leaving = new Set(['draining', 'stopping']);

function view(row: ServiceRow): AutoscaledService {
  return {
    id: row.id,
    project: row.project,
    env: row.env,
    name: row.name,
    replicas: row.replicas,
    stopped: row.stopped === 1,
    deleting: row.deleting === 1,
    release: row.release,
  };
}

/** The autoscale module's port onto the services module (server.ts hands it over). */
export function autoscaleServicesOf(deps: ServicesModuleDeps): AutoscaleServices {
  const { repo, service } = deps;
  return {
    resolve: async (p) => view(await service.resolve(p)),
    findById: async (id) => {
      const row = await repo.findById(id);
      return row ? view(row) : null;
    },
    spec: async (id, release) => {
      const r = await repo.getRelease(id, release);
      return r ? storedSpec(r) : null;
    },
    // the service's own containers: canaries (their own replica count) and leaving ones are not its replicas
    containers: async (id) =>
      (await repo.activeContainers(id))
        .filter((c) => c.restart_nonce !== canaryNonce && !leaving.has(c.state))
        .map((c) => ({ name: c.name, ready: c.state === 'ready' && c.ready === 1 })),
    scale: async (p, replicas, actor) => {
      await service.scale(p, replicas, actor);
    },
    addEvent: (id, type, message, severity) => repo.addEvent(id, type, message, { severity }),
  };
}
