/**
 * The Simplified Chinese strings of messages.ts, in a file of their own: only the Chinese
 * dictionary (i18n/zh-CN.ts, loaded when the portal shows Chinese) imports them.
 */
import type { routeCanaryEn } from './messages';

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
