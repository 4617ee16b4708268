/** The backup API paths the Backups card (AppBackups.tsx) calls (checked against /api/openapi.json by the e2e test). */
export const backupApiRoutes = {
  list: 'GET /api/v1/projects/{project}/envs/{env}/app-instances/{name}/backups',
  create: 'POST /api/v1/projects/{project}/envs/{env}/app-instances/{name}/backups',
  download: 'GET /api/v1/projects/{project}/envs/{env}/app-instances/{name}/backups/{id}/download',
  remove: 'DELETE /api/v1/projects/{project}/envs/{env}/app-instances/{name}/backups/{id}',
  restore: 'POST /api/v1/projects/{project}/envs/{env}/app-instances/{name}/backups/{id}/restore',
  schedule: 'PUT /api/v1/projects/{project}/envs/{env}/app-instances/{name}/backup-schedule',
  unschedule: 'DELETE /api/v1/projects/{project}/envs/{env}/app-instances/{name}/backup-schedule',
} as const;
