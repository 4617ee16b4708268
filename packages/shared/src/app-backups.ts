/**
 * Backups of app instances (docs/apps.md "Backups"): files in the instance's backups volume,
 * made on demand or by the instance's backup cron job, and put back by a restore.
 */
import { z } from 'zod';
import { cronJobSpecSchema } from './cronjobs';

export const appBackupStates = ['running', 'succeeded', 'failed'] as const;
export type AppBackupState = (typeof appBackupStates)[number];

export interface AppBackup {
  /** The file name for a finished backup; `run-<id>` for a scheduled run without a file. */
  id: string;
  /** The file in the backups volume (null when a scheduled run failed before writing it). */
  file: string | null;
  sizeBytes: number | null;
  state: AppBackupState;
  startedAt: string | null;
  finishedAt: string | null;
  /** Why it failed (the step's last output lines), or what it wrote. */
  message: string | null;
  trigger: 'manual' | 'schedule';
}

export interface AppBackupSchedule {
  /** The cron job making the scheduled backups (an ordinary cron job of the environment). */
  cronJob: string;
  schedule: string;
  timeZone: string;
  keep: number;
  nextRunAt: string | null;
}

/** A restore: running in the background after its 202; the latest one of the instance. */
export interface AppRestore {
  backupId: string;
  state: AppBackupState;
  startedAt: string;
  finishedAt: string | null;
  message: string | null;
  startedBy: string;
}

export interface AppBackupList {
  items: AppBackup[];
  /** The backups volume (`{name}-backups`), null before the first backup. */
  volume: string | null;
  kind: string | null;
  schedule: AppBackupSchedule | null;
  restore: AppRestore | null;
  nextCursor: null;
}

export const appBackupScheduleSchema = z
  .object({
    schedule: cronJobSpecSchema.shape.schedule,
    timeZone: cronJobSpecSchema.shape.timeZone,
    /** Scheduled backup files kept; older ones are removed by the next scheduled run. */
    keep: z.number().int().min(1).max(100).default(7),
  })
  .strict();
export type AppBackupScheduleRequest = z.output<typeof appBackupScheduleSchema>;
export type AppBackupScheduleInput = z.input<typeof appBackupScheduleSchema>;

/** A backup's id: its file name (letters, digits, '.', '-', '_'), or `run-<id>`. */
export const appBackupIdSchema = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a backup id from GET …/backups');
