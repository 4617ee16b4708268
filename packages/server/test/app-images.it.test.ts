/**
 * The app store's images built from Debian packages (apps/images/README.md, scripts/app-images.sh),
 * each run with Podman on a 127.0.0.1 published port and judged with the real client: redis-cli
 * (Debian's redis-tools), the mariadb client, and ZooKeeper's four-letter words over TCP. Every
 * server process runs as uid 999, never root, and the images carry the Debian package versions.
 * `npm test` builds Redis and MariaDB (scripts/test.sh); ZooKeeper's image takes about 7 minutes
 * cold, so its tests are skipped when it was not built (`scripts/app-images.sh zookeeper`).
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from './helpers/platform';
import { appImagesBuilt } from './helpers/app-images';

// under npm test the images are built beside the first test files (helpers/app-images.ts)
await appImagesBuilt();

const run = promisify(execFile);
const images = {
  redis: 'localhost/berth-apps/redis:7',
  mariadb: 'localhost/berth-apps/mariadb:10.11',
  zookeeper: 'localhost/berth-apps/zookeeper:3.8',
};
const prefix = `berth-test-appimg-${process.pid}`;
const containers: string[] = [];
const volumes: string[] = [];
const networks: string[] = [];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-appimg-'));

const podman = async (...args: string[]): Promise<string> =>
  (await run('podman', args, { maxBuffer: 16 << 20 })).stdout.trim();
const imageExists = (image: string): boolean => spawnSync('podman', ['image', 'exists', image]).status === 0;
const skipUnlessBuilt = (image: string, name: string): string | false =>
  imageExists(image) ? false : `${image} is not built: run scripts/app-images.sh ${name}`;

/** Starts a detached container (init, port published on 127.0.0.1 with a port Podman picks); returns its host port. */
async function start(
  name: string,
  image: string,
  port: number,
  opts: { env?: Record<string, string>; mounts?: string[]; network?: string } = {},
): Promise<number> {
  const args = ['run', '-d', '--init', '--name', name, '-p', `127.0.0.1::${port}`];
  for (const [k, v] of Object.entries(opts.env ?? {})) args.push('-e', `${k}=${v}`);
  for (const m of opts.mounts ?? []) args.push('-v', m);
  if (opts.network) args.push('--network', opts.network);
  containers.push(name);
  await podman(...args, image);
  const mapping = await podman('port', name, String(port));
  return Number(mapping.split(':').pop());
}

/** The real uids of every process of a container, read from the host's /proc. */
async function processUids(name: string): Promise<number[]> {
  const out = await podman('top', name, 'hpid');
  const pids = out
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter(Boolean);
  assert.ok(pids.length >= 2, `expected the init and the server in ${name}, got ${out}`);
  return pids.map((pid) => {
    const uidLine = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Uid:'));
    return Number(uidLine?.split(/\s+/)[1]);
  });
}

async function labels(image: string): Promise<Record<string, string>> {
  return JSON.parse(await podman('image', 'inspect', '--format', '{{json .Labels}}', image)) as Record<
    string,
    string
  >;
}

/** Runs a container in the foreground; for entry scripts that must refuse to start. */
function runOnce(image: string, env: Record<string, string>): { status: number | null; stderr: string } {
  const args = ['run', '--rm', '--network', 'none'];
  for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
  const r = spawnSync('podman', [...args, image], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stderr: r.stderr };
}

/** Sends one four-letter word to ZooKeeper and returns the whole answer. */
function fourLetters(port: number, word: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.end(word));
    let out = '';
    s.on('data', (c: Buffer) => (out += c.toString()));
    s.on('close', () => resolve(out));
    s.on('error', reject);
  });
}

after(async () => {
  await Promise.all(containers.map((c) => podman('rm', '-f', '-t', '0', c).catch(() => undefined)));
  await Promise.all(volumes.map((v) => podman('volume', 'rm', '-f', v).catch(() => undefined)));
  await Promise.all(networks.map((n) => podman('network', 'rm', '-f', n).catch(() => undefined)));
  rmSync(tmp, { recursive: true, force: true });
});

describe('app image redis:7', { skip: skipUnlessBuilt(images.redis, 'redis') }, () => {
  // Quotes, blanks, a dollar and a backslash: nothing of it may be evaluated on the way.
  const password = `p"a s$w\\rd'x`;

  it('is labelled with the Debian versions of redis-server and redis-tools', async () => {
    const l = await labels(images.redis);
    assert.match(l['org.opencontainers.image.version'] ?? '', /^5:7\.\d+\.\d+-.*deb12/);
    assert.match(l['io.berth.app.packages'] ?? '', /^redis-server=5:7\.\S+ redis-tools=5:7\.\S+$/);
  });

  it('serves on a published port with the password from a mounted file, as uid 999', async () => {
    const file = path.join(tmp, 'redis-password');
    writeFileSync(file, `${password}\n`);
    chmodSync(file, 0o644);
    const port = await start(`${prefix}-redis`, images.redis, 6379, {
      env: { REDIS_PASSWORD_FILE: '/run/secrets/redis-password' },
      mounts: [`${file}:/run/secrets/redis-password:ro`],
    });
    const cli = (auth: string | null, ...args: string[]) =>
      spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
        encoding: 'utf8',
        env: auth === null ? { PATH: process.env.PATH } : { PATH: process.env.PATH, REDISCLI_AUTH: auth },
      }).stdout.trim();
    await eventually(async () => cli(password, 'ping') === 'PONG', 'redis to answer PING with the password');
    assert.match(cli(null, 'get', 'k'), /NOAUTH/);
    assert.match(cli('wrong', 'ping'), /WRONGPASS|NOAUTH/);
    assert.equal(cli(password, 'set', 'k', 'v1'), 'OK');
    assert.equal(cli(password, 'get', 'k'), 'v1');
    const uids = await processUids(`${prefix}-redis`);
    assert.deepEqual([...new Set(uids)], [999]);
  });

  it('refuses to start without a password, saying which variable to set', () => {
    const r = runOnce(images.redis, {});
    assert.equal(r.status, 1);
    assert.match(r.stderr, /set REDIS_PASSWORD or REDIS_PASSWORD_FILE/);
  });
});

describe('app image mariadb:10.11', { skip: skipUnlessBuilt(images.mariadb, 'mariadb') }, () => {
  const rootPassword = `r'o"o t\\x$`;
  const appPassword = `app'pw "2"`;
  const volume = `${prefix}-mariadb-data`;
  volumes.push(volume);
  const sql = (port: number, user: string, pw: string, query: string, db = '') =>
    spawnSync(
      'mariadb',
      ['-h', '127.0.0.1', '-P', String(port), '-u', user, '--batch', '-N', '-e', query, ...(db ? [db] : [])],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, MYSQL_PWD: pw },
      },
    );

  it('is labelled with the Debian versions of mariadb-server and mariadb-client', async () => {
    const l = await labels(images.mariadb);
    assert.match(l['org.opencontainers.image.version'] ?? '', /^1:10\.11\.\d+-/);
    assert.match(l['io.berth.app.packages'] ?? '', /mariadb-server=1:10\.11\.\S+/);
  });

  it('initialises root, a database and its user from the environment on first start, as uid 999', async () => {
    const port = await start(`${prefix}-mariadb`, images.mariadb, 3306, {
      env: {
        MARIADB_ROOT_PASSWORD: rootPassword,
        MARIADB_DATABASE: 'shop',
        MARIADB_USER: 'app',
        MARIADB_PASSWORD: appPassword,
      },
      mounts: [`${volume}:/var/lib/mysql`],
    });
    await eventually(
      async () => sql(port, 'app', appPassword, 'SELECT 1', 'shop').stdout.trim() === '1',
      'mariadb to accept the app user',
      120_000,
    );
    const app = (q: string) => sql(port, 'app', appPassword, q, 'shop');
    assert.equal(app('CREATE TABLE t (v TEXT)').status, 0);
    assert.equal(app("INSERT INTO t VALUES ('kept')").status, 0);
    assert.match(app('SELECT * FROM mysql.user').stderr, /denied/);
    assert.match(sql(port, 'root', 'wrong', 'SELECT 1').stderr, /Access denied/);
    const users = sql(
      port,
      'root',
      rootPassword,
      "SELECT CONCAT(user, '@', host) FROM mysql.user ORDER BY 1",
    );
    assert.equal(users.status, 0, users.stderr);
    // no passwordless root@127.0.0.1 or anonymous users left by mariadb-install-db
    assert.deepEqual(users.stdout.trim().split('\n'), [
      'app@%',
      'mariadb.sys@localhost',
      'root@%',
      'root@localhost',
    ]);
    assert.deepEqual([...new Set(await processUids(`${prefix}-mariadb`))], [999]);
  });

  it('keeps its data and passwords on the volume when started again with other variables', async () => {
    await podman('rm', '-f', '-t', '10', `${prefix}-mariadb`);
    const port = await start(`${prefix}-mariadb-2`, images.mariadb, 3306, {
      env: { MARIADB_ROOT_PASSWORD: 'ignored-now' },
      mounts: [`${volume}:/var/lib/mysql`],
    });
    await eventually(
      async () => sql(port, 'app', appPassword, 'SELECT v FROM t', 'shop').stdout.trim() === 'kept',
      'the row written before the restart',
      120_000,
    );
    assert.match(sql(port, 'root', 'ignored-now', 'SELECT 1').stderr, /Access denied/);
  });

  it('refuses a database name that is not a plain identifier before touching the data', () => {
    const r = runOnce(images.mariadb, { MARIADB_ROOT_PASSWORD: 'x', MARIADB_DATABASE: 'shop`; DROP' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /MARIADB_DATABASE=.* is not a name of 1-64 letters, digits or underscores/);
  });
});

describe('app image zookeeper:3.8', { skip: skipUnlessBuilt(images.zookeeper, 'zookeeper') }, () => {
  it('is labelled with the Debian versions of zookeeper and the JRE', async () => {
    const l = await labels(images.zookeeper);
    assert.match(l['org.opencontainers.image.version'] ?? '', /^3\.8\.\d+-/);
    assert.match(l['io.berth.app.packages'] ?? '', /zookeeper=3\.8\.\S+/);
    assert.match(l['io.berth.app.packages'] ?? '', /openjdk-17-jre-headless=17\./);
  });

  it('answers ruok and srvr standalone on a published port, as uid 999', async () => {
    const port = await start(`${prefix}-zk`, images.zookeeper, 2181);
    await eventually(
      async () => /Mode: standalone/.test(await fourLetters(port, 'srvr')),
      'srvr to say standalone',
      120_000,
    );
    assert.equal(await fourLetters(port, 'ruok'), 'imok');
    assert.deepEqual([...new Set(await processUids(`${prefix}-zk`))], [999]);
  });

  it('forms a three-server ensemble from ZOO_MY_ID and ZOO_SERVERS: one leader, two followers', async () => {
    const network = `${prefix}-zk-net`;
    networks.push(network);
    await podman('network', 'create', network);
    const names = [1, 2, 3].map((i) => `${prefix}-zk${i}`);
    const servers = names.map((n, i) => `server.${i + 1}=${n}:2888:3888;2181`).join(' ');
    const ports = await Promise.all(
      names.map((n, i) =>
        start(n, images.zookeeper, 2181, {
          network,
          env: { ZOO_MY_ID: String(i + 1), ZOO_SERVERS: servers, ZOO_HEAP_MB: '128' },
        }),
      ),
    );
    const modes = await eventually(
      async () => {
        const answers = await Promise.all(ports.map((p) => fourLetters(p, 'srvr').catch(() => '')));
        const m = answers.map((a) => /Mode: (\w+)/.exec(a)?.[1] ?? '?').sort();
        return m.join(',') === 'follower,follower,leader' ? m : null;
      },
      'the ensemble to elect a leader',
      180_000,
      1000,
    );
    assert.deepEqual(modes, ['follower', 'follower', 'leader']);
  });

  it('refuses a ZOO_SERVERS entry that is not of the server.<id>=host:port:port form', () => {
    const r = runOnce(images.zookeeper, { ZOO_MY_ID: '1', ZOO_SERVERS: 'server.1=zk:2888:3888 x=$(id)' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /ZOO_SERVERS entry 'x=\$\(id\)' is not server\.<id>=/);
  });
});
