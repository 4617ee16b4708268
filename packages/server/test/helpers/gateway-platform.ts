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
): Promise<GatewayPlatform> {
  const listen = `127.0.0.1:${await freePort()}`;
  const p = await startPlatform(
    {
      BERTH_GATEWAY_LISTEN: listen,
      BERTH_GATEWAY_TLS_LISTEN: `127.0.0.1:${await freePort()}`,
      ...env,
    },
    { dialect },
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
