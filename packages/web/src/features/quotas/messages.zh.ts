/**
 * The Simplified Chinese strings of messages.ts, in a file of their own: only the Chinese
 * dictionary (i18n/zh-CN.ts, loaded when the portal shows Chinese) imports them.
 */
import type { quotaEn } from './messages';

export const quotaZh: Record<keyof typeof quotaEn, string> = {
  'quota.open': '配额',
  'quota.title': '项目 {project} 的配额',
  'quota.back': '服务',
  'quota.help':
    '用量统计所有未停止的服务（所有环境）：副本数 × 每个容器可用的 CPU 和内存（容器自身的限制，否则为项目默认值，否则为平台默认值），再加上灰度副本。存储卷按创建时的大小计入。',
  'quota.cpu': 'CPU',
  'quota.memory': '内存',
  'quota.replicas': '副本',
  'quota.volumes': '卷',
  'quota.used': '已用 {used}，共 {limit}，剩余 {left}',
  'quota.used.unlimited': '已用 {used}，无限制',
  'quota.unit.cores': '{n} 核',
  'quota.unit.mib': '{n} MiB',
  'quota.unit.gib': '{n} GiB',
  'quota.defaults': '每个容器的默认值',
  'quota.defaults.help':
    '未设置 CPU 或内存限制的容器以这些默认值启动。项目没有默认值时，每个容器按 {cpu} 核、{memory} MiB 计入用量。',
  'quota.defaults.none': '无',
  'quota.edit': '编辑配额',
  'quota.edit.title': '{project} 的配额',
  'quota.edit.help': '留空表示不限制。',
  'quota.save': '保存',
  'quota.saved': '配额已保存。',
  'quota.limit.cpu': 'CPU 上限（核）',
  'quota.limit.memory': '内存上限（MiB）',
  'quota.limit.replicas': '副本上限',
  'quota.limit.volumes': '卷容量上限（GiB）',
  'quota.default.cpu': '每个容器的默认 CPU（核）',
  'quota.default.memory': '每个容器的默认内存（MiB）',
  'quota.unlimited': '不限',
  'quota.updated': '最后由 {by} 于 {at} 修改',
  'svc.section.security': '安全',
  'svc.capabilities': '权能',
  'svc.capabilities.help':
    '其余所有内核权能都会被移除。保留任何权能都需要 services:capabilities 权限（团队管理员）。',
  'svc.readOnlyRootFilesystem': '只读根文件系统',
  'svc.readOnlyRootFilesystem.help': '容器会得到一个可写的 /tmp（64 MiB，位于内存中）。',
  'svc.pids': '进程数上限',
  'svc.pids.help': '容器可运行的最多进程和线程数；留空使用平台默认值。',
};
