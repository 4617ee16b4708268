/**
 * MariaDB's password rotation and config file (docs/apps.md, "Rotation", "Config files"), judged
 * with the mariadb client through the connection info: after a rotation the new password works,
 * the old one is refused and the data is kept (also the root password); a new version of
 * `{name}-conf` restarts the server and SHOW VARIABLES shows it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  eventually,
  makeProject,
  startPlatform,
  userWithRole,
  type TestApi,
  type TestPlatform,
} from './helpers/platform';
import { appImagesBuilt } from './helpers/app-images';

await appImagesBuilt();

type Obj = Record<string, unknown>;
interface Connection {
  host: string | null;
  port: number | null;
  user: string;
}
type Detail = Obj & { state: string; connection: Connection; configs: string[] };

const base = '/api/v1/projects/ledger/envs/test/app-instances';
const image = 'localhost/berth-apps/mariadb:10.11';

/** The client with the password in its environment (never on the command line); exit code and output. */
function sql(c: Connection, user: string, password: string, statements: string) {
  const r = spawnSync(
    'mariadb',
    ['--protocol=TCP', '-h', c.host!, '-P', String(c.port), '-u', user, '--batch', '--skip-column-names'],
    { encoding: 'utf8', timeout: 20_000, input: statements, env: { ...process.env, MYSQL_PWD: password } },
  );
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}`.trim() };
}

describe('app store: MariaDB password rotation and config file', () => {
  let p: TestPlatform;
  let dev: TestApi;
  let built = false;

  before(async () => {
    p = await startPlatform();
    await makeProject(p.api, 'ledger');
    dev = await userWithRole(p, 'mia', 'developer', 'ledger');
    const cls = await p.api.put('/api/v1/volume-classes/local', { kind: 'local' });
    assert.equal(cls.status, 200, JSON.stringify(cls.body));
    built = (await p.engine.inspectImage(image).catch(() => null)) !== null;
  });
  after(async () => {
    for (const v of (await p.engine.listVolumes({ 'berth.instance': p.instanceId }).catch(() => [])) ?? [])
      await p.engine.removeVolume(v.name).catch(() => undefined);
    await p?.close();
  });

  /** Running with a published port, and the client gets in with `password`. */
  const serving = (path: string, password: string, what: string) =>
    eventually(
      async () => {
        const r = await dev.get<Detail>(path);
        if (r.body.state === 'failed') throw new Error(`instance failed: ${JSON.stringify(r.body)}`);
        const c = r.body.connection;
        if (r.body.state !== 'running' || !c.port) return null;
        return sql(c, c.user, password, 'SELECT 1').ok ? c : null;
      },
      what,
      300_000,
      1000,
    );

  it('rotates the user and root passwords in the server, keeps the data; its config file sets variables', async (t) => {
    if (!built) return t.skip(`${image} is not built: run scripts/app-images.sh mariadb`);
    const app = await dev.get<{ versions: { passwordRotation: boolean; creates: { configs: string[] } }[] }>(
      '/api/v1/apps/mariadb',
    );
    assert.equal(app.body.versions[0]!.passwordRotation, true);
    assert.deepEqual(app.body.versions[0]!.creates.configs, ['{name}-conf']);
    const made = await dev.post<Detail & { password: string }>(base, {
      app: 'mariadb',
      name: 'books',
      params: { database: 'books', user: 'clerk' },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.deepEqual(made.body.configs, ['books-conf']);
    const path = `${base}/books`;
    const first = made.body.password;
    let c = await serving(path, first, 'books serving');
    const write = sql(
      c,
      'clerk',
      first,
      'CREATE TABLE books.entries (n INT); INSERT INTO books.entries VALUES (42);',
    );
    assert.ok(write.ok, write.out);
    const revealed = await dev.get<{ connection: { password: string } }>(`${path}?reveal=true`);
    assert.equal(revealed.body.connection.password, first);

    const rot = await dev.post<{ password: string }>(`${path}/rotate-password`, {});
    assert.equal(rot.status, 200, JSON.stringify(rot.body));
    const second = rot.body.password;
    assert.notEqual(second, first);
    c = await serving(path, second, 'the new password accepted');
    assert.equal(sql(c, 'clerk', second, 'SELECT n FROM books.entries').out, '42');
    const refused = sql(c, 'clerk', first, 'SELECT 1');
    assert.equal(refused.ok, false);
    assert.match(refused.out, /Access denied/);
    // the restart with the new release's env keeps working: it is the server's own password now
    assert.equal((await dev.get<Detail>(path)).body.state, 'running');

    // a second rotation logs in as root with the root password the first one set
    const rot2 = await dev.post<{ password: string }>(`${path}/rotate-password`, {});
    assert.equal(rot2.status, 200, JSON.stringify(rot2.body));
    c = await serving(path, rot2.body.password, 'the third password accepted');
    assert.equal(sql(c, 'clerk', rot2.body.password, 'SELECT n FROM books.entries').out, '42');

    // the config file: a new version restarts the server with the variable set
    const put = await dev.put('/api/v1/projects/ledger/configs/books-conf', {
      files: { 'my.cnf': '[mariadbd]\nmax_connections = 77\n' },
      reason: 'test',
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    await eventually(
      async () => {
        const d = await dev.get<Detail>(path);
        if (d.body.state !== 'running' || !d.body.connection.port) return false;
        const r = sql(
          d.body.connection,
          'clerk',
          rot2.body.password,
          "SHOW VARIABLES LIKE 'max_connections'",
        );
        return r.ok && r.out === 'max_connections\t77';
      },
      'max_connections 77',
      300_000,
      1000,
    );

    const del = await dev.delete<Obj>(`${path}?keepVolumes=false`);
    assert.equal(del.status, 202);
    await eventually(async () => (await dev.get(path)).status === 404, 'instance gone', 180_000, 500);
    assert.equal((await dev.get('/api/v1/projects/ledger/configs/books-conf')).status, 404);
  });
});
