import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isChunkLoadError, reloadKey, retryDelaysMs, retryImport, type ChunkLoadEnv } from './chunk-load';

/** Chromium's words for a chunk whose fetch failed (the CI run that lost the login page). */
const lost = () =>
  new TypeError(
    'Failed to fetch dynamically imported module: http://127.0.0.1:38505/assets/LoginPage-DpuMW6f6.js',
  );

function env(stored: Record<string, string> = {}, at = 1_000_000) {
  const waits: number[] = [];
  let reloads = 0;
  const e: ChunkLoadEnv = {
    wait: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
    now: () => at,
    storage: {
      getItem: (k) => stored[k] ?? null,
      setItem: (k, v) => void (stored[k] = v),
    },
    reload: () => void (reloads += 1),
  };
  return { e, waits, reloads: () => reloads, stored };
}

/** A load that fails `failures` times with `err`, then answers. */
function flaky(failures: number, err: () => Error = lost) {
  let calls = 0;
  const load = () => {
    calls += 1;
    return calls <= failures ? Promise.reject(err()) : Promise.resolve({ default: 'page' });
  };
  return { load, calls: () => calls };
}

describe('loading a code chunk', () => {
  it('tells a chunk fetch failure from other errors', () => {
    assert.ok(isChunkLoadError(lost()));
    assert.ok(isChunkLoadError(new TypeError('Importing a module script failed.')));
    assert.ok(isChunkLoadError(new Error('Unable to preload CSS for /assets/x.css')));
    assert.ok(!isChunkLoadError(new TypeError("Cannot read properties of undefined (reading 'x')")));
    assert.ok(!isChunkLoadError('Failed to fetch dynamically imported module'));
  });

  it('fetches again after a failed fetch, waiting longer each time', async () => {
    const t = env();
    const f = flaky(2);
    assert.deepEqual(await retryImport(f.load, t.e), { default: 'page' });
    assert.equal(f.calls(), 3);
    assert.deepEqual(t.waits, [retryDelaysMs[0], retryDelaysMs[1]]);
    assert.equal(t.reloads(), 0);
  });

  it('reloads the page once when every fetch failed, and stays pending until it does', async () => {
    const t = env();
    const f = flaky(Infinity);
    let settled = false;
    void retryImport(f.load, t.e).finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(f.calls(), retryDelaysMs.length + 1);
    assert.equal(t.reloads(), 1);
    assert.equal(t.stored[reloadKey], '1000000');
    assert.equal(settled, false, 'the skeleton stays until the reload');
  });

  it('after a reload in the last minute, gives the error to the page instead of reloading again', async () => {
    const t = env({ [reloadKey]: String(1_000_000 - 30_000) });
    await assert.rejects(retryImport(flaky(Infinity).load, t.e), /dynamically imported module/);
    assert.equal(t.reloads(), 0);
    // a minute later it may reload again
    const later = env({ [reloadKey]: String(1_000_000 - 61_000) });
    void retryImport(flaky(Infinity).load, later.e);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(later.reloads(), 1);
  });

  it('throws other errors at once, without fetching again', async () => {
    const t = env();
    const f = flaky(1, () => new TypeError('x is not a function'));
    await assert.rejects(retryImport(f.load, t.e), /x is not a function/);
    assert.equal(f.calls(), 1);
    assert.deepEqual(t.waits, []);
  });
});
