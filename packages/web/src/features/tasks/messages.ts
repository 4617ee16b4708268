/** Task kinds the server creates (services, builds, registry GC); others are shown as sent. */
export const taskKinds = [
  'deploy',
  'scale',
  'restart',
  'stop',
  'start',
  'rollback',
  'delete',
  'build',
  'registry.gc',
] as const;

export const tasksEn = {
  'tasks.progress': '{done} of {total} done',
  'tasks.kind.deploy': 'Deploy',
  'tasks.kind.scale': 'Scale',
  'tasks.kind.restart': 'Restart',
  'tasks.kind.stop': 'Stop',
  'tasks.kind.start': 'Start',
  'tasks.kind.rollback': 'Roll back',
  'tasks.kind.delete': 'Delete',
  'tasks.kind.build': 'Build',
  'tasks.kind.registry.gc': 'Registry garbage collection',
} as const;

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
