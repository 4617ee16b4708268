/**
 * Strings of the project quota page and the service form's workload restrictions. Spread into
 * the portal's dictionaries (i18n/en.ts, i18n/zh-CN.ts); terms: quota 配额, capability 权能 (Linux
 * capability), read-only root filesystem 只读根文件系统.
 */
export const quotaEn = {
  'quota.open': 'Quota',
  'quota.title': 'Quota of project {project}',
  'quota.back': 'Services',
  'quota.help':
    'Usage counts every service that is not stopped, in every environment: replicas × the CPU and memory each container may use (its own limit, else the project default, else the platform default), plus canaries. Volumes count the size they were created with.',
  'quota.cpu': 'CPU',
  'quota.memory': 'Memory',
  'quota.replicas': 'Replicas',
  'quota.volumes': 'Volumes',
  'quota.used': '{used} of {limit} used, {left} left',
  'quota.used.unlimited': '{used} used, no limit',
  'quota.unit.cores': '{n} cores',
  'quota.unit.mib': '{n} MiB',
  'quota.unit.gib': '{n} GiB',
  'quota.defaults': 'Per-container defaults',
  'quota.defaults.help':
    'Containers whose spec sets no CPU or memory limit are started with these. Without a project default, usage counts {cpu} cores and {memory} MiB per container.',
  'quota.defaults.none': 'none',
  'quota.edit': 'Edit quota',
  'quota.edit.title': 'Quota of {project}',
  'quota.edit.help': 'Leave a field empty for no limit.',
  'quota.save': 'Save',
  'quota.saved': 'Quota saved.',
  'quota.limit.cpu': 'CPU limit (cores)',
  'quota.limit.memory': 'Memory limit (MiB)',
  'quota.limit.replicas': 'Replica limit',
  'quota.limit.volumes': 'Volume size limit (GiB)',
  'quota.default.cpu': 'Default CPU per container (cores)',
  'quota.default.memory': 'Default memory per container (MiB)',
  'quota.unlimited': 'unlimited',
  'quota.updated': 'Last changed by {by} at {at}',
  'svc.section.security': 'Security',
  'svc.capabilities': 'Capabilities',
  'svc.capabilities.help':
    'Every other Linux capability is dropped. Keeping any needs the services:capabilities permission (team admins).',
  'svc.readOnlyRootFilesystem': 'Read-only root filesystem',
  'svc.readOnlyRootFilesystem.help': 'The container gets a writable /tmp (64 MiB, in memory).',
  'svc.pids': 'Process limit',
  'svc.pids.help': 'Most processes and threads a container may run; empty = the platform default.',
};
