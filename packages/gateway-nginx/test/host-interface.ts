import { existsSync, readFileSync, readdirSync } from 'node:fs';

/**
 * A lasting network interface of this machine (keepalived -t checks that a VRRP interface
 * exists): the default route's, else a physical device's, else any but lo. Not the first name in
 * /sys/class/net: that may be a Podman bridge (`bn…`) that a test file running beside this one
 * removes meanwhile (a CI run saw keepalived -t refuse a vanished bn093e521103ac).
 */
export function findHostInterface(): string | null {
  const route = existsSync('/proc/net/route') ? readFileSync('/proc/net/route', 'utf8') : '';
  const viaDefault = route
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t'))
    .find((f) => f[1] === '00000000')?.[0];
  if (viaDefault) return viaDefault;
  const names = readdirSync('/sys/class/net').filter((n) => n !== 'lo' && /^[A-Za-z0-9_.-]{1,15}$/.test(n));
  return names.find((n) => existsSync(`/sys/class/net/${n}/device`)) ?? names[0] ?? null;
}

/** findHostInterface(), or `eth0` on a machine with no interface but lo (keepalived -t then refuses it). */
export function hostInterface(): string {
  return findHostInterface() ?? 'eth0';
}
