/** Name of the portal's session cookie. */
export const sessionCookieName = 'berth_session';

/**
 * Reads one cookie from a Cookie header (RFC 6265 `name=value; name2=value2`).
 * Values Berth sets are base64url, so no decoding is needed; anything else is ignored.
 */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const value = part
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    return /^[A-Za-z0-9_-]{1,200}$/.test(value) ? value : null;
  }
  return null;
}

function attributes(maxAgeSeconds: number, secure: boolean): string {
  // Lax keeps the cookie off cross-site POSTs; the CSRF header covers the rest.
  return `HttpOnly; SameSite=Lax; Path=/; Max-Age=${Math.floor(maxAgeSeconds)}${secure ? '; Secure' : ''}`;
}

/** The Set-Cookie value that starts a session. */
export function sessionCookie(secret: string, maxAgeSeconds: number, secure: boolean): string {
  return `${sessionCookieName}=${secret}; ${attributes(maxAgeSeconds, secure)}`;
}

/** The Set-Cookie value that makes the browser forget the session. */
export function clearedSessionCookie(secure: boolean): string {
  return `${sessionCookieName}=; ${attributes(0, secure)}`;
}
