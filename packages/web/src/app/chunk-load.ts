/*
 * Loading the portal's code chunks so that a lost fetch does not leave a blank page. Each page
 * is a chunk fetched when first opened; the fetch can fail while the portal is open:
 * - for a moment: Chromium aborts requests in flight when the machine's network changes
 *   (ERR_NETWORK_CHANGED; a container runtime adds and removes interfaces all the time), a
 *   laptop changes networks, a proxy drops a connection. Trying again a little later works
 *   (browsers do not keep a failed module fetch: a new import() fetches again).
 * - for good: Berth was upgraded, and the chunk names this page knows (content hashes) are gone.
 *   Reloading the page fetches the new index and its chunks.
 * No React here: the Node tests drive retryImport with their own clock and storage.
 */

/** What browsers say when a module or its stylesheet could not be fetched. */
const chunkFailure =
  /dynamically imported module|Importing a module script failed|error loading dynamically imported module|Unable to preload CSS/i;

/** True for an error from fetching a code chunk (not from running it). */
export function isChunkLoadError(err: unknown): boolean {
  return err instanceof Error && chunkFailure.test(err.message);
}

export interface ChunkLoadEnv {
  wait(ms: number): Promise<void>;
  now(): number;
  /** Where the last reload's time is kept: one reload a minute at most, across reloads. */
  storage: Pick<Storage, 'getItem' | 'setItem'> | null;
  reload(): void;
}

/** Waits between tries: the fetch is tried four times over about four seconds. */
export const retryDelaysMs = [250, 1000, 2500] as const;
export const reloadKey = 'berth.chunkReloadAt';
const reloadEveryMs = 60_000;

function browserEnv(): ChunkLoadEnv {
  let storage: ChunkLoadEnv['storage'] = null;
  try {
    storage = window.sessionStorage;
  } catch {
    // storage disabled: reload without remembering, at most the once this page can
  }
  return {
    wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
    storage,
    reload: () => window.location.reload(),
  };
}

/**
 * Runs `load` (an import()), trying again after a chunk fetch failed. When every try failed, the
 * page reloads once (at most once a minute; the returned promise then never settles, so the
 * page keeps its skeleton until the reload); after that the error goes to the caller (the
 * route's error boundary says the page could not load). Other errors are thrown at once.
 */
export async function retryImport<T>(load: () => Promise<T>, env: ChunkLoadEnv = browserEnv()): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await load();
    } catch (err) {
      if (!isChunkLoadError(err)) throw err;
      const delay = retryDelaysMs[attempt];
      if (delay !== undefined) {
        await env.wait(delay);
        continue;
      }
      const last = Number(env.storage?.getItem(reloadKey) ?? 0);
      if (env.now() - last < reloadEveryMs) throw err;
      env.storage?.setItem(reloadKey, String(env.now()));
      env.reload();
      return new Promise<T>(() => undefined);
    }
  }
}
