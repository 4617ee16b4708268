/*
 * The app store pages' logic without React (tested in app-view.test.ts): the install form built
 * from a template version's parameters, the create body, where the API's field errors go, and the
 * connection info as copy-ready lines.
 */
import type {
  App,
  AppConnection,
  AppInstanceCreate,
  AppInstanceMember,
  AppInstanceState,
  AppParameter,
  AppParamValue,
  AppVersion,
  LocalizedText,
} from '@berth/shared';
import type { appsEn } from './messages';

export type AppsKey = keyof typeof appsEn;
/** A message of this feature with its placeholders' values, translated by the page. */
export interface AppsText {
  key: AppsKey;
  vars?: Record<string, string | number>;
}

/** A template's text in the portal's language (Chinese falls back to English if a template lacks it). */
export function localized(text: LocalizedText, lang: 'en' | 'zh-CN'): string {
  return (lang === 'zh-CN' ? text['zh-CN'] : text.en) || text.en;
}

/** The version asked for when the app offers it, else the app's latest (else its first). */
export function pickVersion(app: App, wanted?: string | null): AppVersion {
  return (
    app.versions.find((v) => v.version === wanted) ??
    app.versions.find((v) => v.version === app.latest) ??
    app.versions[0]!
  );
}

/** The install form's parameter values before the user types: every parameter's default. */
export function initialParams(parameters: readonly AppParameter[]): Record<string, AppParamValue> {
  return Object.fromEntries(parameters.map((p) => [p.name, p.default]));
}

/** How a parameter is entered: a number box, a switch, a select or a text box. */
export function paramInput(p: AppParameter): 'number' | 'switch' | 'select' | 'text' {
  if (p.type === 'integer') return 'number';
  if (p.type === 'boolean') return 'switch';
  if (p.type === 'enum') return 'select';
  return 'text';
}

/** The limits shown under a parameter ("From 16 to 4096"), or null when it has none. */
export function paramLimits(p: AppParameter): AppsText | null {
  const unit = p.unit ? ` ${p.unit}` : '';
  if (p.type === 'integer' && p.min !== undefined && p.max !== undefined)
    return { key: 'apps.install.range', vars: { min: `${p.min}${unit}`, max: `${p.max}${unit}` } };
  if (p.type === 'integer' && p.min !== undefined)
    return { key: 'apps.install.min', vars: { min: `${p.min}${unit}` } };
  if (p.type === 'integer' && p.max !== undefined)
    return { key: 'apps.install.max', vars: { max: `${p.max}${unit}` } };
  if (p.type === 'string' && p.maxLength !== undefined)
    return { key: 'apps.install.error.maxLength', vars: { max: p.maxLength } };
  return null;
}

/**
 * Why the form refuses a value before sending it (the server checks the same limits and has the
 * last word, resolveAppParams in @berth/shared), or null when it is acceptable.
 */
export function paramProblem(p: AppParameter, value: unknown): AppsText | null {
  switch (p.type) {
    case 'integer':
      if (value === undefined || value === null || value === '')
        return { key: 'apps.install.error.required' };
      if (typeof value !== 'number' || !Number.isInteger(value)) return { key: 'apps.install.error.integer' };
      if (p.min !== undefined && value < p.min)
        return { key: 'apps.install.error.min', vars: { min: p.min } };
      if (p.max !== undefined && value > p.max)
        return { key: 'apps.install.error.max', vars: { max: p.max } };
      return null;
    case 'enum':
      return typeof value === 'string' && (p.enum ?? []).includes(value)
        ? null
        : { key: 'apps.install.error.enum' };
    case 'boolean':
      return null;
    case 'string': {
      const s = typeof value === 'string' ? value : '';
      if (p.maxLength !== undefined && s.length > p.maxLength)
        return { key: 'apps.install.error.maxLength', vars: { max: p.maxLength } };
      if (p.pattern !== undefined && !new RegExp(`^(?:${p.pattern})$`).test(s))
        return { key: 'apps.install.error.pattern', vars: { hint: p.patternHint ?? p.pattern } };
      return null;
    }
  }
}

/** The create request from the form: the chosen version and every parameter as its type wants it. */
export function installBody(
  form: { name: string; version: string; params?: Record<string, unknown> },
  parameters: readonly AppParameter[],
  app: string,
): AppInstanceCreate {
  const params: Record<string, AppParamValue> = {};
  for (const p of parameters) {
    const v = form.params?.[p.name];
    if (v === undefined || v === null) continue;
    if (p.type === 'boolean') params[p.name] = Boolean(v);
    else if (p.type === 'integer') params[p.name] = typeof v === 'number' ? v : Number(v);
    else params[p.name] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return { app, version: form.version, name: form.name.trim(), params };
}

/**
 * The install form's field for an API error path (`name`, `version`, `params.<name>`), or null
 * for the alert above the form (a path of no field shown, such as an unknown parameter).
 */
export function installFieldFor(path: string, parameters: readonly AppParameter[]): string | string[] | null {
  if (path === 'name' || path === 'version') return path;
  const m = /^params\.(.+)$/.exec(path);
  if (m && parameters.some((p) => p.name === m[1])) return ['params', m[1]!];
  return null;
}

/** A value as the instance page lists it. */
export function paramText(v: AppParamValue): string {
  return typeof v === 'string' ? v || '""' : String(v);
}

/**
 * The URI with the password in its user part (`redis://default:p%40ss@host:port`), for clients
 * that take one string. The password is percent-encoded, so any character survives.
 */
export function uriWithPassword(uri: string, password: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^@/]*@)?(.*)$/i.exec(uri);
  if (!m) return uri;
  const user = m[2] ? m[2].slice(0, -1).split(':')[0] : '';
  return `${m[1]}${user}:${encodeURIComponent(password)}@${m[3]}`;
}

/** One line of the connection info: what it is, the text copied, and a test id. */
export interface ConnectionLine {
  id:
    | 'address'
    | 'host'
    | 'port'
    | 'internal'
    | 'read'
    | 'readInternal'
    | 'user'
    | 'uri'
    | 'uriWithPassword'
    | 'password';
  label: AppsKey;
  /** null: not known yet (the note says why). */
  value: string | null;
  note?: AppsKey;
}

/**
 * The connection info as the page shows it, each value copied as it is. The password (and the URI
 * holding it) only when the page has it: right after install, or revealed by someone allowed.
 */
export function connectionLines(conn: AppConnection, password?: string | null): ConnectionLine[] {
  const published = conn.host !== null && conn.port !== null;
  // an ensemble's clients take every member (ZooKeeper's connect string)
  const all = conn.members?.every((m) => m.port !== null)
    ? conn.members.map((m) => `${m.host}:${m.port}`).join(',')
    : null;
  const lines: ConnectionLine[] = [
    {
      id: 'address',
      label: 'apps.conn.address',
      value: published ? (all ?? `${conn.host}:${conn.port}`) : null,
      ...(published ? {} : { note: 'apps.conn.notPublished' as const }),
    },
    { id: 'host', label: 'apps.conn.host', value: conn.host },
    { id: 'port', label: 'apps.conn.port', value: conn.port === null ? null : String(conn.port) },
    {
      id: 'internal',
      label: 'apps.conn.internal',
      value: conn.internalHost ? (conn.connectString ?? `${conn.internalHost}:${conn.internalPort}`) : null,
      ...(conn.internalHost ? {} : { note: 'apps.conn.internal.none' as const }),
    },
    ...readLines(conn),
    { id: 'user', label: 'apps.conn.user', value: conn.user },
    {
      id: 'uri',
      label: 'apps.conn.uri',
      value: conn.uri,
      ...(conn.uri ? {} : { note: 'apps.conn.notPublished' as const }),
    },
  ];
  const secret = password ?? conn.password ?? null;
  if (secret !== null) {
    lines.push({ id: 'password', label: 'apps.conn.password', value: secret });
    if (conn.uri)
      lines.push({
        id: 'uriWithPassword',
        label: 'apps.conn.uriWithPassword',
        value: uriWithPassword(conn.uri, secret),
      });
  }
  return lines;
}

/** The read endpoint of a template with read-only members (Redis replicas), when it has one. */
function readLines(conn: AppConnection): ConnectionLine[] {
  if (!conn.readInternalHost) return [];
  const published = conn.readHost && conn.readPort ? `${conn.readHost}:${conn.readPort}` : null;
  return [
    {
      id: 'read',
      label: 'apps.conn.read',
      value: published,
      ...(published ? {} : { note: 'apps.conn.notPublished' as const }),
    },
    {
      id: 'readInternal',
      label: 'apps.conn.readInternal',
      value: `${conn.readInternalHost}:${conn.internalPort}`,
    },
  ];
}

/** "2/3": the ready replicas of all members over the desired ones. */
export function membersReady(members: readonly AppInstanceMember[]): string {
  const ready = members.reduce((n, m) => n + m.ready, 0);
  const desired = members.reduce((n, m) => n + m.desired, 0);
  return `${ready}/${desired}`;
}

export const stateColors: Record<AppInstanceState, string> = {
  creating: 'processing',
  running: 'success',
  degraded: 'warning',
  failed: 'error',
  deleting: 'default',
  upgrading: 'processing',
  preparing: 'processing',
};

/** The catalog's versions of the app after `current` (versions are listed oldest first). */
export function newerVersions(app: Pick<App, 'versions'>, current: string): string[] {
  const all = app.versions.map((v) => v.version);
  const at = all.indexOf(current);
  return at < 0 ? [] : all.slice(at + 1);
}
