import { z } from 'zod';
import { nameSchema } from './names';

/*
 * Gateway routes are data. Every user value that ends up in an Nginx configuration is checked
 * here against a strict pattern; the renderer (gateway-nginx) quotes and re-checks it, so no
 * value can carry a directive of its own (`;`, `{`, `}`, `$`, quotes, backslashes, newlines).
 */

const label = '[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?';

/** A lowercase DNS hostname (no wildcard, no trailing dot), at most 253 characters. */
export const hostnameSchema = z
  .string()
  .max(253, 'must be at most 253 characters')
  .regex(new RegExp(`^${label}(\\.${label})+$`), 'must be a lowercase DNS name such as web.example.com');

/** A URL path prefix: "/" or "/segment[/segment…][/]"; no "..", no "%", no special characters. */
export const pathPrefixSchema = z
  .string()
  .max(200, 'must be at most 200 characters')
  .regex(/^\/([A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*\/?)?$/, 'must be a path such as /api/')
  .refine((p) => !/(^|\/)\.\.?(\/|$)/.test(p), 'must not contain "." or ".." segments');

function ipv4Ok(ip: string): boolean {
  return ip.split('.').every((o) => /^(0|[1-9]\d{0,2})$/.test(o) && Number(o) <= 255);
}

/** An IPv4 address with a port, e.g. 10.0.0.5:8080 (VM backends). */
export const serverAddressSchema = z
  .string()
  .max(21)
  .regex(/^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/, 'must be IPV4:PORT such as 10.0.0.5:8080')
  .refine((a) => {
    const [ip = '', port = ''] = a.split(':');
    return ipv4Ok(ip) && Number(port) >= 1 && Number(port) <= 65535;
  }, 'must be a valid IPv4 address and a port 1-65535');

/** An IPv4 CIDR (10.0.0.0/8) or a single address. */
export const cidrSchema = z
  .string()
  .max(18)
  .regex(/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/, 'must be an IPv4 CIDR such as 10.0.0.0/8')
  .refine((c) => {
    const [ip = '', bits] = c.split('/');
    return ipv4Ok(ip) && (bits === undefined || Number(bits) <= 32);
  }, 'must be a valid IPv4 CIDR');

/** Response headers a route may add: a vetted list, or any `X-` header. */
export const allowedResponseHeaders = [
  'Access-Control-Allow-Origin',
  'Access-Control-Allow-Methods',
  'Access-Control-Allow-Headers',
  'Access-Control-Max-Age',
  'Cache-Control',
  'Content-Security-Policy',
  'Permissions-Policy',
  'Referrer-Policy',
  'Strict-Transport-Security',
  'X-Content-Type-Options',
  'X-Frame-Options',
  'X-Robots-Tag',
] as const;

const lowerAllowed = new Set(allowedResponseHeaders.map((h) => h.toLowerCase()));

export const headerNameSchema = z
  .string()
  .max(64, 'must be at most 64 characters')
  .regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'must be letters, digits and "-"');

export const responseHeaderSchema = z
  .object({
    name: headerNameSchema.refine(
      (n) => lowerAllowed.has(n.toLowerCase()) || /^x-[a-z0-9-]+$/i.test(n),
      `must be one of ${allowedResponseHeaders.join(', ')} or start with "X-"`,
    ),
    value: z
      .string()
      .max(512, 'must be at most 512 characters')
      .regex(/^[A-Za-z0-9_.,:/=+*()@?!%&<>|~ -]*$/, 'contains a character that is not allowed'),
  })
  .strict();

/** A certificate or key file name in the gateway's certificate directory (no paths). */
export const certFileSchema = z
  .string()
  .max(100, 'must be at most 100 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a file name in the certificate directory, not a path')
  .refine((f) => !f.includes('..'), 'must not contain ".."');

const redirectUrlSchema = z
  .string()
  .max(500)
  .regex(
    /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~/%-]*)?$/,
    'must be an http(s) URL without query or special characters',
  );

/** Where a route sends traffic: a Berth service's serving containers, VM addresses, or both. */
export const routeBackendsSchema = z
  .object({
    service: z
      .object({ name: nameSchema, port: z.number().int().min(1).max(65535).optional() })
      .strict()
      .optional(),
    servers: z
      .array(
        z
          .object({ address: serverAddressSchema, weight: z.number().int().min(1).max(100).default(1) })
          .strict(),
      )
      .max(64)
      .default([]),
  })
  .strict()
  .refine((b) => b.service !== undefined || b.servers.length > 0, 'needs a service or at least one server');

export const routeOptionsShape = {
  pathPrefix: pathPrefixSchema.default('/'),
  timeouts: z
    .object({
      connectSeconds: z.number().int().min(1).max(75).optional(),
      readSeconds: z.number().int().min(1).max(3600).optional(),
      sendSeconds: z.number().int().min(1).max(3600).optional(),
    })
    .strict()
    .optional(),
  maxBodyMiB: z.number().int().min(0).max(10240).optional(),
  websocket: z.boolean().default(false),
  headers: z.array(responseHeaderSchema).max(20).default([]),
  redirect: z
    .union([
      z.object({ https: z.literal(true) }).strict(),
      z
        .object({ url: redirectUrlSchema, code: z.enum(['301', '302', '307', '308']).default('302') })
        .strict(),
    ])
    .optional(),
  allow: z.array(cidrSchema).max(100).default([]),
  deny: z.array(cidrSchema).max(100).default([]),
  rateLimit: z
    .object({
      requestsPerSecond: z.number().int().min(1).max(100000),
      burst: z.number().int().min(0).max(100000).default(0),
    })
    .strict()
    .optional(),
  tls: z.object({ certificate: certFileSchema, key: certFileSchema }).strict().optional(),
  health: z
    .object({
      maxFails: z.number().int().min(0).max(100).default(3),
      failTimeoutSeconds: z.number().int().min(1).max(3600).default(10),
      nextUpstream: z.boolean().default(true),
    })
    .strict()
    .optional(),
};

/** The structured, user-editable part of a route. */
export const routeSpecSchema = z
  .object({ host: hostnameSchema, backends: routeBackendsSchema, ...routeOptionsShape })
  .strict();
export type RouteSpec = z.output<typeof routeSpecSchema>;

export const createRouteRequestSchema = z
  .object({ name: nameSchema, reason: z.string().max(500).optional(), spec: routeSpecSchema })
  .strict();
export const updateRouteRequestSchema = z
  .object({ version: z.number().int().min(1), reason: z.string().max(500).optional(), spec: routeSpecSchema })
  .strict();

const canaryValueSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/, 'must be letters, digits and . _ : -');

/** Canary: a share of requests, or requests with a header or cookie value, go to another service. */
export const canarySchema = z
  .object({
    percent: z.number().min(0).max(100).multipleOf(0.01).optional(),
    header: z.object({ name: headerNameSchema, value: canaryValueSchema }).strict().optional(),
    cookie: z
      .object({
        name: z
          .string()
          .max(64)
          .regex(/^[A-Za-z0-9_]+$/, 'must be letters, digits and "_"'),
        value: canaryValueSchema,
      })
      .strict()
      .optional(),
    to: z.object({ service: nameSchema }).strict(),
  })
  .strict()
  .refine(
    (c) => [c.percent, c.header, c.cookie].filter((x) => x !== undefined).length === 1,
    'set exactly one of percent, header or cookie',
  );
export type Canary = z.output<typeof canarySchema>;

export const canaryRequestSchema = z
  .object({ version: z.number().int().min(1).optional(), reason: z.string().max(500).optional() })
  .strict()
  .and(canarySchema);
export const routeActionRequestSchema = z
  .object({ version: z.number().int().min(1).optional(), reason: z.string().max(500).optional() })
  .strict();

/** A route as the API returns it. */
export interface Route {
  name: string;
  project: string;
  env: string;
  spec: RouteSpec;
  canary: Canary | null;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
  version: number;
}

export type GatewayVersionKind = 'config' | 'endpoints';
export type GatewayVersionState = 'applied' | 'failed' | 'rolled-back';

/** One stored configuration of a gateway. */
export interface GatewayVersion {
  gateway: string;
  number: number;
  kind: GatewayVersionKind;
  author: string;
  reason: string;
  createdAt: string;
  state: GatewayVersionState;
  error: string | null;
  /** The rendered main configuration (config versions) — omitted in lists. */
  config?: string | null;
  /** The rendered endpoints file (config versions) — omitted in lists. */
  endpoints?: string | null;
  diff?: string;
}

export interface Gateway {
  name: string;
  env: string;
  listen: string;
  tlsListen: string | null;
  domainSuffix: string;
  appliedVersion: number;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export const rollbackVersionRequestSchema = z.object({ reason: z.string().max(500).optional() }).strict();
