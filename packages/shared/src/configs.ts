/**
 * Config files (docs/configs.md): a named set of text files of a project, every change a numbered
 * version. Services mount them read-only through `spec.mounts: [{config, path, version?, refresh?,
 * signal?}]` (service-spec.ts).
 */
import { z } from 'zod';
import { nameSchema } from './names';

/** Limits of one config (also in docs/configs.md). */
export const configLimits = {
  files: 64,
  /** Bytes (UTF-8) of one file. */
  fileBytes: 256 * 1024,
  /** Bytes (UTF-8) of all the files of one version. */
  totalBytes: 1024 * 1024,
  /** A tar header holds it under `..v<N>/` (ustar: 155 + 100) and a top-level link to it (100). */
  pathLength: 140,
  segmentLength: 90,
  pathDepth: 8,
} as const;

const segment = /^\.?[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * A file's name inside the config: a relative path ("app.conf", "conf.d/site.conf") of letters,
 * digits, ".", "_" and "-"; no leading "/", no "." or ".." segment, no segment that starts with
 * "." followed by "." (Berth keeps its own `..data` entries beside the files).
 */
export const configFilePathSchema = z
  .string()
  .min(1)
  .max(configLimits.pathLength)
  .refine((p) => !p.startsWith('/'), 'must be a relative path such as "app.conf" (no leading "/")')
  .refine(
    (p) => p.split('/').every((seg) => seg.length <= configLimits.segmentLength),
    `must have names of at most ${configLimits.segmentLength} characters between the "/"`,
  )
  .refine(
    (p) => p.split('/').length <= configLimits.pathDepth,
    `must be at most ${configLimits.pathDepth} directories deep`,
  )
  .refine(
    (p) => p.split('/').every((s) => segment.test(s)),
    'must be segments of letters, digits, ".", "_" and "-" separated by "/", without "." or ".." segments',
  );

/** UTF-8 size of a string. */
export function utf8Bytes(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** The files of a version, path → content; limits and path conflicts checked. */
export const configFilesSchema = z.record(z.string(), z.string()).superRefine((files, ctx) => {
  const paths = Object.keys(files);
  if (paths.length === 0)
    ctx.addIssue({ code: 'custom', message: 'give at least one file, e.g. {"app.conf": "..."}' });
  if (paths.length > configLimits.files)
    ctx.addIssue({
      code: 'custom',
      message: `has ${paths.length} files; a config holds at most ${configLimits.files}`,
    });
  let total = 0;
  const all = new Set(paths);
  for (const path of paths) {
    const parsed = configFilePathSchema.safeParse(path);
    if (!parsed.success)
      ctx.addIssue({ code: 'custom', path: [path], message: parsed.error.issues[0]!.message });
    const content = files[path]!;
    const bytes = utf8Bytes(content);
    total += bytes;
    if (bytes > configLimits.fileBytes)
      ctx.addIssue({
        code: 'custom',
        path: [path],
        message: `is ${bytes} bytes; a file holds at most ${configLimits.fileBytes} (256 KiB)`,
      });
    if (content.includes('\u0000'))
      ctx.addIssue({ code: 'custom', path: [path], message: 'must be text (it contains a NUL byte)' });
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i += 1) {
      const dir = parts.slice(0, i).join('/');
      if (all.has(dir))
        ctx.addIssue({
          code: 'custom',
          path: [dir],
          message: `is a file and also the directory of "${path}"`,
        });
    }
  }
  if (total > configLimits.totalBytes)
    ctx.addIssue({
      code: 'custom',
      message: `the files hold ${total} bytes; a config holds at most ${configLimits.totalBytes} (1 MiB)`,
    });
});

const reasonSchema = z.string().max(500);
const descriptionSchema = z.string().max(500);

/** POST /projects/{p}/configs. */
export const configCreateSchema = z
  .object({
    name: nameSchema,
    description: descriptionSchema.optional(),
    files: configFilesSchema,
    reason: reasonSchema.optional(),
  })
  .strict();
export type ConfigCreate = z.output<typeof configCreateSchema>;

/**
 * PUT /projects/{p}/configs/{c}: the whole new set of files (a new version when they changed).
 * `expectedVersion`: refused (409) when the config's current version is another one.
 */
export const configUpdateSchema = z
  .object({
    description: descriptionSchema.optional(),
    files: configFilesSchema,
    reason: reasonSchema.optional(),
    expectedVersion: z.number().int().min(1).optional(),
  })
  .strict();
export type ConfigUpdate = z.output<typeof configUpdateSchema>;

/** POST /projects/{p}/configs/{c}/rollback: a new version with the content of `version`. */
export const configRollbackSchema = z
  .object({ version: z.number().int().min(1), reason: reasonSchema.optional() })
  .strict();
export type ConfigRollback = z.output<typeof configRollbackSchema>;

export interface ConfigSummary {
  name: string;
  description: string;
  /** The current version. */
  version: number;
  files: number;
  bytes: number;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

export interface Config extends ConfigSummary {
  /** The current version's files. */
  content: Record<string, string>;
}

/** How one file changed from the previous version. */
export interface ConfigFileChange {
  path: string;
  change: 'added' | 'removed' | 'modified';
  /** Line diff ("-" removed, "+" added, two lines of context). */
  diff: string;
}

export interface ConfigVersion {
  number: number;
  reason: string;
  createdAt: string;
  createdBy: string;
  /** The version whose content this one restored (a rollback), else null. */
  rolledBackFrom: number | null;
  files: number;
  bytes: number;
  /** Changes from the previous version (all added for version 1). */
  changes: ConfigFileChange[];
  /** GET of one version only. */
  content?: Record<string, string>;
}

/** One service release that mounts the config. */
export interface ConfigUse {
  env: string;
  service: string;
  release: number;
  /** The config version that release runs. */
  version: number;
  path: string;
  refresh: 'rolling-restart' | 'signal' | 'none';
  /** Whether it is the release the service runs now (else a retained one a rollback could return to). */
  current: boolean;
  /** The mount names a version explicitly (else it follows the config). */
  pinned: boolean;
}

export interface ConfigUsage {
  config: string;
  version: number;
  uses: ConfigUse[];
  /** Cron jobs whose spec mounts it (each run mounts the version current when it starts). */
  cronJobs: { env: string; name: string; path: string }[];
}
