import { z } from 'zod';
import { appInstanceUpgradeSchema, nameSchema } from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import type { AppUpgrades } from './apps-upgrade';

const instanceParams = z.object({ project: nameSchema, env: nameSchema, name: nameSchema }).strict();

/** POST …/app-instances/{name}/upgrade (docs/apps.md, "Upgrade"). */
export function registerAppUpgradeRoutes(registry: RouteRegistry, upgrades: AppUpgrades): void {
  registry.add({
    id: 'appInstances.upgrade',
    method: 'POST',
    url: '/api/v1/projects/:project/envs/:env/app-instances/:name/upgrade',
    summary:
      'Upgrade an app instance to a newer template version {version}: its members roll one at a time (the leader last); GET shows state "upgrading" and `upgrade` with the progress (422 at version, 409 while not running)',
    tags: ['apps'],
    access: { permission: 'services:write', scope: (p) => ({ kind: 'project', project: p.project }) },
    params: instanceParams,
    body: appInstanceUpgradeSchema,
    response: { status: 202, description: 'The instance, state "upgrading"' },
    target: { kind: 'app-instance', name: (p) => `${p.project}/${p.env}/${p.name}` },
    handler: async ({ params, body, actor }) => ({
      status: 202,
      body: await upgrades.begin(params.project, params.env, params.name, body.version, actor),
    }),
  });
}
