import {
  ConflictError,
  InvalidError,
  NotFoundError,
  embeddedRegistryName,
  type CreateRegistryRequest,
  type Registry,
  type RegistryAssignment,
  type RegistryTestResult,
  type UpdateRegistryRequest,
} from '@berth/shared';
import type { Config } from '../../config/config';
import type { SecretBox } from '../../crypto/secret-box';
import { isUniqueViolation } from '../identity/store-errors';
import { newId, nowIso } from '../../util';
import { sameHost } from './image-ref';
import {
  RegistryClient,
  RegistryHttpError,
  RegistryUnreachableError,
  type RegistryCredentials,
} from './registry-client';
import type { RegistriesRepository, RegistryRow } from './registries.repository';
import { parseScope, tokensOfConfig, type AccessEntry } from './registry-tokens';

/** The API view; `extra` carries the access rules, `redact` drops the username for non-admins. */
export function toRegistry(
  row: RegistryRow,
  extra: { assignedTo: RegistryAssignment[]; publicRepositories: string[] } = {
    assignedTo: [],
    publicRepositories: [],
  },
  redact = false,
): Registry {
  return {
    name: row.name,
    displayName: row.display_name,
    kind: row.kind,
    url: row.url,
    host: row.host,
    username: redact ? null : row.username,
    password: { value: null, isSet: row.password_sealed !== null },
    assignedTo: extra.assignedTo,
    publicRepositories: extra.publicRepositories,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    createdBy: row.created_by,
    version: row.version,
  };
}

export function registryNotFound(name: string): NotFoundError {
  return new NotFoundError(
    'NOT_FOUND',
    `Registry '${name}' does not exist; \`berth registries list\` shows the registries.`,
    {
      kind: 'registry',
      name,
    },
  );
}

/**
 * Registries: the embedded one mirrors the configuration; external ones are created by platform
 * admins. Passwords and tokens are sealed at rest and leave this class only inside a client.
 */
export class RegistriesService {
  constructor(
    private readonly repo: RegistriesRepository,
    private readonly secrets: SecretBox,
    private readonly config: Readonly<Config>,
  ) {}

  /** Keeps the `local` row in step with `registryListen` (created, moved, or removed when off). */
  async syncEmbedded(): Promise<void> {
    const listen = this.config.registryListen;
    const row = await this.repo.find(embeddedRegistryName);
    if (!listen) {
      if (row?.kind === 'embedded') await this.repo.remove(row.id);
      return;
    }
    const url = `http://${listen}`;
    if (row && row.url === url) return;
    if (row) {
      await this.repo.updateIf(row.id, row.version, {
        url,
        host: listen,
        kind: 'embedded',
        updated_at: nowIso(),
      });
      return;
    }
    const now = nowIso();
    await this.repo.insert({
      id: newId(),
      name: embeddedRegistryName,
      display_name: 'Embedded registry',
      kind: 'embedded',
      url,
      host: listen,
      username: null,
      password_sealed: null,
      created_at: now,
      updated_at: now,
      created_by: 'system',
      version: 1,
    });
  }

  async get(name: string): Promise<RegistryRow> {
    const row = await this.repo.find(name);
    if (!row) throw registryNotFound(name);
    return row;
  }

  async create(req: CreateRegistryRequest, actor: string): Promise<RegistryRow> {
    if (req.password && !req.username) {
      throw new InvalidError(
        'A password needs a username: send "username" too (for a token, any name the registry accepts).',
        [{ path: 'username', message: 'is required with a password' }],
      );
    }
    const now = nowIso();
    const row: RegistryRow = {
      id: newId(),
      name: req.name,
      display_name: req.displayName ?? req.name,
      kind: 'external',
      url: req.url,
      host: new URL(req.url).host,
      username: req.username ?? null,
      password_sealed: req.password ? this.secrets.seal(req.password) : null,
      created_at: now,
      updated_at: now,
      created_by: actor,
      version: 1,
    };
    try {
      await this.repo.insert(row);
    } catch (err) {
      if (isUniqueViolation(err))
        throw new ConflictError(
          `Registry '${req.name}' already exists; pick another name or update it.`,
          undefined,
          'ALREADY_EXISTS',
        );
      throw err;
    }
    return row;
  }

  async update(name: string, req: UpdateRegistryRequest): Promise<RegistryRow> {
    const row = await this.get(name);
    const fields = Object.entries(req).filter(
      ([k, v]) => k !== 'assignedTo' && k !== 'version' && v !== undefined,
    );
    if (row.kind === 'embedded' && fields.length === 0) return row;
    if (row.kind === 'embedded')
      throw new ConflictError(
        `Registry '${name}' is the embedded registry; change BERTH_REGISTRY_LISTEN instead (only assignedTo can be changed here).`,
      );
    if (req.version !== undefined && req.version !== row.version) throw versionConflict(name, row.version);
    const patch: Partial<RegistryRow> = { updated_at: nowIso() };
    if (req.displayName !== undefined) patch.display_name = req.displayName;
    if (req.url !== undefined) {
      patch.url = req.url;
      patch.host = new URL(req.url).host;
    }
    if (req.username !== undefined) patch.username = req.username;
    if (req.username === null) patch.password_sealed = null;
    if (req.password !== undefined)
      patch.password_sealed = req.password === null ? null : this.secrets.seal(req.password);
    const username = patch.username !== undefined ? patch.username : row.username;
    const password = patch.password_sealed !== undefined ? patch.password_sealed : row.password_sealed;
    if (password && !username)
      throw new InvalidError('A password needs a username: send "username" too.', [
        { path: 'username', message: 'is required with a password' },
      ]);
    if (!(await this.repo.updateIf(row.id, row.version, patch))) throw versionConflict(name, row.version + 1);
    return this.get(name);
  }

  async remove(name: string): Promise<void> {
    const row = await this.get(name);
    if (row.kind === 'embedded')
      throw new ConflictError(
        `Registry '${name}' is the embedded registry; set BERTH_REGISTRY_LISTEN=off to remove it.`,
      );
    await this.repo.remove(row.id);
  }

  /** The decrypted credentials of a registry row (username null when it has none). */
  credentialsOf(row: RegistryRow): RegistryCredentials {
    return {
      username: row.username,
      password: row.password_sealed ? this.secrets.open(row.password_sealed) : null,
    };
  }

  /**
   * The decrypted credentials for an image host (`harbor.example.com`, `127.0.0.1:5000`), or null
   * when no registry is configured for it. For builders that push and engines that pull.
   */
  async credentialsForHost(
    host: string,
  ): Promise<(RegistryCredentials & { registry: string; url: string }) | null> {
    const row = (await this.repo.findByHost(host)) ?? (await this.findByAlias(host));
    return row ? { registry: row.name, url: row.url, ...this.credentialsOf(row) } : null;
  }

  async clientFor(name: string): Promise<{ row: RegistryRow; client: RegistryClient }> {
    const row = await this.get(name);
    return {
      row,
      client: new RegistryClient({
        url: row.url,
        credentials: this.credentialsOf(row),
        ...(row.kind === 'embedded' ? { bearer: embeddedBearer(this.config) } : {}),
      }),
    };
  }

  /** Pings /v2/ with the stored credentials (basic, or the bearer-token flow). */
  async test(name: string): Promise<RegistryTestResult> {
    const { client } = await this.clientFor(name);
    const started = Date.now();
    try {
      const status = await client.ping();
      const latencyMs = Date.now() - started;
      const ok = status === 200;
      return {
        ok,
        httpStatus: status,
        auth: client.auth,
        latencyMs,
        message: ok
          ? `The registry answered /v2/ with 200 (${client.auth} auth) in ${latencyMs} ms.`
          : status === 401
            ? 'The registry refused the credentials (401): check the username and password or token.'
            : `The registry answered /v2/ with HTTP ${status}; is ${client.baseUrl} an OCI registry?`,
      };
    } catch (err) {
      if (!(err instanceof RegistryUnreachableError) && !(err instanceof RegistryHttpError)) throw err;
      return {
        ok: false,
        httpStatus: err instanceof RegistryHttpError ? err.status : null,
        auth: client.auth,
        latencyMs: Date.now() - started,
        message: err.message,
      };
    }
  }

  private async findByAlias(host: string): Promise<RegistryRow | null> {
    const embedded = await this.repo.find(embeddedRegistryName);
    return embedded && sameHost(embedded.host, host) ? embedded : null;
  }
}

/**
 * Berth's own token for the embedded registry, minted per scope (browse, delete, digest checks):
 * it grants exactly the scope asked for, for five minutes, and never leaves the process.
 */
export function embeddedBearer(config: Readonly<Config>): ((scope: string) => string) | undefined {
  const tokens = tokensOfConfig(config);
  if (!tokens) return undefined;
  return (scope: string) => {
    const entries = scope
      .split(' ')
      .map(parseScope)
      .filter((e): e is AccessEntry => e !== null);
    return tokens.registryToken('berth', entries).token;
  };
}

function versionConflict(name: string, current: number): ConflictError {
  return new ConflictError(
    `Registry '${name}' was changed by someone else (now version ${current}); read it again and retry.`,
    { current },
    'VERSION_CONFLICT',
  );
}
