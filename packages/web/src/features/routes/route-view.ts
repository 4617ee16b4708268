import type { Canary, Route } from '@berth/shared';
import type { Translate } from '../../i18n/I18nProvider';

/** The service a canary sends traffic to, or '' for a canary to a release of the route's service. */
export function canaryTarget(c: Canary): string {
  return 'service' in c.to ? c.to.service : '';
}

/** Where a canary sends traffic, for display: "web-v2" or "Release 3". */
export function canaryTargetLabel(t: Translate, c: Canary): string {
  return 'release' in c.to ? t('routes.canary.toRelease', { number: c.to.release }) : c.to.service;
}

/** The canary rule in one line: "10%", "header X-Canary = yes", "cookie beta = 1". */
export function canaryRule(c: Canary): { kind: 'percent' | 'header' | 'cookie'; text: string } {
  if (c.header) return { kind: 'header', text: `${c.header.name} = ${c.header.value}` };
  if (c.cookie) return { kind: 'cookie', text: `${c.cookie.name} = ${c.cookie.value}` };
  return { kind: 'percent', text: `${c.percent ?? 0}%` };
}

/** The service target of a route ("web:8080", or "web" for its first port), or null. */
export function serviceTarget(route: Route): string | null {
  const s = route.spec.backends.service;
  if (!s) return null;
  return s.port ? `${s.name}:${s.port}` : s.name;
}

/** "10.0.0.5:8080 ×3" for each VM server (the weight shown when not 1). */
export function serverTargets(route: Route): string[] {
  return route.spec.backends.servers.map((s) =>
    s.weight && s.weight !== 1 ? `${s.address} ×${s.weight}` : s.address,
  );
}

/** Whether a route sends any traffic to this service (as its target or as its canary). */
export function routeUsesService(route: Route, service: string): boolean {
  return (
    route.spec.backends.service?.name === service ||
    (route.canary ? canaryTarget(route.canary) === service : false)
  );
}
