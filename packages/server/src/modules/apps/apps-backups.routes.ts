import { z } from 'zod';
import { Readable } from 'node:stream';
import { appBackupIdSchema, appBackupScheduleSchema, nameSchema } from '@berth/shared';
import { handled, type RouteRegistry } from '../../http/route';
import type { AppBackups } from './apps-backups';

const instanceParams = z.object({ project: nameSchema, env: nameSchema, name: nameSchema }).strict();
const backupParams = instanceParams.extend({ id: appBackupIdSchema }).strict();
const projectScope = (p: { project: string }) => ({ kind: 'project' as const, project: p.project });

/**
 * Backups of an app instance (docs/apps.md "Backups"), registered from registerAppRoutes. A
 * download is `services:exec`, like the password: a dump holds the data.
 */
export function registerAppBackupRoutes(registry: RouteRegistry, backups: AppBackups): void {
  const base = '/api/v1/projects/:project/envs/:env/app-instances/:name';
  const read = { permission: 'services:read' as const, scope: projectScope };
  const write = { permission: 'services:write' as const, scope: projectScope };
  const exec = { permission: 'services:exec' as const, scope: projectScope };
  const tags = ['apps'];
  const target = {
    kind: 'app-instance',
    name: (p: { project: string; env: string; name: string }) => `${p.project}/${p.env}/${p.name}`,
  };

  registry.add({
    id: 'appBackups.list',
    method: 'GET',
    url: `${base}/backups`,
    summary: "An app instance's backups (newest first), its backup schedule and its latest restore",
    tags,
    access: read,
    params: instanceParams,
    handler: ({ params, actor }) => backups.list(params.project, params.env, params.name, actor),
  });

  registry.add({
    id: 'appBackups.create',
    method: 'POST',
    url: `${base}/backups`,
    summary:
      'Back up the instance now into its backups volume ({name}-backups, made on first use); 409 while it is not running',
    tags,
    access: write,
    params: instanceParams,
    target,
    response: { status: 202, description: 'The backup, running; GET …/backups shows its file when done' },
    handler: async ({ params, actor }) => ({
      status: 202,
      body: await backups.backup(params.project, params.env, params.name, actor),
    }),
  });

  registry.add({
    id: 'appBackups.download',
    method: 'GET',
    url: `${base}/backups/:id/download`,
    summary: 'The backup file, streamed (services:exec: a backup holds the data)',
    tags,
    access: exec,
    params: backupParams,
    target: { kind: 'app-instance', name: (p) => `${p.project}/${p.env}/${p.name}` },
    response: { status: 200, description: 'The file', contentType: 'application/octet-stream' },
    async handler({ params, actor, reply }) {
      const { stream, file, sizeBytes } = await backups.download(
        params.project,
        params.env,
        params.name,
        params.id,
        actor,
      );
      let r = reply
        .code(200)
        .header('Content-Type', 'application/octet-stream')
        .header('Content-Disposition', `attachment; filename="${file}"`);
      if (sizeBytes !== null) r = r.header('Content-Length', String(sizeBytes));
      await r.send(Readable.from(stream));
      return handled;
    },
  });

  registry.add({
    id: 'appBackups.delete',
    method: 'DELETE',
    url: `${base}/backups/:id`,
    summary: 'Delete a backup file (or forget a failed backup)',
    tags,
    access: write,
    params: backupParams,
    target: { kind: 'app-instance', name: (p) => `${p.project}/${p.env}/${p.name}` },
    response: { status: 204, description: 'Deleted' },
    handler: async ({ params, actor }) => {
      await backups.remove(params.project, params.env, params.name, params.id, actor);
      return { status: 204 };
    },
  });

  registry.add({
    id: 'appBackups.restore',
    method: 'POST',
    url: `${base}/backups/:id/restore`,
    summary:
      "Replace the instance's data with a backup (Redis: members stopped, the RDB put in place, started; MariaDB: the dump piped into the server); 409 while not running or restoring",
    tags,
    access: write,
    params: backupParams,
    target: { kind: 'app-instance', name: (p) => `${p.project}/${p.env}/${p.name}` },
    response: { status: 202, description: 'The restore, running; GET …/backups shows how it ends' },
    handler: async ({ params, actor }) => ({
      status: 202,
      body: await backups.restore(params.project, params.env, params.name, params.id, actor),
    }),
  });

  registry.add({
    id: 'appBackups.putSchedule',
    method: 'PUT',
    url: `${base}/backup-schedule`,
    summary:
      'Back up on a schedule {schedule, timeZone?, keep}: makes or updates the cron job {name}-backup; older scheduled files beyond keep are removed',
    tags,
    access: write,
    params: instanceParams,
    body: appBackupScheduleSchema,
    target,
    handler: ({ params, body, actor }) =>
      backups.putSchedule(params.project, params.env, params.name, body, actor),
  });

  registry.add({
    id: 'appBackups.deleteSchedule',
    method: 'DELETE',
    url: `${base}/backup-schedule`,
    summary: 'Stop the scheduled backups: removes the cron job {name}-backup (the files stay)',
    tags,
    access: write,
    params: instanceParams,
    target,
    response: { status: 204, description: 'Removed' },
    handler: async ({ params, actor }) => {
      await backups.deleteSchedule(params.project, params.env, params.name, actor);
      return { status: 204 };
    },
  });
}
