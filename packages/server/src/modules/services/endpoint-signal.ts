/**
 * "Serving containers may have changed": the service controller raises it whenever it acts or a
 * probe changes a container, and the gateway controller listens, so a rollout step reaches the
 * gateway at once instead of on its next 500 ms tick. Keyed by the store object, so several
 * platforms in one process (tests) do not wake each other.
 */
const listeners = new WeakMap<object, Set<() => void>>();

export function onEndpointsMayChange(key: object, fn: () => void): () => void {
  const set = listeners.get(key) ?? new Set();
  set.add(fn);
  listeners.set(key, set);
  return () => set.delete(fn);
}

export function endpointsMayChange(key: object): void {
  for (const fn of listeners.get(key) ?? []) fn();
}
