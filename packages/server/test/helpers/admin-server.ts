import { after, before } from 'node:test';
import { buildServer, type BerthServer } from '../../src/server';
import {
  createTestDatabase,
  loginAs,
  testConfig,
  type Caller,
  type TestDatabase,
  type TestDialect,
} from './db';

/** What `adminServer` hands a suite. */
export interface AdminServer {
  db: TestDatabase;
  server: BerthServer;
  /** The admin, logged in with a cookie session. */
  admin: Caller;
}

/**
 * Registers the hooks of a suite against a Berth without engine on a fresh `dialect` database:
 * `before` builds the server (`BERTH_ADMIN_PASSWORD` is `adminPassword`, `env` adds settings) and
 * logs the admin in, then hands them to `ready`; `after` closes the server and drops the database.
 * Call it inside `describe`, before the suite's own hooks (they run after it, in order).
 */
export function adminServer(
  dialect: TestDialect,
  adminPassword: string,
  ready: (s: AdminServer) => void,
  env: Record<string, string> = {},
): void {
  let db: TestDatabase | undefined;
  let server: BerthServer | undefined;
  before(async () => {
    db = await createTestDatabase(dialect);
    server = await buildServer(testConfig(db, { BERTH_ADMIN_PASSWORD: adminPassword, ...env }));
    ready({ db, server, admin: await loginAs(server.app, 'admin', adminPassword) });
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });
}
