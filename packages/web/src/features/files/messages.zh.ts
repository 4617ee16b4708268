/**
 * The Simplified Chinese strings of messages.ts, in a file of their own: only the Chinese
 * dictionary (i18n/zh-CN.ts, loaded when the portal shows Chinese) needs them.
 */
import type { filesEn } from './messages';

export const filesZh: Record<keyof typeof filesEn, string> = {
  'files.button': '文件',
  'files.button.help':
    '浏览此容器的文件，查看、截取末尾或持续跟踪日志文件，下载 —— 镜像中没有 shell 也可用（在 Kubernetes 上镜像需要有 tar，与 kubectl cp 相同）',
  'files.title': '{name} 的文件',
  'files.tab.browse': '文件',
  'files.tab.collected': '已收集日志',
  'files.back': '返回服务',
  'files.path': '路径',
  'files.go': '打开',
  'files.name': '名称',
  'files.size': '大小',
  'files.mode': '权限',
  'files.modified': '修改时间',
  'files.empty': '空目录',
  'files.truncated': '该目录的条目超过单次列表可显示的数量。',
  'files.view': '查看',
  'files.tail': '末尾',
  'files.follow': '跟踪',
  'files.stop': '停止',
  'files.download': '下载',
  'files.downloadTar': '下载为 tar',
  'files.following': '正在跟踪 {path}',
  'files.rotated': '—— 文件已轮转或被截断，从头读取 ——',
  'files.missing': '—— 文件已不存在，等待其重新出现 ——',
  'files.ended': '跟踪已结束：{reason}',
  'files.pick': '选择一个文件以查看、截取末尾或跟踪。',
  'files.gone': '此容器已不存在；其已收集的日志文件仍保留。',
  'files.collected.none': '未从此容器收集日志文件。服务会收集其 spec.logFiles 中指定的文件。',
  'files.collected.file': '文件',
  'files.collected.from': '容器内路径',
  'files.collected.help':
    'Berth 对 spec.logFiles 中文件的副本，每 2 秒检查一次；容器删除后仍保留。以 .1、.2 … 结尾的是较早的部分（按大小轮转）。',
  'files.collectedLink': '已收集日志',
};
