import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config/config';
import type { Db } from '../../db/database';
import type { AppContext, Authenticator } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import { AuthService } from './auth.service';
import { registerAuthRoutes } from './auth.routes';
import { Authorizer } from './authorizer';
import { BindingsService } from './bindings.service';
import { registerBindingRoutes } from './bindings.routes';
import { registerEnvRoutes } from './envs.routes';
import { bootstrapIdentity } from './identity-bootstrap';
import { LoginLimiter } from './login-limiter';
import { registerMeRoutes } from './me.routes';
import { ProjectsService } from './projects.service';
import { registerProjectRoutes } from './projects.routes';
import { RequestAuthenticator } from './request-authenticator';
import { SessionStore } from './session-store';
import { registerTeamRoutes } from './teams.routes';
import { TeamsService } from './teams.service';
import { TokenStore } from './token-store';
import { registerUserRoutes } from './users.routes';
import { UsersService } from './users.service';
import type { IdentityServices } from './identity-services';

/** The identity module: who the caller is, what they may do, and the users/teams/projects/bindings API. */
export interface IdentityModule {
  authenticator: Authenticator;
  /** Seeds environments and the first admin; the generated password is returned once to print. */
  bootstrap(): Promise<{ generatedAdminPassword: string | null }>;
  registerRoutes(registry: RouteRegistry, ctx: AppContext): void;
}

export function createIdentity(deps: {
  db: Db;
  config: Readonly<Config>;
  log: FastifyBaseLogger;
}): IdentityModule {
  const { db, config } = deps;
  const authorizer = new Authorizer(db);
  const sessions = new SessionStore(db, config.sessionTtlSeconds);
  const tokens = new TokenStore(db);
  const services: IdentityServices = {
    config,
    authorizer,
    auth: new AuthService(db, sessions, new LoginLimiter(db), tokens),
    sessions,
    tokens,
    users: new UsersService(db, sessions),
    teams: new TeamsService(db),
    projects: new ProjectsService(db),
    bindings: new BindingsService(db, authorizer),
  };
  return {
    authenticator: new RequestAuthenticator(db, sessions, tokens, authorizer),
    async bootstrap() {
      const result = await bootstrapIdentity(db, config);
      if (result.generatedAdminPassword)
        deps.log.info('created the first platform admin "admin" with a generated password');
      return result;
    },
    registerRoutes(registry, ctx) {
      registerAuthRoutes(registry, services);
      registerMeRoutes(registry, services);
      registerUserRoutes(registry, services);
      registerEnvRoutes(registry, ctx);
      registerTeamRoutes(registry, services, ctx);
      registerProjectRoutes(registry, services);
      registerBindingRoutes(registry, services);
    },
  };
}
