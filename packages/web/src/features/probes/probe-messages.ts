import { format, useI18n } from '../../i18n/I18nProvider';

/*
 * Strings of the site monitoring page, English and Chinese, loaded with the page (not in the
 * first load's dictionaries). Terms follow docs/glossary.md.
 */
const en = {
  title: 'Site monitoring',
  intro:
    'HTTP(S) and TCP probes of {project} / {env}, run by the blackbox exporter. A probe may target only what the project owns: its routes’ hosts or their server backends.',
  create: 'Add probe',
  delete: 'Delete',
  edit: 'Edit',
  editTitle: 'Edit probe {name}',
  editSave: 'Save',
  edited: 'Probe {name} saved.',
  editAlertKept: 'Its alert rule {rule} stays as it is; change it on the alert rules page.',
  deleteConfirm: 'Delete probe {name} (and its alert rule)?',
  deleted: 'Probe {name} deleted.',
  saved: 'Probe {name} added.',
  emptyTitle: 'No probes in {project} / {env} yet.',
  emptyHint: 'Add one to watch a site’s status, body and latency.',
  colName: 'Name',
  colTarget: 'Target',
  colState: 'Now',
  colUptime: 'Uptime 24 h',
  colLatency: 'Last probe',
  colInterval: 'Every',
  colAlert: 'Alert rule',
  up: 'up',
  down: 'down',
  unknown: 'no data',
  disabled: 'disabled',
  formTitle: 'Add probe',
  formName: 'Name',
  formKind: 'Kind',
  formUrl: 'URL',
  formAddress: 'Address (HOST:PORT)',
  formExpect: 'Expected status',
  formMustNotMatch: 'Fail when the body matches (regex)',
  formMustMatch: 'Fail unless the body matches (regex)',
  formLatency: 'Latency threshold (ms)',
  formInterval: 'Interval (seconds)',
  formAlert: 'Create an alert rule',
  formAlertFor: 'Alert after (for)',
  required: 'Required',
  chartTitle: 'Uptime of {name}',
  chartSuccess: 'success',
  chartLatency: 'latency (s)',
  chartEmpty: 'No probe results in this range yet.',
  chartUptime: 'Uptime over {range}: {value}',
};

const zh: Record<keyof typeof en, string> = {
  title: '站点监控',
  intro:
    '{project} / {env} 的 HTTP(S) 与 TCP 探测，由 blackbox exporter 执行。探测目标只能是本项目拥有的：其路由的域名或路由的服务器后端。',
  create: '添加探测',
  delete: '删除',
  edit: '编辑',
  editTitle: '编辑探测 {name}',
  editSave: '保存',
  edited: '探测 {name} 已保存。',
  editAlertKept: '其告警策略 {rule} 保持不变；可在告警策略页面修改。',
  deleteConfirm: '删除探测 {name}（及其告警策略）？',
  deleted: '探测 {name} 已删除。',
  saved: '探测 {name} 已添加。',
  emptyTitle: '{project} / {env} 还没有探测。',
  emptyHint: '添加一个探测，监控站点的状态码、响应内容与延迟。',
  colName: '名称',
  colTarget: '目标',
  colState: '当前',
  colUptime: '24 小时可用率',
  colLatency: '最近耗时',
  colInterval: '间隔',
  colAlert: '告警策略',
  up: '正常',
  down: '故障',
  unknown: '暂无数据',
  disabled: '已停用',
  formTitle: '添加探测',
  formName: '名称',
  formKind: '类型',
  formUrl: 'URL',
  formAddress: '地址（HOST:PORT）',
  formExpect: '期望状态码',
  formMustNotMatch: '响应内容匹配时失败（正则）',
  formMustMatch: '响应内容不匹配时失败（正则）',
  formLatency: '延迟阈值（毫秒）',
  formInterval: '间隔（秒）',
  formAlert: '同时创建告警策略',
  formAlertFor: '持续多久后告警（for）',
  required: '必填',
  chartTitle: '{name} 的可用率',
  chartSuccess: '成功率',
  chartLatency: '延迟（秒）',
  chartEmpty: '该时间范围内还没有探测结果。',
  chartUptime: '{range} 可用率：{value}',
};

export type ProbeMessage = keyof typeof en;

/** The page's translate function for the portal's current language. */
export function useProbeT(): {
  pt: (key: ProbeMessage, vars?: Record<string, string | number>) => string;
  lang: string;
} {
  const { lang } = useI18n();
  const dict = lang === 'zh-CN' ? zh : en;
  return { pt: (key, vars) => format(dict[key], vars), lang };
}
