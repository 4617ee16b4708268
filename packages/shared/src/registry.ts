import { z } from 'zod';
import { displayNameSchema, nameSchema } from './names';
import type { ObjectMeta } from './resources';

/** Name of the embedded registry (docker-registry on loopback, supervised by `berth up`). */
export const embeddedRegistryName = 'local';

/**
 * The base URL of an OCI registry: http(s)://host[:port], no path, query or credentials.
 * Credentials go in their own fields so they can be sealed.
 */
export const registryUrlSchema = z
  .string()
  .max(253, 'must be at most 253 characters')
  .refine((raw) => {
    try {
      const u = new URL(raw);
      return (
        (u.protocol === 'http:' || u.protocol === 'https:') &&
        u.username === '' &&
        u.password === '' &&
        (u.pathname === '/' || u.pathname === '') &&
        u.search === '' &&
        u.hash === '' &&
        !raw.endsWith('/')
      );
    } catch {
      return false;
    }
  }, 'must be http(s)://HOST[:PORT] with no path, query or credentials, e.g. https://harbor.example.com');

/** Podman's local image store (`localhost/…`) as a registry name for public repositories. */
export const localStoreRegistryName = 'local-store';

/** A team or project a platform admin assigned a registry to: its services may use its images. */
export const registryAssignmentSchema = z
  .object({ kind: z.enum(['team', 'project']), name: nameSchema })
  .strict();
export type RegistryAssignment = z.output<typeof registryAssignmentSchema>;
const assignedToSchema = z.array(registryAssignmentSchema).max(200);

/** POST/DELETE …/registries/{registry}/public-repositories */
export const publicRepositoryRequestSchema = z
  .object({
    repository: z
      .string()
      .max(255)
      .regex(
        /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*){0,9}$/,
        'must be a repository name: lowercase path components such as shop/web',
      ),
  })
  .strict();
export type PublicRepositoryRequest = z.output<typeof publicRepositoryRequestSchema>;

const usernameSchema = z.string().min(1).max(200);
/** A password or token; write-only. */
const passwordSchema = z.string().min(1).max(4096);

export const createRegistryRequestSchema = z
  .object({
    name: nameSchema.refine(
      (n) => n !== embeddedRegistryName,
      `"${embeddedRegistryName}" is reserved for the embedded registry`,
    ),
    displayName: displayNameSchema.optional(),
    url: registryUrlSchema,
    username: usernameSchema.optional(),
    password: passwordSchema.optional(),
    assignedTo: assignedToSchema.optional(),
  })
  .strict();
export type CreateRegistryRequest = z.output<typeof createRegistryRequestSchema>;

export const updateRegistryRequestSchema = z
  .object({
    displayName: displayNameSchema.optional(),
    url: registryUrlSchema.optional(),
    /** null removes the username and the password. */
    username: usernameSchema.nullable().optional(),
    /** A new password or token; null removes it; absent keeps the stored one. */
    password: passwordSchema.nullable().optional(),
    /** Replaces the teams and projects whose services may use this registry's images. */
    assignedTo: assignedToSchema.optional(),
    version: z.number().int().min(1).optional(),
  })
  .strict();
export type UpdateRegistryRequest = z.output<typeof updateRegistryRequestSchema>;

export interface Registry extends ObjectMeta {
  displayName: string;
  /** `embedded` is Berth's own registry (read-only here); `external` ones are added by admins. */
  kind: 'embedded' | 'external';
  url: string;
  /** host[:port] as it appears in image references. */
  host: string;
  username: string | null;
  /** Write-only: never returned. */
  password: { value: null; isSet: boolean };
  /** Teams and projects whose services may use this registry's images. */
  assignedTo: RegistryAssignment[];
  /** Repositories every logged-in user may pull and run. */
  publicRepositories: string[];
}

export interface RegistryTestResult {
  ok: boolean;
  /** HTTP status of the final /v2/ ping, or null when the registry could not be reached. */
  httpStatus: number | null;
  auth: 'none' | 'basic' | 'bearer';
  latencyMs: number;
  message: string;
}

/** A repository in a registry; `project` is its first path segment when that is a Berth project. */
export interface ImageRepository {
  name: string;
  project: string | null;
}

export interface ServiceRef {
  project: string;
  env: string;
  service: string;
  /** The image reference of the service's current release. */
  image: string;
  running: boolean;
}

export interface ImageTag {
  tag: string;
  /** The manifest digest (what a delete removes). */
  digest: string;
  mediaType: string;
  /** Config + layers, compressed, in bytes (for an index: of the first platform's manifest). */
  sizeBytes: number | null;
  createdAt: string | null;
  architecture: string | null;
  os: string | null;
  /** Services whose current release runs this image (by tag or by digest); only readable ones. */
  usedBy: ServiceRef[];
}

export interface ImageTagDetail extends ImageTag {
  repository: string;
  registry: string;
  /** Other tags that point at the same digest (a delete by digest removes them too). */
  sharingTags: string[];
}

export const deleteTagQuerySchema = z
  .object({
    /** Delete even when a running service uses the image. */
    force: z
      .enum(['true', 'false'])
      .optional()
      .transform((v) => v === 'true'),
  })
  .strict();

export interface DeleteTagResult {
  digest: string;
  /** Every tag that pointed at the digest and is gone now. */
  deletedTags: string[];
}
