import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { writeRegistryConfig } from '../../src/supervisor/helpers';
import { embeddedBearer } from '../../src/modules/registry/registries.service';
import { adminPassword, eventually, type TestPlatform } from './platform';
import { freePort } from './net';

const run = promisify(execFile);

/** Registry credentials: a Berth user with a password or an API token. */
export interface RegistryCreds {
  username: string;
  password: string;
}

/** The test platform's admin: may push and pull every repository of the embedded registry. */
export const adminCreds: RegistryCreds = { username: 'admin', password: adminPassword };

/**
 * A throwaway auth file per call, so no test ever reads or writes root's
 * ${XDG_RUNTIME_DIR}/containers/auth.json.
 */
function throwawayAuthFile(): { file: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-authfile-'));
  const file = path.join(dir, 'auth.json');
  writeFileSync(file, '{"auths":{}}');
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Pushes a local image to `host/repo:tag` over plain http (argv, never a shell string), with
 * credentials for the registry's token server (`--creds`; nothing is stored).
 */
export async function pushImage(
  source: string,
  host: string,
  repoTag: string,
  format: 'oci' | 'v2s2' = 'oci',
  creds: RegistryCreds | null = adminCreds,
): Promise<void> {
  const auth = throwawayAuthFile();
  try {
    await run(
      'podman',
      [
        'push',
        '--quiet',
        '--tls-verify=false',
        '--authfile',
        auth.file,
        ...(creds ? ['--creds', `${creds.username}:${creds.password}`] : []),
        '--format',
        format,
        source,
        `docker://${host}/${repoTag}`,
      ],
      { timeout: 60_000 },
    );
  } finally {
    auth.remove();
  }
}

/** A registry started by a test: its host:port and the process. */
export interface TestRegistry {
  host: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

async function serve(file: string, host: string, expect: (status: number) => boolean): Promise<TestRegistry> {
  const proc = spawn('docker-registry', ['serve', file], { stdio: 'ignore' });
  await eventually(async () => expect((await fetch(`http://${host}/v2/`)).status), `the registry on ${host}`);
  return {
    host,
    proc,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill();
      }),
  };
}

/**
 * The platform's embedded registry with Berth as its token server (the production config, see
 * supervisor/helpers.ts): the platform must have been started with BERTH_REGISTRY_LISTEN=host.
 */
export async function startAuthRegistry(p: TestPlatform, dir: string): Promise<TestRegistry> {
  const host = p.server.ctx.config.registryListen;
  if (!host) throw new Error('start the platform with BERTH_REGISTRY_LISTEN');
  mkdirSync(dir, { recursive: true });
  const { file } = writeRegistryConfig(p.server.ctx.config, {
    listen: host,
    realm: p.url,
    file: path.join(dir, 'registry.yml'),
    storage: path.join(dir, 'registry'),
  });
  return serve(file, host, (s) => s === 401);
}

/** A registry without authentication, standing for an external registry (behind a test proxy). */
export async function startPlainRegistry(dir: string): Promise<TestRegistry> {
  const host = `127.0.0.1:${await freePort()}`;
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'registry.yml');
  writeFileSync(
    file,
    [
      'version: 0.1',
      'log: { level: error, accesslog: { disabled: true } }',
      `storage: { filesystem: { rootdirectory: ${JSON.stringify(path.join(dir, 'data'))} }, delete: { enabled: true } }`,
      `http: { addr: ${JSON.stringify(host)} }`,
    ].join('\n'),
  );
  return serve(file, host, (s) => s === 200);
}

/** Berth's own bearer token for a scope of the platform's embedded registry (test reads). */
export function berthToken(p: TestPlatform, scope: string): string {
  const mint = embeddedBearer(p.server.ctx.config);
  if (!mint) throw new Error('the platform has no embedded registry');
  return mint(scope);
}

/**
 * Makes a tiny image with one unique layer (a random file) so its blobs are shared with nothing
 * else; returns its local name and a remover. Used to show that garbage collection frees blobs.
 */
export async function uniqueImage(): Promise<{ name: string; remove(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-registry-img-'));
  writeFileSync(path.join(dir, 'payload.bin'), randomBytes(64 * 1024));
  const name = `localhost/berth-registry-test-${randomBytes(4).toString('hex')}:1`;
  const tar = path.join(dir, 'rootfs.tar');
  await run('tar', ['-C', dir, '-cf', tar, 'payload.bin']);
  await run('podman', ['import', '--quiet', tar, name], { timeout: 60_000 });
  rmSync(dir, { recursive: true, force: true });
  return {
    name,
    async remove() {
      await run('podman', ['rmi', '--force', name]).catch(() => undefined);
    },
  };
}
