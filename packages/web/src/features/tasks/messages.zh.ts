/**
 * The Simplified Chinese strings of messages.ts, in a file of their own: only the Chinese
 * dictionary (i18n/zh-CN.ts, loaded when the portal shows Chinese) imports them.
 */
import type { tasksEn } from './messages';

export const tasksZh: Record<keyof typeof tasksEn, string> = {
  'tasks.progress': '已完成 {done} / {total}',
  'tasks.kind.deploy': '部署',
  'tasks.kind.scale': '扩缩容',
  'tasks.kind.restart': '重启',
  'tasks.kind.stop': '停止',
  'tasks.kind.start': '启动',
  'tasks.kind.rollback': '回滚',
  'tasks.kind.delete': '删除',
  'tasks.kind.build': '构建',
  'tasks.kind.registry.gc': '镜像仓库垃圾回收',
};
