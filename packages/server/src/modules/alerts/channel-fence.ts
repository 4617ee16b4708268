import { isIP } from 'node:net';
import { fencedReason, type Listener } from '../tenancy/fence';
import type { AddressGuard } from './channel-senders';

/*
 * Where a channel may deliver: not to Berth's own listeners, not to link-local or metadata
 * addresses (fence.ts), and to loopback only when BERTH_GATEWAY_ALLOW_LOOPBACK_BACKENDS is on
 * (development and tests). The same check runs on the address a name resolves to at send time.
 */

/** The guard for one send: IPv4 through the backend fence; IPv6 loopback/link-local refused. */
export function channelGuard(listeners: Listener[], allowLoopback: boolean): AddressGuard {
  return (ip, port) => {
    if (isIP(ip) === 4) return fencedReason(`${ip}:${port}`, { allowLoopback, listeners });
    const v6 = ip.toLowerCase();
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(v6);
    if (mapped) return fencedReason(`${mapped[1]}:${port}`, { allowLoopback, listeners });
    if (v6 === '::') return 'an unspecified address (::): it reaches this machine itself';
    if (v6 === '::1' && !allowLoopback) return 'a loopback address (::1): this machine itself';
    if (/^fe[89ab]/.test(v6)) return 'a link-local address (fe80::/10)';
    if (v6 === 'fd00:ec2::254') return 'a cloud metadata service address';
    return null;
  };
}

/**
 * Why a channel URL is refused when it is saved, or null: https only (http too when loopback is
 * allowed, for local receivers in tests), and an IP literal must pass the guard.
 */
export function urlRefusal(raw: string, guard: AddressGuard, allowLoopback: boolean): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'is not a URL';
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && allowLoopback))
    return 'must be an https:// URL (plain http is allowed only with BERTH_GATEWAY_ALLOW_LOOPBACK_BACKENDS=1, for local receivers)';
  return hostRefusal(
    u.hostname,
    Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
    guard,
    allowLoopback,
  );
}

/** Why a host and port are refused when saved (an IP literal through the guard), or null. */
export function hostRefusal(
  raw: string,
  port: number,
  guard: AddressGuard,
  allowLoopback: boolean,
): string | null {
  const host = raw.replace(/^\[|\]$/g, '');
  if (host === 'localhost' && !allowLoopback) return 'points at this machine (localhost)';
  if (isIP(host)) {
    const why = guard(host, port);
    if (why) return `points at ${why}`;
  }
  return null;
}
