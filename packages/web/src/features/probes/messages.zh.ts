import type { probesEn } from './messages';

/** 站点监控的导航文案；页面文案在 probe-messages.ts，随页面加载。 */
export const probesZh: Record<keyof typeof probesEn, string> = {
  'nav.probes': '站点监控',
};
