import { isLegacyTls, type CertificateApply, type RouteSpec } from '@berth/shared';
import type { Db } from '../../db/database';
import type { GatewayApplier } from './gateway-applier';
import type { GatewaysRepository } from './gateways.repository';
import type { GatewaysService } from './gateways.service';
import type { CertificateRouteUse } from './route-certificates';

/**
 * The certificates module's view of the routes: which use a certificate, and re-applying the
 * gateways that serve them when a certificate is renewed (new files, new configuration version).
 */
export class RouteCertificateUsage {
  constructor(
    private readonly db: Db,
    private readonly repo: GatewaysRepository,
    private readonly svc: GatewaysService,
    private readonly applier: GatewayApplier,
  ) {}

  /** Routes of the project that name a certificate (one, or any). */
  async usedBy(project: string, name?: string): Promise<CertificateRouteUse[]> {
    const rows = await this.db
      .selectFrom('gateway_routes')
      .select(['env', 'name', 'host', 'spec'])
      .where('project', '=', project)
      .orderBy('env')
      .orderBy('name')
      .execute();
    const out: CertificateRouteUse[] = [];
    for (const r of rows) {
      const tls = (JSON.parse(r.spec) as RouteSpec).tls;
      if (!tls || isLegacyTls(tls) || (name !== undefined && tls.certificate !== name)) continue;
      out.push({ env: r.env, route: r.name, host: r.host, certificate: tls.certificate });
    }
    return out;
  }

  /** Re-applies every gateway with a route that uses the certificate; one result per gateway. */
  async reapply(project: string, name: string, author: string): Promise<CertificateApply[]> {
    const envs = new Set((await this.usedBy(project, name)).map((u) => u.env));
    const out: CertificateApply[] = [];
    for (const gw of await this.repo.listGateways()) {
      if (!envs.has(gw.env)) continue;
      try {
        const v = await this.applier.enqueue(gw.id, async () => {
          const routes = await this.repo.routesOfEnv(gw.env);
          const fresh = (await this.repo.findGateway(gw.name)) ?? gw;
          return this.svc.applyWith(fresh, routes, {
            author,
            reason: `certificate ${project}/${name} renewed`,
            change: null,
            routesAfter: routes,
          });
        });
        out.push({
          gateway: gw.name,
          version: v?.number ?? (await this.repo.findGateway(gw.name))?.applied_version ?? null,
          error: null,
        });
      } catch (err) {
        out.push({
          gateway: gw.name,
          version: null,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
    return out;
  }
}
