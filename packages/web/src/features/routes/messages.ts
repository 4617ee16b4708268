/**
 * Strings of the canary panel's release target (the rest of the route strings live in
 * features/gateways/messages.ts). Glossary: release 版本, replica 副本, canary 灰度发布.
 */
export const routeCanaryEn = {
  'routes.canary.target': 'Send to',
  'routes.canary.target.service': 'Another service',
  'routes.canary.target.release': 'Another release of {service}',
  'routes.canary.release': 'Canary release',
  'routes.canary.release.help':
    'Berth runs containers of this release beside {service}; they end with the canary.',
  'routes.canary.release.option': 'Release {number}',
  'routes.canary.release.current': 'running now',
  'routes.canary.replicas': 'Canary containers',
  'routes.canary.toRelease': 'Release {number}',
  'routes.canary.promoting':
    'Promoting: {service} rolls to release {number}; the canary ends when it is done.',
  'routes.canary.promote.release.confirm':
    'Roll {service} to release {number}? The canary keeps its share until the rollout completes, then ends.',
} as const;
