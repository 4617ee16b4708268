import { z } from 'zod';
import { cidrSchema, hostnameSchema, normalizeHost } from './gateway';
import { nameSchema } from './names';

/*
 * Tenancy: which team or project owns a DNS zone (route hosts) and which networks a team's or
 * project's VM backends may use. Platform admins assign both; everyone else only reads their own.
 */

export const ownerKinds = ['team', 'project'] as const;
export type OwnerKind = (typeof ownerKinds)[number];

export const ownerSchema = z.object({ kind: z.enum(ownerKinds), name: nameSchema }).strict();
export type Owner = z.output<typeof ownerSchema>;

/** A DNS zone: a hostname, normalised (case, trailing dot); no wildcards. */
export const zoneSchema = z.preprocess((v) => (typeof v === 'string' ? normalizeHost(v) : v), hostnameSchema);

export const createDomainRequestSchema = z.object({ zone: zoneSchema, owner: ownerSchema }).strict();
export type CreateDomainRequest = z.output<typeof createDomainRequestSchema>;

export const createNetworkRequestSchema = z
  .object({
    cidr: z.preprocess((v) => (typeof v === 'string' ? v.trim() : v), cidrSchema),
    owner: ownerSchema,
  })
  .strict();
export type CreateNetworkRequest = z.output<typeof createNetworkRequestSchema>;

/** A domain zone as the API returns it. */
export interface DomainZone {
  zone: string;
  owner: Owner;
  createdAt: string;
  createdBy: string;
}

/** An allowed network as the API returns it. */
export interface AllowedNetwork {
  /** Canonical CIDR (a single address reads as /32). */
  cidr: string;
  owner: Owner;
  createdAt: string;
  createdBy: string;
}

/** How an owner reads: `team shop` or `project web`. */
export function ownerText(o: Owner): string {
  return `${o.kind} ${o.name}`;
}
