import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { CliError } from './errors';

/** What `berth login` stores. The token is a secret: never print it. */
export interface StoredConfig {
  url: string;
  token: string;
  /** The user the token belongs to, for `whoami` without a round trip and for messages. */
  user?: string;
  /** Id of the API token, so `logout` can revoke it. */
  tokenId?: string;
}

/** The server and credentials a command uses, after environment overrides. */
export interface Connection {
  url: string | undefined;
  token: string | undefined;
  /** Where the values came from, for messages ("BERTH_URL" or the config path). */
  source: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** `$BERTH_CLI_CONFIG`, else `$XDG_CONFIG_HOME/berth/config.json`, else `~/.config/berth/config.json`. */
export function configPath(env: Env): string {
  if (env.BERTH_CLI_CONFIG) return env.BERTH_CLI_CONFIG;
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || homedir(), '.config');
  return path.join(base, 'berth', 'config.json');
}

/** Reads and writes the CLI's config file, which holds a token and so is kept at mode 0600. */
export class ConfigStore {
  constructor(readonly file: string) {}

  /** The stored config, or null when there is none. Throws CliError when the file is unreadable. */
  async load(): Promise<StoredConfig | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new CliError(`cannot read ${this.file}: ${(err as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CliError(`${this.file} is not valid JSON; fix it or run "berth login" again`);
    }
    if (!isStoredConfig(parsed))
      throw new CliError(`${this.file} lacks "url" or "token"; run "berth login" again`);
    return parsed;
  }

  /**
   * Writes the config atomically: a temporary file created with mode 0600 in a directory of mode
   * 0700, then renamed over the old one, so the token is never readable by others, not even briefly.
   */
  async save(config: StoredConfig): Promise<void> {
    const dir = path.dirname(this.file);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    // writeFile's mode is filtered by the umask; make sure of 0600 before the rename.
    await chmod(tmp, 0o600);
    await rename(tmp, this.file);
  }

  /** Removes the config; true when there was one. */
  async clear(): Promise<boolean> {
    const existed = (await this.load().catch(() => null)) !== null;
    await rm(this.file, { force: true });
    return existed;
  }
}

function isStoredConfig(value: unknown): value is StoredConfig {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.url === 'string' && typeof v.token === 'string';
}

/** Applies `BERTH_URL` and `BERTH_TOKEN`, which take precedence over the file. */
export function resolveConnection(stored: StoredConfig | null, env: Env, file: string): Connection {
  const url = env.BERTH_URL || stored?.url;
  const token = env.BERTH_TOKEN || stored?.token;
  const fromEnv = Boolean(env.BERTH_URL || env.BERTH_TOKEN);
  return {
    url: url ? normalizeUrl(url) : undefined,
    token,
    source: fromEnv ? 'BERTH_URL/BERTH_TOKEN' : file,
  };
}

/** Checks that `raw` is an http(s) URL and strips trailing slashes. */
export function normalizeUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`"${raw}" is not a URL; use for example http://127.0.0.1:7080`, { exitCode: 2 });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`the server URL must start with http:// or https://, got "${raw}"`, { exitCode: 2 });
  }
  if (url.username || url.password)
    throw new CliError('do not put credentials in the server URL', { exitCode: 2 });
  return url.toString().replace(/\/+$/, '');
}
