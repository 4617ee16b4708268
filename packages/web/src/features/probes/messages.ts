/**
 * The site monitoring nav label, in the portal's dictionaries (i18n/en.ts, i18n/zh-CN.ts). The
 * page's own strings are in probe-messages.ts, loaded with the page: the first load carries only
 * this label (the entry budget, docs/performance.md).
 */
export const probesEn = {
  'nav.probes': 'Site monitoring',
};
