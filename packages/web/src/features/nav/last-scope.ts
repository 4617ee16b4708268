/** The project and environment the user last looked at, so "Services" returns there. */
export interface Scope {
  project: string;
  env: string;
}

const key = 'berth.scope';

export function lastScope(): Scope | null {
  try {
    const raw = localStorage.getItem(key);
    const parsed: unknown = raw ? JSON.parse(raw) : null;
    if (typeof parsed === 'object' && parsed !== null && 'project' in parsed && 'env' in parsed) {
      const { project, env } = parsed as Record<string, unknown>;
      if (typeof project === 'string' && typeof env === 'string') return { project, env };
    }
  } catch {
    // A damaged entry is the same as none.
  }
  return null;
}

export function rememberScope(scope: Scope): void {
  localStorage.setItem(key, JSON.stringify(scope));
}

/**
 * The project and environment a portal path is in (`/p/:project/:env/…`), or `last` elsewhere.
 * `/p/:project/quota` is the project's own page, not an environment named "quota" (the router
 * gives that path to the quota page, so no environment of that name is reachable there).
 */
export function scopeOfPath(pathname: string, last: Scope | null): Scope | null {
  const m = /^\/p\/([^/]+)\/([^/]+)/.exec(pathname);
  if (!m || m[2] === 'quota') return last;
  try {
    return { project: decodeURIComponent(m[1]!), env: decodeURIComponent(m[2]!) };
  } catch {
    return last; // a malformed %-escape in the address bar
  }
}
