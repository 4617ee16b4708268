import type { RouteSpec } from '@berth/shared';

/*
 * Parsed route specs shared between the applies of a gateway. A whole plan at 10,000 routes
 * parsed every route's spec twice (the certificates it names, then the plan): 40-70 ms of JSON
 * on each route change, for specs that did not change. Keyed by the stored text, so an edited
 * route is a new key; frozen, because every apply gets the same objects.
 */

/** Entries kept before the cache starts over (about 25 MiB at this size). */
const maxEntries = 25_000;
let specs = new Map<string, Readonly<RouteSpec>>();

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** A route row's spec, parsed once per distinct text. Read only (frozen). */
export function routeSpecOf(text: string): Readonly<RouteSpec> {
  let spec = specs.get(text);
  if (spec === undefined) {
    if (specs.size >= maxEntries) specs = new Map();
    spec = deepFreeze(JSON.parse(text) as RouteSpec);
    specs.set(text, spec);
  }
  return spec;
}
