import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/config';
import { HelperProcess, registerSupervised } from './helper-process';

function pingSocket(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/v4.3.1/libpod/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

function pingUrl(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(1000) })
    .then((r) => r.ok)
    .catch(() => false);
}

/** Where the embedded registry keeps its configuration and its storage. */
export function registryPaths(config: Readonly<Config>): { dir: string; file: string; storage: string } {
  const dir = path.join(config.dataDir, 'registry');
  return { dir, file: path.join(dir, 'config.yml'), storage: path.join(dir, 'data') };
}

/** The helper processes `berth up` supervises on one machine (DESIGN §3). */
export function localHelpers(
  config: Readonly<Config>,
  log: FastifyBaseLogger,
  opts: { registryListen: string | null },
): HelperProcess[] {
  const helpers: HelperProcess[] = [];
  const logs = path.join(config.dataDir, 'logs');
  mkdirSync(logs, { recursive: true });
  helpers.push(
    new HelperProcess(
      {
        name: 'podman service',
        command: 'podman',
        args: ['system', 'service', '--time=0', `unix://${config.podmanSocket}`],
        logFile: path.join(logs, 'podman-service.log'),
        cwd: config.dataDir,
        ready: () => pingSocket(config.podmanSocket),
      },
      log,
    ),
  );
  if (opts.registryListen) {
    const { dir, file } = registryPaths(config);
    mkdirSync(path.join(dir, 'data'), { recursive: true });
    writeFileSync(
      file,
      [
        'version: 0.1',
        'log: { level: info, accesslog: { disabled: true } }',
        'storage:',
        `  filesystem: { rootdirectory: ${JSON.stringify(path.join(dir, 'data'))} }`,
        '  delete: { enabled: true }',
        '  cache: { blobdescriptor: inmemory }',
        `http: { addr: ${JSON.stringify(opts.registryListen)} }`,
        '',
      ].join('\n'),
    );
    const registry = new HelperProcess(
      {
        name: 'registry',
        command: 'docker-registry',
        args: ['serve', file],
        logFile: path.join(logs, 'registry.log'),
        cwd: dir,
        ready: () => pingUrl(`http://${opts.registryListen}/v2/`),
      },
      log,
    );
    registerSupervised(config.dataDir, 'registry', registry);
    helpers.push(registry);
  }
  return helpers;
}
