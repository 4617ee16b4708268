import net from 'node:net';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { LocalNginxNode, controlSocketPath } from '@berth/gateway-nginx';
import type { Config } from '../../config/config';
import { HelperProcess, type HelperSpec } from '../../supervisor/helper-process';

/** The name of the gateway Berth creates for the `test` env on one machine. */
export const localGatewayName = 'local';

/** The prefix of a local gateway's node under the data dir. */
export function gatewayDir(config: Readonly<Config>): string {
  return path.join(config.dataDir, 'gateway');
}

function answers(listen: string): Promise<boolean> {
  const i = listen.lastIndexOf(':');
  return new Promise((resolve) => {
    const s = net.connect({ host: listen.slice(0, i), port: Number(listen.slice(i + 1)) });
    s.setTimeout(1000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

/** A helper that also stops a master of its own prefix it reused (left by a killed Berth). */
class NginxHelper extends HelperProcess {
  constructor(
    spec: HelperSpec,
    log: FastifyBaseLogger,
    private readonly node: LocalNginxNode,
  ) {
    super(spec, log);
  }

  override async stop(): Promise<void> {
    await super.stop();
    const pid = await this.node.pid();
    if (pid !== null) process.kill(pid, 'SIGTERM');
  }
}

/**
 * The supervised local Nginx node of the `test` gateway (`berth up`), or null when
 * BERTH_GATEWAY_LISTEN=off. Its configuration says `daemon off;`, so the master stays the
 * supervised child; it runs with its own prefix and pid file, which the applier sends HUP to.
 * The gateways module writes the first configuration when the server is built, before this starts.
 */
export function localNginxHelper(config: Readonly<Config>, log: FastifyBaseLogger): HelperProcess | null {
  const listen = config.gatewayListen;
  if (!listen) return null;
  const node = new LocalNginxNode(path.join(gatewayDir(config), localGatewayName));
  const logs = path.join(config.dataDir, 'logs');
  mkdirSync(logs, { recursive: true });
  return new NginxHelper(
    {
      name: 'gateway nginx',
      command: node.nginxBin,
      args: node.argv(),
      logFile: path.join(logs, 'gateway-nginx.log'),
      cwd: node.prefix,
      ready: () => answers(listen),
      // Not answering: no master of ours runs, so a control socket left by a killed one is stale
      // (binding it would fail the start).
      beforeSpawn: () => rmSync(controlSocketPath(node.prefix), { force: true }),
    },
    log,
    node,
  );
}
