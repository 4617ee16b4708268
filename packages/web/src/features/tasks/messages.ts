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
