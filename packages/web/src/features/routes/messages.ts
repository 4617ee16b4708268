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

export const routeCanaryZh: Record<keyof typeof routeCanaryEn, string> = {
  'routes.canary.target': '发往',
  'routes.canary.target.service': '另一个服务',
  'routes.canary.target.release': '{service} 的另一个版本',
  'routes.canary.release': '灰度版本',
  'routes.canary.release.help': 'Berth 在 {service} 旁运行该版本的容器，灰度发布结束时一并移除。',
  'routes.canary.release.option': '版本 {number}',
  'routes.canary.release.current': '当前运行',
  'routes.canary.replicas': '灰度容器数',
  'routes.canary.toRelease': '版本 {number}',
  'routes.canary.promoting': '全量发布中：{service} 正在滚动更新到版本 {number}，完成后灰度发布结束。',
  'routes.canary.promote.release.confirm':
    '将 {service} 滚动更新到版本 {number}？更新完成前灰度流量保持不变，完成后灰度发布结束。',
};
