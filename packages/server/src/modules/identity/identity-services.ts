import type { Config } from '../../config/config';
import type { AuthService } from './auth.service';
import type { Authorizer } from './authorizer';
import type { BindingsService } from './bindings.service';
import type { ProjectsService } from './projects.service';
import type { SessionStore } from './session-store';
import type { TeamsService } from './teams.service';
import type { TokenStore } from './token-store';
import type { UsersService } from './users.service';

/** Everything the identity routes use, built once per server (identity.module.ts builds it). */
export interface IdentityServices {
  config: Readonly<Config>;
  authorizer: Authorizer;
  auth: AuthService;
  sessions: SessionStore;
  tokens: TokenStore;
  users: UsersService;
  teams: TeamsService;
  projects: ProjectsService;
  bindings: BindingsService;
}
