import { z } from 'zod';
import { nameSchema } from './names';
import { clusterNameSchema } from './clusters';

/**
 * Volumes (docs/volumes.md): data that outlives containers. A platform admin defines volume
 * classes; a developer creates volumes of a class in a project's environment and mounts them
 * into services with `spec.mounts: [{volume, path, readOnly?}]`.
 */

/**
 * `local`: a Podman volume on one cluster (its services are placed only there);
 * `nfs` and `cephfs`: a remote filesystem Podman's local driver mounts on whichever cluster a
 * container runs (the volume moves with its service).
 */
export const volumeClassKinds = ['local', 'nfs', 'cephfs'] as const;
export type VolumeClassKind = (typeof volumeClassKinds)[number];

/** One mount option: `key` or `key=value`, no commas or spaces (they are joined into `o=`). */
const mountOptionSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .regex(
    /^[A-Za-z0-9_.:/@+-]+(=[A-Za-z0-9_.:/@+-]+)?$/,
    'must be "key" or "key=value" without commas or spaces',
  );

/** A host name, IPv4 address or [IPv6] (NFS); CephFS: comma-separated monitors with ports. */
const serverSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(500, 'must be at most 500 characters')
  .regex(
    /^[A-Za-z0-9.:[\]-]+(,[A-Za-z0-9.:[\]-]+)*$/,
    'must be a host name or address (CephFS: monitors "host:port,host:port")',
  );

const exportPathSchema = z
  .string()
  .startsWith('/', 'must be an absolute path such as "/exports/berth"')
  .max(1024, 'must be at most 1024 characters')
  .regex(/^[A-Za-z0-9_./@+-]+$/, 'may hold letters, digits and "_", ".", "/", "@", "+", "-" only')
  .refine((p) => !p.split('/').some((s) => s === '..' || s === '.'), 'must not contain "." or ".." segments');

/** `PUT /api/v1/volume-classes/{name}` (platform admins). */
export const volumeClassRequestSchema = z
  .object({
    kind: z.enum(volumeClassKinds, { error: `must be one of ${volumeClassKinds.join(', ')}` }),
    description: z.string().max(500, 'must be at most 500 characters').optional(),
    /** nfs/cephfs: the server (NFS) or the monitors (CephFS). */
    server: serverSchema.optional(),
    /** nfs/cephfs: the exported directory under which every volume gets its own directory. */
    path: exportPathSchema.optional(),
    /** nfs/cephfs: extra mount options, e.g. ["nfsvers=4.1", "soft"] or ["name=berth"]. */
    mountOptions: z.array(mountOptionSchema).max(32, 'must hold at most 32 options').optional(),
    /** Largest sizeMiB a volume of this class may ask for; absent = 1 TiB. */
    maxSizeMiB: z.number().int('must be a whole number').min(1).max(1048576).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.kind === 'local') {
      for (const key of ['server', 'path', 'mountOptions'] as const)
        if (c[key] !== undefined)
          ctx.addIssue({ code: 'custom', path: [key], message: 'is only for nfs and cephfs classes' });
    } else {
      for (const key of ['server', 'path'] as const)
        if (c[key] === undefined)
          ctx.addIssue({ code: 'custom', path: [key], message: `is required for a ${c.kind} class` });
    }
    for (const [i, o] of (c.mountOptions ?? []).entries()) {
      const key = o.split('=')[0]!;
      if (['addr', 'device', 'type'].includes(key))
        ctx.addIssue({
          code: 'custom',
          path: ['mountOptions', i],
          message: `"${key}" is set by Berth from server and path`,
        });
    }
  });
export type VolumeClassRequest = z.output<typeof volumeClassRequestSchema>;

export interface VolumeClass {
  name: string;
  kind: VolumeClassKind;
  description: string;
  server: string | null;
  path: string | null;
  mountOptions: string[];
  maxSizeMiB: number;
  /** local: stays on one cluster; nfs/cephfs: shared, a service may run on any cluster. */
  shared: boolean;
  /** Volumes of this class (a class in use cannot be deleted). */
  volumes: number;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}

/** `POST /api/v1/projects/{p}/envs/{e}/volumes`. */
export const createVolumeRequestSchema = z
  .object({
    name: nameSchema,
    class: nameSchema,
    sizeMiB: z
      .number()
      .int('must be a whole number of MiB')
      .min(1, 'must be at least 1')
      .max(1048576, 'must be at most 1048576 (1 TiB)'),
    /** local classes: the cluster the volume lives on; default the environment's first cluster. */
    cluster: clusterNameSchema.optional(),
  })
  .strict();
export type CreateVolumeRequest = z.output<typeof createVolumeRequestSchema>;

/** Who mounts a volume: a service's current spec, a cron job's spec, or a container that exists. */
export interface VolumeUser {
  kind: 'service' | 'cronjob' | 'container';
  name: string;
  /** The service a container belongs to. */
  service?: string;
}

export interface Volume {
  name: string;
  project: string;
  env: string;
  class: string;
  kind: VolumeClassKind;
  sizeMiB: number;
  /**
   * Whether the engine enforces sizeMiB: a local volume gets a quota only where the
   * filesystem supports project quotas (XFS with pquota); nfs/cephfs sizes are the server's.
   */
  sizeEnforced: boolean;
  /** Why the size is not enforced, when it is not. */
  sizeNote: string | null;
  /** local: the cluster it lives on; null for shared classes. */
  cluster: string | null;
  /** The engine volume's name. */
  engineName: string;
  /** Bytes stored, as the engine reports them; null when not known (unreachable, not local). */
  usageBytes: number | null;
  usedBy: VolumeUser[];
  createdAt: string;
  createdBy: string;
}
