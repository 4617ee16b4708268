import { randomBytes } from 'node:crypto';

/** Current time as an RFC 3339 UTC string. */
export function nowIso(): string {
  return new Date().toISOString();
}

let lastMs = 0;
let counter = 0;

/**
 * A time-ordered id: 9 base-36 chars of milliseconds, a 3-char counter, 8 random chars.
 * Sorting ids sorts by creation time, which gives stable "newest first" lists on both dialects.
 */
export function newId(): string {
  const ms = Date.now();
  if (ms === lastMs) counter += 1;
  else {
    lastMs = ms;
    counter = 0;
  }
  return (
    ms.toString(36).padStart(9, '0') +
    counter.toString(36).padStart(3, '0') +
    randomBytes(5).toString('hex').slice(0, 8)
  );
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

export function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null || text === '') return fallback;
  return JSON.parse(text) as T;
}
