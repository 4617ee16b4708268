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

/** How hosts compare: lowercase, without the trailing dot of a fully qualified name. */
export function normalizeHost(host: string): string {
  return host.trim().toLowerCase().replace(/\.$/, '');
}

/** A route host: normalised (case, trailing dot) before the hostname rules are checked. */
export const routeHostSchema = z.preprocess(
  (v) => (typeof v === 'string' ? normalizeHost(v) : v),
  hostnameSchema,
);

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

/**
 * A route's TLS. `{certificate: NAME}` names a certificate of the route's own project (the
 * per-project store, `/projects/{p}/certificates`). The legacy form `{certificate: FILE, key: FILE}`
 * names files in the gateway's shared certificate directory: stored routes keep working, but only
 * platform admins may set it on a new or changed route.
 */
export const routeTlsSchema = z
  .object({
    certificate: z.string().max(100, 'must be at most 100 characters'),
    key: certFileSchema.optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    const byName = t.key === undefined;
    const r = (byName ? nameSchema : certFileSchema).safeParse(t.certificate);
    if (r.success) return;
    for (const issue of r.error.issues)
      ctx.addIssue({
        code: 'custom',
        path: ['certificate'],
        message: byName
          ? `must be the name of one of the project's certificates: ${issue.message}`
          : issue.message,
      });
  });
export type RouteTls = z.output<typeof routeTlsSchema>;

/** The legacy TLS form: certificate and key files in the gateway's shared directory. */
export function isLegacyTls(t: RouteTls): t is { certificate: string; key: string } {
  return t.key !== undefined;
}

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
  tls: routeTlsSchema.optional(),
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
  .object({ host: routeHostSchema, backends: routeBackendsSchema, ...routeOptionsShape })
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
    /** Another service of the project, or another release of the route's own service. */
    to: z.union([
      z.object({ service: nameSchema }).strict(),
      z
        .object({
          release: z.number().int().min(1),
          /** Containers of that release Berth runs next to the service's own (default 1). */
          replicas: z.number().int().min(1).max(10).optional(),
        })
        .strict(),
    ]),
  })
  .strict()
  .refine(
    (c) => [c.percent, c.header, c.cookie].filter((x) => x !== undefined).length === 1,
    'set exactly one of percent, header or cookie',
  );
/** `promoting`: set by a promote to a release (when it began) until the service's rollout completes. */
export type Canary = z.output<typeof canarySchema> & { promoting?: string };
export type CanaryTarget = Canary['to'];

/** The release a canary sends traffic to, or null for a canary to another service. */
export function canaryRelease(c: Pick<Canary, 'to'>): number | null {
  return 'release' in c.to ? c.to.release : null;
}

/** How a canary target reads: `service web` or `release 3`. */
export function canaryTargetText(to: CanaryTarget): string {
  return 'release' in to ? `release ${to.release}` : `service ${to.service}`;
}

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
  /** Rules the route breaks today (e.g. after an upgrade or a zone's removal); empty when fine. */
  violations: RouteViolation[];
}

/** A tenancy rule an existing route breaks; such routes are flagged, never deleted. */
export interface RouteViolation {
  rule: 'host-not-owned' | 'host-claimed' | 'backend-not-allowed';
  message: string;
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
  description: string;
  /** Admin-only Nginx snippets: absent when the caller is not a platform admin. */
  snippets?: GatewaySnippets;
  /** auto: every node follows each new version; staged: nodes get what `rollout` released. */
  rolloutMode: GatewayRolloutMode;
  /** In staged mode, the version rolled out to every node that is not held. */
  releasedVersion: number | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export const rollbackVersionRequestSchema = z.object({ reason: z.string().max(500).optional() }).strict();

/* ---------- gateway administration, snippets, nodes and the agent protocol (issue 3) ---------- */

/** HOST:PORT of a gateway listener (an IPv4 address or a DNS name). */
export const listenSchema = z
  .string()
  .max(259)
  .regex(/^[a-z0-9.-]{1,253}:\d{1,5}$/, 'must be HOST:PORT such as 0.0.0.0:80')
  .refine((v) => {
    const port = Number(v.split(':')[1]);
    return port >= 1 && port <= 65535;
  }, 'must have a port 1-65535');

const onOff = /^(on|off)$/;
const size = /^\d{1,7}[kKmM]?$/;
const time = /^\d{1,7}(ms|s|m|h|d)?$/;
const count = /^\d{1,6}$/;
const mimeType = /^[a-z]+\/[a-z0-9.+-]{1,100}$/;
const headerArg = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;
const headerValueArg = /^[A-Za-z0-9_.,:/=+*()@?!%&<>|~ -]{1,512}$/;
const cidrArg = /^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/;
const gzipProxied = /^(off|expired|no-cache|no-store|private|no_last_modified|no_etag|auth|any)$/;

type SnippetContext = 'http' | 'server';
interface SnippetRule {
  /** One pattern per argument; the last one repeats up to `max` arguments. */
  args: RegExp[];
  min: number;
  max: number;
  contexts: SnippetContext[];
  help: string;
}

const both: SnippetContext[] = ['http', 'server'];
/**
 * The vetted directives platform admins may add to a gateway, with the shape of their arguments.
 * Nothing else can be written: no include, lua, js, proxy_pass, root, alias, or variables.
 */
export const snippetDirectives: Record<string, SnippetRule> = {
  gzip: { args: [onOff], min: 1, max: 1, contexts: both, help: 'on|off' },
  gzip_types: { args: [mimeType], min: 1, max: 30, contexts: both, help: 'MIME types such as text/css' },
  gzip_min_length: { args: [count], min: 1, max: 1, contexts: both, help: 'a byte count' },
  gzip_comp_level: { args: [/^[1-9]$/], min: 1, max: 1, contexts: both, help: '1-9' },
  gzip_proxied: { args: [gzipProxied], min: 1, max: 9, contexts: both, help: 'off|expired|…|any' },
  gzip_vary: { args: [onOff], min: 1, max: 1, contexts: both, help: 'on|off' },
  client_header_buffer_size: { args: [size], min: 1, max: 1, contexts: both, help: 'a size such as 4k' },
  large_client_header_buffers: {
    args: [count, size],
    min: 2,
    max: 2,
    contexts: both,
    help: 'NUMBER SIZE such as 4 16k',
  },
  client_max_body_size: { args: [size], min: 1, max: 1, contexts: both, help: 'a size such as 10m' },
  client_body_timeout: { args: [time], min: 1, max: 1, contexts: both, help: 'a time such as 60s' },
  client_header_timeout: { args: [time], min: 1, max: 1, contexts: both, help: 'a time such as 60s' },
  send_timeout: { args: [time], min: 1, max: 1, contexts: both, help: 'a time such as 60s' },
  keepalive_timeout: { args: [time, time], min: 1, max: 2, contexts: both, help: 'TIME [HEADER_TIME]' },
  keepalive_requests: { args: [count], min: 1, max: 1, contexts: both, help: 'a number' },
  proxy_buffering: { args: [onOff], min: 1, max: 1, contexts: both, help: 'on|off' },
  proxy_buffer_size: { args: [size], min: 1, max: 1, contexts: both, help: 'a size such as 8k' },
  proxy_buffers: { args: [count, size], min: 2, max: 2, contexts: both, help: 'NUMBER SIZE such as 8 16k' },
  proxy_busy_buffers_size: { args: [size], min: 1, max: 1, contexts: both, help: 'a size such as 16k' },
  add_header: {
    args: [headerArg, headerValueArg, /^always$/],
    min: 2,
    max: 3,
    contexts: both,
    help: 'NAME VALUE [always]; the value without ; { } $ quotes or backslashes',
  },
  // `server_tokens off;` is rendered in http{} already; a server may turn it on again.
  server_tokens: { args: [onOff], min: 1, max: 1, contexts: ['server'], help: 'on|off' },
  real_ip_header: {
    args: [headerArg],
    min: 1,
    max: 1,
    contexts: both,
    help: 'a header name or proxy_protocol',
  },
  set_real_ip_from: { args: [cidrArg], min: 1, max: 1, contexts: both, help: 'an IPv4 CIDR' },
  real_ip_recursive: { args: [onOff], min: 1, max: 1, contexts: both, help: 'on|off' },
};

/** Why a snippet is refused, or null when it may be rendered in the context. */
export function snippetProblem(s: { directive: string; args: string[] }, ctx: SnippetContext): string | null {
  const rule = Object.hasOwn(snippetDirectives, s.directive) ? snippetDirectives[s.directive] : undefined;
  if (!rule)
    return `directive "${s.directive.slice(0, 40)}" is not allowed; use one of ${Object.keys(snippetDirectives).join(', ')}`;
  if (!rule.contexts.includes(ctx)) return `${s.directive} is not allowed in ${ctx}{}`;
  if (s.args.length < rule.min || s.args.length > rule.max)
    return `${s.directive} takes ${rule.min === rule.max ? rule.min : `${rule.min}-${rule.max}`} argument(s): ${rule.help}`;
  for (const [i, a] of s.args.entries()) {
    const re = rule.args[Math.min(i, rule.args.length - 1)];
    if (!re?.test(a)) return `argument ${i + 1} of ${s.directive} is not valid: expected ${rule.help}`;
  }
  return null;
}

const snippetSchema = (ctx: SnippetContext) =>
  z
    .object({ directive: z.string().max(64), args: z.array(z.string().max(512)).max(30) })
    .strict()
    .superRefine((s, c) => {
      const problem = snippetProblem(s, ctx);
      if (problem) c.addIssue({ code: 'custom', message: problem });
    });
export const gatewaySnippetSchema = snippetSchema('http');
export type GatewaySnippet = { directive: string; args: string[] };
export interface GatewaySnippets {
  http: GatewaySnippet[];
  server: GatewaySnippet[];
}

export const gatewaySnippetsRequestSchema = z
  .object({
    version: z.number().int().min(1).optional(),
    reason: z.string().max(500).optional(),
    http: z.array(snippetSchema('http')).max(50).optional(),
    server: z.array(snippetSchema('server')).max(50).optional(),
  })
  .strict();

export type GatewayRolloutMode = 'auto' | 'staged';

export const createGatewayRequestSchema = z
  .object({
    name: nameSchema,
    env: nameSchema,
    listen: listenSchema.optional(),
    tlsListen: listenSchema.nullable().optional(),
    domainSuffix: hostnameSchema.optional(),
    description: z.string().max(500).optional(),
    rolloutMode: z.enum(['auto', 'staged']).optional(),
  })
  .strict();

export const updateGatewayRequestSchema = z
  .object({
    version: z.number().int().min(1),
    listen: listenSchema.optional(),
    tlsListen: listenSchema.nullable().optional(),
    description: z.string().max(500).optional(),
    rolloutMode: z.enum(['auto', 'staged']).optional(),
  })
  .strict();

/** Node state: in sync, behind its wanted version, failed to apply it, or not seen within its lease. */
export type GatewayNodeState = 'in-sync' | 'behind' | 'failed' | 'offline';

/** A member node of a gateway (an Nginx with a berth-gateway-agent, or the local node). */
export interface GatewayNode {
  name: string;
  gateway: string;
  state: GatewayNodeState;
  appliedVersion: number | null;
  wantedVersion: number;
  /** The version this node is held at by a one-node-first rollout, or null. */
  pinnedVersion: number | null;
  lastSeenAt: string | null;
  error: string | null;
  address: string | null;
  agentVersion: string | null;
  /** The node Berth runs itself (`local`), not an agent. */
  local: boolean;
  createdAt: string;
}

export const createGatewayNodeRequestSchema = z.object({ name: nameSchema }).strict();
/** The answer of POST /gateways/:g/nodes: the token is shown once, Berth keeps only its sha256. */
export interface CreatedGatewayNode {
  node: GatewayNode;
  token: string;
}

export const gatewayRolloutRequestSchema = z
  .object({
    version: z.number().int().min(1),
    nodes: z.array(nameSchema).min(1).max(200).optional(),
    reason: z.string().max(500).optional(),
  })
  .strict();
export interface GatewayRollout {
  gateway: string;
  version: number;
  /** The nodes held at `version`, or null when it was rolled out to every node. */
  nodes: string[] | null;
  rolloutMode: GatewayRolloutMode;
  releasedVersion: number | null;
}

/** GET /gateway-agent/config: the full files of the node's wanted version. */
export interface GatewayAgentConfig {
  gateway: string;
  node: string;
  /** The wanted version. */
  version: number;
  /** Changes whenever the files change (endpoint changes of a held node keep its version). */
  revision: number;
  /** The config version `files` are (the newest config version at or before the set). */
  configVersion?: number | null;
  /**
   * The files, or null when the node said (`config=`) it has this config version's files already:
   * an endpoint change then carries only `endpoints`.
   */
  files: {
    'nginx.conf': string;
    'upstreams.conf': string;
    'stream.conf'?: string;
    /** This node's keepalived.conf when the gateway has a virtual IP (docs/gateway.md). */
    'keepalived.conf'?: string;
  } | null;
  /**
   * The gateway's endpoint set at `revision` (every pool of upstreams.conf with its endpoints):
   * the agent pushes it into the running Nginx, without a reload when the files did not change.
   */
  endpoints?: GatewayEndpointSet;
  /**
   * Instead of `endpoints`, when the node said (`base=`) which set it holds and the files stay:
   * the pools that changed from that set to the one at `revision` (set `version` = set `base`
   * with `pools` replaced). The agent applies it to its set and pushes only those pools.
   */
  endpointsDelta?: GatewayEndpointDelta;
  /** As rendered; the agent substitutes its own listeners and certificate directory. */
  listen: string;
  tlsListen: string | null;
  certDir: string;
  /**
   * The gateway's metrics listener as rendered (BERTH_GATEWAY_METRICS_LISTEN; docs/monitoring.md),
   * null or absent when the gateway has none: an agent with its own `--metrics-listen` substitutes it.
   */
  metricsListen?: string | null;
  /**
   * The per-project certificates the main file names (`<certDir>/<project>/<name>.<id>.crt|.key`):
   * the agent writes them under its own certificate directory, keys with mode 0600, before `nginx -t`.
   */
  certificates?: GatewayAgentCertificate[];
}

/** The pools that changed between two endpoint sets (gateway-nginx's EndpointDelta). */
export interface GatewayEndpointDelta {
  version: number;
  base: number;
  pools: Record<string, Array<{ address: string; weight: number }>>;
}

/** What a node's Nginx balances over: pool → endpoints, under a version (gateway-nginx's EndpointSet). */
export interface GatewayEndpointSet {
  version: number;
  pools: Record<string, Array<{ address: string; weight: number }>>;
}

/** One certificate an agent node needs: PEM chain and private key, delivered over the node's token. */
export interface GatewayAgentCertificate {
  project: string;
  name: string;
  /** The file id in the rendered paths (the first 16 hex digits of the leaf's SHA-256). */
  id: string;
  certificate: string;
  key: string;
}

export const gatewayAgentStatusRequestSchema = z
  .object({
    appliedVersion: z.number().int().min(0).nullable(),
    revision: z.number().int().min(0).optional(),
    /** The version the agent tried last (the failed one when state is failed). */
    attemptedVersion: z.number().int().min(0).optional(),
    /** The wait of the agent's polls: the node counts as offline after 2 × wait + 5 s without contact. */
    waitSeconds: z.number().int().min(1).max(60).optional(),
    state: z.enum(['applied', 'failed']),
    error: z.string().max(8000).nullable().optional(),
    agentVersion: z.string().max(64).optional(),
    address: z.string().max(259).optional(),
    /**
     * HOST:PORT of the node's metrics listener, as its Nginx runs it: Berth writes it as the node's
     * Prometheus target (docs/monitoring.md). Never an unspecified address (0.0.0.0).
     */
    metricsAddress: z.string().max(259).optional(),
  })
  .strict();
