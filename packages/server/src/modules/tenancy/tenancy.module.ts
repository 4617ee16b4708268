import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import { TenancyRepository } from './tenancy.repository';
import { registerTenancyRoutes } from './tenancy.routes';
import { TenancyService } from './tenancy.service';

export { TenancyService } from './tenancy.service';
export type { RouteFacts, OtherRoute } from './tenancy.service';

/** Domain zones and allowed networks; the gateways module checks every route write with it. */
export function createTenancyModule(
  ctx: AppContext,
  registry: RouteRegistry,
  app: FastifyInstance,
): TenancyService {
  const apiPort = () => {
    const addr = app.server.address();
    return typeof addr === 'object' && addr ? addr.port : null;
  };
  const svc = new TenancyService(ctx, new TenancyRepository(ctx.db), apiPort);
  registerTenancyRoutes(registry, svc);
  return svc;
}
