import type { Route } from '@berth/shared';
import type { RouteSpecInput } from './routes-api';

type Num = number | null | undefined;

/** The route form's values, shaped like the API's route spec so error paths map one to one. */
export interface RouteFormValues {
  name: string;
  reason?: string;
  host: string;
  pathPrefix?: string;
  backends: {
    service?: { name?: string | null; port?: Num };
    servers?: Array<{ address?: string; weight?: Num }>;
  };
  tls?: { certificate?: string; key?: string };
  timeouts?: { connectSeconds?: Num; readSeconds?: Num; sendSeconds?: Num };
  maxBodyMiB?: Num;
  websocket?: boolean;
  headers?: Array<{ name?: string; value?: string }>;
  redirectMode: 'none' | 'https' | 'url';
  redirect?: { url?: string; code?: '301' | '302' | '307' | '308' };
  rateLimit?: { requestsPerSecond?: Num; burst?: Num };
  allow?: string[];
  deny?: string[];
  healthCustom?: boolean;
  health?: { maxFails?: Num; failTimeoutSeconds?: Num; nextUpstream?: boolean };
}

export type RouteFieldName = string | Array<string | number>;

/** Drops the keys whose value is undefined, null or "", so the API applies its defaults. */
function compact<T extends Record<string, unknown>>(o: T): Partial<T> | undefined {
  const out = Object.fromEntries(
    Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== ''),
  );
  return Object.keys(out).length ? (out as Partial<T>) : undefined;
}

const trimmed = (s: string | undefined) => s?.trim() ?? '';

/** Maps the form to the API's route spec; the API validates it and names the bad fields. */
export function toRouteSpec(v: RouteFormValues): RouteSpecInput {
  const service = trimmed(v.backends.service?.name ?? undefined);
  const spec: RouteSpecInput = {
    host: trimmed(v.host).toLowerCase(),
    pathPrefix: trimmed(v.pathPrefix) || '/',
    backends: {
      ...(service ? { service: compact({ name: service, port: v.backends.service?.port }) } : {}),
      servers: (v.backends.servers ?? [])
        .filter((s) => trimmed(s.address))
        .map((s) => ({ address: trimmed(s.address), weight: s.weight ?? 1 })),
    },
    websocket: Boolean(v.websocket),
    headers: (v.headers ?? [])
      .filter((h) => trimmed(h.name))
      .map((h) => ({ name: trimmed(h.name), value: h.value ?? '' })),
    allow: (v.allow ?? []).map((c) => c.trim()).filter(Boolean),
    deny: (v.deny ?? []).map((c) => c.trim()).filter(Boolean),
  };
  const timeouts = compact({ ...v.timeouts });
  if (timeouts) spec.timeouts = timeouts;
  if (v.maxBodyMiB !== undefined && v.maxBodyMiB !== null) spec.maxBodyMiB = v.maxBodyMiB;
  // by name (a certificate of the project), or the legacy files an admin set (tls.key kept)
  if (trimmed(v.tls?.certificate))
    spec.tls = trimmed(v.tls?.key)
      ? { certificate: trimmed(v.tls?.certificate), key: trimmed(v.tls?.key) }
      : { certificate: trimmed(v.tls?.certificate) };
  if (v.redirectMode === 'https') spec.redirect = { https: true };
  if (v.redirectMode === 'url')
    spec.redirect = { url: trimmed(v.redirect?.url), code: v.redirect?.code ?? '302' };
  const rate = compact({ ...v.rateLimit });
  if (rate) spec.rateLimit = rate;
  if (v.healthCustom) spec.health = compact({ ...v.health }) ?? {};
  return spec;
}

/** The form's values for an existing route (edit), or the defaults of a new one. */
export function toFormValues(route: Route | null, defaultHost = ''): RouteFormValues {
  if (!route)
    return {
      name: '',
      host: defaultHost,
      pathPrefix: '/',
      backends: { service: {}, servers: [] },
      websocket: false,
      headers: [],
      redirectMode: 'none',
      allow: [],
      deny: [],
      healthCustom: false,
      health: { maxFails: 3, failTimeoutSeconds: 10, nextUpstream: true },
    };
  const s = route.spec;
  const redirect = s.redirect;
  return {
    name: route.name,
    host: s.host,
    pathPrefix: s.pathPrefix,
    backends: { service: { ...s.backends.service }, servers: s.backends.servers.map((x) => ({ ...x })) },
    tls: s.tls ? { ...s.tls } : undefined,
    timeouts: s.timeouts ? { ...s.timeouts } : undefined,
    maxBodyMiB: s.maxBodyMiB,
    websocket: s.websocket,
    headers: s.headers.map((h) => ({ ...h })),
    redirectMode: !redirect ? 'none' : 'https' in redirect ? 'https' : 'url',
    redirect: redirect && 'url' in redirect ? { url: redirect.url, code: redirect.code } : undefined,
    rateLimit: s.rateLimit ? { ...s.rateLimit } : undefined,
    allow: [...s.allow],
    deny: [...s.deny],
    healthCustom: Boolean(s.health),
    health: s.health ? { ...s.health } : { maxFails: 3, failTimeoutSeconds: 10, nextUpstream: true },
  };
}

/** Every leaf field of the form, as a dotted path with `*` for a list index. */
const leaves = new Set([
  'name',
  'reason',
  'host',
  'pathPrefix',
  'backends.service.name',
  'backends.service.port',
  'backends.servers.*.address',
  'backends.servers.*.weight',
  'tls.certificate',
  'tls.key',
  'timeouts.connectSeconds',
  'timeouts.readSeconds',
  'timeouts.sendSeconds',
  'maxBodyMiB',
  'websocket',
  'headers.*.name',
  'headers.*.value',
  'redirect.url',
  'redirect.code',
  'rateLimit.requestsPerSecond',
  'rateLimit.burst',
  'allow',
  'deny',
  'health.maxFails',
  'health.failTimeoutSeconds',
  'health.nextUpstream',
]);

/** Where an error about a whole object is shown: on its first field. */
const objectFields: Record<string, string[]> = {
  backends: ['backends', 'service', 'name'],
  'backends.service': ['backends', 'service', 'name'],
  'backends.servers': ['backends', 'service', 'name'],
  redirect: ['redirectMode'],
  tls: ['tls', 'certificate'],
  timeouts: ['timeouts', 'connectSeconds'],
  rateLimit: ['rateLimit', 'requestsPerSecond'],
  health: ['health', 'maxFails'],
};

/**
 * The form field an API error path (`spec.backends.servers.1.address`) belongs to, or null when
 * the form has no such field (the error is then listed above the form).
 */
export function routeFieldFor(path: string): RouteFieldName | null {
  const parts = path.split('.');
  if (parts[0] === 'name' || parts[0] === 'reason') return parts.length === 1 ? parts[0] : null;
  if (parts[0] !== 'spec') return null;
  const rest = parts.slice(1);
  // A list of scalars (allow.3) is one field.
  if ((rest[0] === 'allow' || rest[0] === 'deny') && rest.length <= 2) return rest[0];
  const pattern = rest.map((p) => (/^\d+$/.test(p) ? '*' : p)).join('.');
  if (leaves.has(pattern)) {
    const name = rest.map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    return name.length === 1 ? (name[0] as string) : name;
  }
  const index = /^(headers|backends\.servers)\.\d+$/.exec(rest.join('.'));
  if (index)
    return rest[0] === 'headers'
      ? ['headers', Number(rest[1]), 'name']
      : ['backends', 'servers', Number(rest[2]), 'address'];
  return objectFields[rest.join('.')] ?? null;
}
