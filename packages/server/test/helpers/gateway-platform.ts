import { localNginxHelper } from '../../src/modules/gateways/local-nginx';
import type { HelperProcess } from '../../src/supervisor/helper-process';
import { startPlatform, type TestPlatform } from './platform';
import type { TestDialect } from './db';
import { freePort } from './net';

export interface GatewayPlatform extends TestPlatform {
  /** HOST:PORT of the local gateway's Nginx. */
  listen: string;
  nginx: HelperProcess;
}

/** A real Berth with its local gateway Nginx on free ports, supervised as `berth up` does. */
export async function startGatewayPlatform(
  env: Record<string, string> = {},
  dialect: TestDialect = 'sqlite',
  build?: NonNullable<Parameters<typeof startPlatform>[1]>['build'],
): Promise<GatewayPlatform> {
  const listen = `127.0.0.1:${await freePort()}`;
  const p = await startPlatform(
    {
      BERTH_GATEWAY_LISTEN: listen,
      BERTH_GATEWAY_TLS_LISTEN: `127.0.0.1:${await freePort()}`,
      ...env,
    },
    { dialect, ...(build ? { build } : {}) },
  );
  const nginx = localNginxHelper(p.server.ctx.config, p.server.app.log);
  if (!nginx) throw new Error('the gateway is off');
  await nginx.start();
  return {
    ...p,
    listen,
    nginx,
    async close() {
      await nginx.stop();
      await p.close();
    },
  };
}

/**
 * A TCP entry point of `project` in env test: a platform admin assigns a free port to the project,
 * and the project maps it to a service's container port. Returns the port.
 */
export async function tcpEntryPoint(
  api: TestPlatform['api'],
  project: string,
  serviceName: string,
  servicePort: number,
): Promise<number> {
  const port = await freePort();
  const a = await api.post('/api/v1/envs/test/entry-ports', { project, protocol: 'tcp', port });
  if (a.status !== 201) throw new Error(`assigning port ${port}: ${a.status} ${JSON.stringify(a.body)}`);
  const c = await api.post(`/api/v1/projects/${project}/envs/test/entry-points`, {
    protocol: 'tcp',
    port,
    serviceName,
    servicePort,
  });
  if (c.status !== 201) throw new Error(`creating the entry point: ${c.status} ${JSON.stringify(c.body)}`);
  return port;
}
