/**
 * The preamble of the CLI integration tests: a real Berth, a temporary CLI config and HOME, and
 * `berth` run in-process against it — logged in as admin, and with team `shop` and project `web`
 * when asked. Kept apart from `test-support.ts` so the unit tests do not load the server.
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cliRunner, type CliResult } from './test-support';
import { adminPassword, startPlatform, type TestPlatform } from '../../server/test/helpers/platform';

export interface PlatformCliOptions {
  /** Prefix of the temporary directory (the CLI's config and HOME), e.g. `berth-cli-quota-`. */
  dirPrefix: string;
  /** The server's settings (`startPlatform`'s env). */
  server: Record<string, string>;
  /**
   * What `before` sets up once the platform runs: nothing, an admin login, or an admin login plus
   * team `shop` and its project `web`.
   */
  setup: 'none' | 'admin' | 'project';
  /** Runs before the platform starts, with the temporary directory (e.g. to write certificates). */
  prepare?: (dir: string) => Promise<void>;
}

export interface PlatformCli {
  /** The temporary directory, removed after the suite. */
  readonly dir: string;
  /** The running platform (only inside tests and hooks that run after this helper's `before`). */
  readonly platform: TestPlatform;
  berth: (args: string[], input?: string) => Promise<CliResult>;
  json: <T = Record<string, unknown>>(args: string[]) => Promise<T>;
  /** Writes `text` to `name` in the temporary directory and returns its path. */
  file: (name: string, text: string) => string;
  /**
   * `berth services create NAME -p web --no-wait` of the sample busybox image sleeping, with
   * `replicas` and any further flags; asserts it was accepted.
   */
  createSleeper: (name: string, replicas: number, ...flags: string[]) => Promise<void>;
}

/**
 * Registers the `before`/`after` hooks of a CLI integration suite; call it inside `describe`
 * before the suite's own hooks (they then run after the platform is up, in order).
 */
export function platformCli(opts: PlatformCliOptions): PlatformCli {
  let p: TestPlatform | undefined;
  let env: Record<string, string> = {};
  const dir = mkdtempSync(path.join(tmpdir(), opts.dirPrefix));
  const { berth, json } = cliRunner(() => env);

  before(async () => {
    await opts.prepare?.(dir);
    p = await startPlatform(opts.server);
    env = { BERTH_CLI_CONFIG: path.join(dir, 'config.json'), HOME: dir };
    if (opts.setup === 'none') return;
    const login = await berth(
      ['login', p.url, '--username', 'admin', '--password-stdin'],
      `${adminPassword}\n`,
    );
    assert.equal(login.code, 0, login.err);
    if (opts.setup === 'admin') return;
    assert.equal((await berth(['teams', 'create', 'shop'])).code, 0);
    assert.equal((await berth(['projects', 'create', 'web', '--team', 'shop'])).code, 0);
  });
  after(async () => {
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  return {
    dir,
    get platform(): TestPlatform {
      if (!p) throw new Error('the platform is not started yet (use it inside a test or a later hook)');
      return p;
    },
    berth,
    json,
    file(name, text) {
      const f = path.join(dir, name);
      writeFileSync(f, text);
      return f;
    },
    async createSleeper(name, replicas, ...flags) {
      const created = await berth([
        ...['services', 'create', name, '-p', 'web', '--no-wait'],
        ...['--image', 'localhost/berth-busybox:1', '--replicas', String(replicas)],
        ...flags,
        ...['--command=sleep', '--args=3600'],
      ]);
      assert.equal(created.code, 0, created.err);
    },
  };
}
