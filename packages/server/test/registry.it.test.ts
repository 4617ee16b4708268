import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run as runCli } from '../../cli/src/main';
import { testIo } from '../../cli/test/test-support';
import { registryPaths, localHelpers } from '../src/supervisor/helpers';
import { supervisedHelper, type HelperProcess } from '../src/supervisor/helper-process';
import { blobStats } from '../src/modules/registry/registry-gc';
import { RegistryClient } from '../src/modules/registry/registry-client';
import { embeddedBearer } from '../src/modules/registry/registries.service';
import { pushImage, startPlainRegistry, uniqueImage, type TestRegistry } from './helpers/local-registry';
import { freePort } from './helpers/net';
import { testDialects } from './helpers/db';
import {
  adminPassword,
  makeProject,
  startPlatform,
  testImage,
  TestApi,
  waitTask,
  type TestPlatform,
} from './helpers/platform';

// Tests walk JSON responses; typing each one would only restate the assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Creates a user with one project role and returns an API client logged in as them. */
async function userWith(
  api: TestApi,
  url: string,
  name: string,
  role: string,
  project: string,
): Promise<TestApi> {
  const password = `pw-${name}-secret`;
  assert.equal((await api.post('/api/v1/users', { name, password })).status, 201);
  const b = await api.post('/api/v1/bindings', {
    user: name,
    role,
    scope: { kind: 'project', name: project },
  });
  assert.equal(b.status, 201);
  return TestApi.login(url, name, password);
}

function serviceWith(image: string) {
  return { image, command: ['sleep', '3600'], replicas: 1 };
}

describe('image management on the embedded registry (real docker-registry, pushed with podman)', () => {
  let p: TestPlatform;
  let host: string;
  let helper: HelperProcess;
  let devA: TestApi;
  let viewerA: TestApi;
  let unique: Awaited<ReturnType<typeof uniqueImage>>;
  const repos = '/api/v1/registries/local/repositories';

  before(async () => {
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    p = await startPlatform({ BERTH_REGISTRY_LISTEN: host });
    localHelpers(p.server.ctx.config, p.server.app.log, { registryListen: host, tokenRealm: p.url });
    helper = supervisedHelper(p.dataDir, 'registry')!;
    await helper.start();
    unique = await uniqueImage();
    await pushImage(testImage, host, 'a/web:1');
    await pushImage(testImage, host, 'a/web:2');
    await pushImage(unique.name, host, 'a/web:old');
    await pushImage(testImage, host, 'b/api:1');
    await pushImage(testImage, host, 'tools/box:1');
    await makeProject(p.api, 'a');
    await makeProject(p.api, 'b');
    for (const [project, name, image] of [
      ['a', 'web', `${host}/a/web:1`],
      ['b', 'api', `${host}/b/api:1`],
    ] as const) {
      const r = await p.api.post(`/api/v1/projects/${project}/envs/test/services`, {
        name,
        spec: serviceWith(image),
      });
      assert.equal(r.status, 202, JSON.stringify(r.body));
    }
    devA = await userWith(p.api, p.url, 'dev-a', 'developer', 'a');
    viewerA = await userWith(p.api, p.url, 'viewer-a', 'viewer', 'a');
  });
  after(async () => {
    await helper?.stop();
    await p?.close();
    await unique?.remove();
  });

  it('lists the embedded registry without credentials', async () => {
    const r = await devA.get<Json>('/api/v1/registries');
    assert.equal(r.status, 200);
    const local = r.body.items.find((x: Json) => x.name === 'local');
    assert.equal(local.kind, 'embedded');
    assert.equal(local.url, `http://${host}`);
    assert.deepEqual(local.password, { value: null, isSet: false });
  });

  it('lists repositories: admins see all, others only their projects’', async () => {
    const all = await p.api.get<Json>(repos);
    assert.equal(all.status, 200);
    assert.deepEqual(
      all.body.items.map((x: Json) => x.name),
      ['a/web', 'b/api', 'tools/box'],
    );
    assert.deepEqual(all.body.items[2], { name: 'tools/box', project: null });
    const mine = await devA.get<Json>(repos);
    assert.deepEqual(mine.body.items, [{ name: 'a/web', project: 'a' }]);
    const paged = await p.api.get<Json>(`${repos}?limit=2`);
    assert.equal(paged.body.items.length, 2);
    const rest = await p.api.get<Json>(`${repos}?limit=2&cursor=${paged.body.nextCursor}`);
    assert.deepEqual(
      rest.body.items.map((x: Json) => x.name),
      ['tools/box'],
    );
    assert.equal(rest.body.nextCursor, null);
  });

  it('follows the registry’s Link pagination of the catalog and of tag lists', async () => {
    const client = new RegistryClient({ url: `http://${host}`, bearer: embeddedBearer(p.server.ctx.config) });
    const first = await client.catalog({ n: 1 });
    assert.deepEqual(first, { repositories: ['a/web'], next: 'a/web' });
    assert.deepEqual((await client.catalog({ n: 5, last: first.next })).repositories, ['b/api', 'tools/box']);
    assert.deepEqual((await client.tags('a/web', 1)).sort(), ['1', '2', 'old']);
  });

  it('lists tags with digest, size, created time, architecture and the services that run them', async () => {
    const r = await viewerA.get<Json>(`${repos}/a/web/tags`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const byTag = Object.fromEntries(r.body.items.map((t: Json) => [t.tag, t]));
    assert.deepEqual(Object.keys(byTag).sort(), ['1', '2', 'old']);
    assert.match(byTag['1'].digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(byTag['1'].digest, byTag['2'].digest, 'same image pushed twice: same digest');
    assert.notEqual(byTag.old.digest, byTag['1'].digest);
    assert.ok(
      byTag['1'].sizeBytes > 500_000 && byTag['1'].sizeBytes < 5_000_000,
      `busybox size ${byTag['1'].sizeBytes}`,
    );
    assert.ok(byTag.old.sizeBytes > 0 && byTag.old.sizeBytes < byTag['1'].sizeBytes);
    assert.ok(!Number.isNaN(Date.parse(byTag['1'].createdAt)));
    assert.equal(byTag['1'].architecture, 'amd64');
    assert.equal(byTag['1'].mediaType, 'application/vnd.oci.image.manifest.v1+json');
    const used = [{ project: 'a', env: 'test', service: 'web', image: `${host}/a/web:1`, running: true }];
    assert.deepEqual(byTag['1'].usedBy, used);
    assert.deepEqual(byTag['2'].usedBy, used, 'tag 2 is the same digest the service runs');
    assert.deepEqual(byTag.old.usedBy, []);
    const one = await viewerA.get<Json>(`${repos}/a%2Fweb/tags/2`);
    assert.equal(one.status, 200, 'an URL-encoded repository works too');
    assert.deepEqual(one.body.sharingTags, ['1']);
  });

  it('hides other projects’ repositories and refuses deletes to viewers', async () => {
    const other = await devA.get<Json>(`${repos}/b/api/tags`);
    assert.equal(other.status, 404);
    const nonProject = await devA.get<Json>(`${repos}/tools/box/tags`);
    assert.equal(nonProject.status, 404);
    const del = await viewerA.delete<Json>(`${repos}/a/web/tags/old`);
    assert.equal(del.status, 403);
    assert.match(del.body.error.message, /services:write/);
    const audit = await p.api.get<Json>('/api/v1/audit?action=images.tags.delete');
    assert.ok(audit.body.items.some((e: Json) => e.actor === 'viewer-a' && e.result === 'denied'));
  });

  it('answers bad input and unknown names with clear errors', async () => {
    const unknownRepo = await p.api.get<Json>(`${repos}/a/nope/tags`);
    assert.equal(unknownRepo.status, 404);
    assert.match(unknownRepo.body.error.message, /Repository 'a\/nope' does not exist in registry 'local'/);
    const unknownTag = await p.api.delete<Json>(`${repos}/a/web/tags/9`);
    assert.equal(unknownTag.status, 404);
    assert.match(unknownTag.body.error.message, /Tag '9' does not exist/);
    const badPath = await p.api.get<Json>(`${repos}/A/Web/tags`);
    assert.equal(badPath.status, 400);
    assert.match(badPath.body.error.message, /repository names are lowercase/);
    const noTag = await p.api.delete<Json>(`${repos}/a/web/tags`);
    assert.equal(noTag.status, 400);
    const unknownRegistry = await p.api.get<Json>('/api/v1/registries/nope/repositories');
    assert.equal(unknownRegistry.status, 404);
    assert.match(unknownRegistry.body.error.message, /Registry 'nope' does not exist/);
  });

  it('deletes by digest: a developer deletes an unused tag; a used one needs force and takes its sharing tags', async () => {
    const del = await devA.delete<Json>(`${repos}/a/web/tags/old`);
    assert.equal(del.status, 200, JSON.stringify(del.body));
    assert.deepEqual(del.body.deletedTags, ['old']);
    const refused = await devA.delete<Json>(`${repos}/a/web/tags/2`);
    assert.equal(refused.status, 409);
    assert.match(refused.body.error.message, /used by running service a\/test\/web/);
    assert.deepEqual(refused.body.error.details.tags, ['1', '2']);
    const tags = await devA.get<Json>(`${repos}/a/web/tags`);
    assert.deepEqual(
      tags.body.items.map((t: Json) => t.tag),
      ['1', '2'],
      'the refused delete changed nothing',
    );
    const forced = await devA.delete<Json>(`${repos}/a/web/tags/2?force=true`);
    assert.equal(forced.status, 200);
    assert.deepEqual(forced.body.deletedTags, ['1', '2']);
    assert.deepEqual((await devA.get<Json>(`${repos}/a/web/tags`)).body.items, []);
    const audit = await p.api.get<Json>('/api/v1/audit?action=images.tags.delete');
    const targets = audit.body.items.filter((e: Json) => e.result === 'success').map((e: Json) => e.target);
    assert.ok(
      targets.includes('local/a/web:2') && targets.includes('local/a/web:old'),
      JSON.stringify(targets),
    );
  });

  it('garbage-collects as a task: the registry stops, blobs are freed, and it serves again', async () => {
    const { storage } = registryPaths(p.server.ctx.config);
    const before = await blobStats(storage);
    assert.equal((await devA.post<Json>('/api/v1/registries/local/gc')).status, 403, 'platform admins only');
    const r = await p.api.post<Json>('/api/v1/registries/local/gc');
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const task = await waitTask(p.api, r.body.id as string);
    assert.equal(task.state, 'succeeded', JSON.stringify(task));
    const log = await p.api.get<Json>(`/api/v1/tasks/${r.body.id}/log`);
    const lines: string[] = (log.body.items ?? log.body).map((l: Json) => l.line);
    const freed = lines.map((l) => /^freed (\d+) blobs, (\d+) bytes/.exec(l)).find(Boolean);
    assert.ok(freed, lines.join('\n'));
    const after = await blobStats(storage);
    assert.ok(Number(freed[1]) > 0, 'the unique image’s layer, config and manifests were freed');
    assert.equal(before.blobs - after.blobs, Number(freed[1]));
    assert.equal(before.bytes - after.bytes, Number(freed[2]));
    assert.ok(helper.owned, 'the supervised registry runs again');
    const still = await p.api.get<Json>(`${repos}/b/api/tags`);
    assert.equal(still.status, 200);
    assert.equal(still.body.items[0].sizeBytes > 0, true, 'shared blobs of tagged images survived');
    await pushImage(testImage, host, 'a/web:3');
    assert.equal(
      (await p.api.get<Json>(`${repos}/a/web/tags`)).body.items.length,
      1,
      'it accepts pushes again',
    );
  });

  it('works from the CLI: registries, repositories, tags, delete and gc', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-registry-cli-'));
    const env = { BERTH_CLI_CONFIG: path.join(dir, 'config.json'), HOME: dir };
    const berth = async (args: string[], input = '') => {
      const io = testIo(env, input);
      const code = await runCli(args, io);
      return { code, out: io.stdout.text, err: io.stderr.text };
    };
    try {
      const login = await berth(
        ['login', p.url, '--username', 'admin', '--password-stdin'],
        `${adminPassword}\n`,
      );
      assert.equal(login.code, 0, login.err);
      const regs = await berth(['registries', 'list', '-o', 'json']);
      assert.equal(JSON.parse(regs.out).items[0].name, 'local');
      const list = await berth(['images', 'list']);
      assert.match(list.out, /^REPOSITORY\s+PROJECT\na\/web\s+a\nb\/api\s+b\ntools\/box\s+-\n$/);
      const tags = await berth(['images', 'tags', 'b/api']);
      assert.equal(tags.code, 0, tags.err);
      assert.match(
        tags.out,
        /^TAG\s+DIGEST\s+SIZE\s+CREATED\s+ARCH\s+USED BY\n1\s+[0-9a-f]{12}\s+1\.\dMiB\s+\S+\s+amd64\s+b\/test\/api\n$/,
      );
      const refused = await berth(['images', 'delete', 'b/api:1']);
      assert.equal(refused.code, 1);
      assert.match(refused.err, /used by running service b\/test\/api/);
      const del = await berth(['images', 'delete', 'a/web:3', '-o', 'json']);
      assert.equal(del.code, 0, del.err);
      assert.deepEqual(JSON.parse(del.out).deletedTags, ['3']);
      const bad = await berth(['images', 'delete', 'a/web']);
      assert.equal(bad.code, 1);
      assert.match(bad.err, /not REPOSITORY:TAG/);
      const badUrl = await berth(['registries', 'add', 'ext', '--url', 'ftp://x/y']);
      assert.notEqual(badUrl.code, 0);
      assert.match(badUrl.err, /url/);
      const add = await berth(
        // The embedded registry as an "external" one: it takes Berth credentials at its token server.
        ['registries', 'add', 'mirror', '--url', `http://${host}`, '-u', 'admin', '--password-stdin'],
        `${adminPassword}\n`,
      );
      assert.equal(add.code, 0, add.err);
      assert.match(add.out, /registry mirror added/);
      const test = await berth(['registries', 'test', 'mirror']);
      assert.equal(test.code, 0, test.err);
      assert.match(test.out, /answered \/v2\/ with 200 \(bearer auth\)/);
      const shown = await berth(['registries', 'list']);
      assert.match(shown.out, /mirror\s+external\s+http:\/\/127\.0\.0\.1:\d+\s+admin\s+set/);
      assert.ok(!shown.out.includes(adminPassword));
      assert.equal((await berth(['registries', 'remove', 'mirror'])).code, 0);
      const gc = await berth(['images', 'gc', '-o', 'json']);
      assert.equal(gc.code, 0, gc.err);
      assert.match(JSON.parse(gc.out).progress.message, /^freed \d+ blobs, \d+ bytes$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

for (const dialect of testDialects())
  describe(`external registries: sealed credentials, connection tests, access (${dialect})`, () => {
    let p: TestPlatform;
    let upstream: TestRegistry;
    const proxies: Array<{ url: string; close(): Promise<void> }> = [];

    before(async () => {
      // This platform has an embedded registry configured but does not supervise it.
      p = await startPlatform({ BERTH_REGISTRY_LISTEN: `127.0.0.1:${await freePort()}` }, { dialect });
      // The "external" registry: a plain one, put behind an authenticating proxy by each test.
      upstream = await startPlainRegistry(`${p.dataDir}/upstream`);
      await pushImage(testImage, upstream.host, 'shop/web:1', 'oci', null);
    });
    after(async () => {
      for (const x of proxies) await x.close();
      await upstream?.stop();
      await p?.close();
    });

    async function proxy(mode: 'basic' | 'bearer') {
      const { startAuthProxy } = await import('./helpers/registry-auth-proxy');
      const x = await startAuthProxy({
        upstream: `http://${upstream.host}`,
        mode,
        username: 'robot',
        password: 'hunter2-token',
      });
      proxies.push(x);
      return x.url;
    }

    it('stores the password sealed, never returns it, and tests the connection with basic auth', async () => {
      const url = await proxy('basic');
      const created = await p.api.post<Json>('/api/v1/registries', {
        name: 'harbor',
        url,
        username: 'robot',
        password: 'hunter2-token',
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(created.body.password, { value: null, isSet: true });
      assert.ok(!JSON.stringify(created.body).includes('hunter2'));
      const row = await p.server.ctx.db
        .withTables<{ registries: { name: string; password_sealed: string | null } }>()
        .selectFrom('registries')
        .selectAll()
        .where('name', '=', 'harbor')
        .executeTakeFirstOrThrow();
      assert.ok(!JSON.stringify(row).includes('hunter2'), 'no plaintext in the row');
      assert.match(row.password_sealed ?? '', /^enc:v1:/);
      const test = await p.api.post<Json>('/api/v1/registries/harbor/test');
      assert.equal(test.status, 200);
      assert.equal(test.body.ok, true, JSON.stringify(test.body));
      assert.equal(test.body.auth, 'basic');
      const tags = await p.api.get<Json>('/api/v1/registries/harbor/repositories/shop/web/tags');
      assert.equal(tags.status, 200, JSON.stringify(tags.body));
      assert.equal(tags.body.items[0].tag, '1');
      const { registriesOf } = await import('../src/modules/registry/registry.module');
      const creds = await registriesOf(p.server.ctx).credentialsForHost(new URL(url).host);
      assert.equal(creds?.password, 'hunter2-token', 'codeflow gets the decrypted credentials by host');

      const wrong = await p.api.call<Json>('PATCH', '/api/v1/registries/harbor', { password: 'wrong' });
      assert.equal(wrong.status, 200);
      assert.equal(wrong.body.version, 2);
      const failed = await p.api.post<Json>('/api/v1/registries/harbor/test');
      assert.equal(failed.body.ok, false);
      assert.equal(failed.body.httpStatus, 401);
      assert.match(failed.body.message, /refused the credentials/);
      const audit = await p.api.get<Json>('/api/v1/audit?action=registries.update');
      assert.ok(!JSON.stringify(audit.body).includes('"wrong"'), 'the audit log redacts the password');
    });

    it('follows the bearer-token flow', async () => {
      const url = await proxy('bearer');
      assert.equal(
        (
          await p.api.post<Json>('/api/v1/registries', {
            name: 'gitlab',
            url,
            username: 'robot',
            password: 'hunter2-token',
          })
        ).status,
        201,
      );
      const test = await p.api.post<Json>('/api/v1/registries/gitlab/test');
      assert.equal(test.body.ok, true, JSON.stringify(test.body));
      assert.equal(test.body.auth, 'bearer');
      const repos = await p.api.get<Json>('/api/v1/registries/gitlab/repositories');
      assert.deepEqual(repos.body.items, [{ name: 'shop/web', project: null }]);
    });

    it('rejects bad input and non-admins, and refuses GC it cannot do safely', async () => {
      const bad = await p.api.post<Json>('/api/v1/registries', { name: 'x', url: 'ftp://host/path' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.details.fields[0].path, 'url');
      const reserved = await p.api.post<Json>('/api/v1/registries', {
        name: 'local',
        url: 'http://127.0.0.1:1',
      });
      assert.equal(reserved.status, 400);
      const noUser = await p.api.post<Json>('/api/v1/registries', {
        name: 'y',
        url: 'http://127.0.0.1:1',
        password: 'p',
      });
      assert.equal(noUser.status, 400);
      assert.match(noUser.body.error.message, /needs a username/);
      const down = await p.api.post<Json>('/api/v1/registries', {
        name: 'down',
        url: `http://127.0.0.1:${await freePort()}`,
      });
      assert.equal(down.status, 201);
      const test = await p.api.post<Json>('/api/v1/registries/down/test');
      assert.equal(test.body.ok, false);
      assert.match(test.body.message, /cannot reach/);
      const browse = await p.api.get<Json>('/api/v1/registries/down/repositories');
      assert.equal(browse.status, 503);
      await makeProject(p.api, 'shop');
      const dev = await userWith(p.api, p.url, 'dev-shop', 'developer', 'shop');
      assert.equal(
        (await dev.post<Json>('/api/v1/registries', { name: 'z', url: 'http://127.0.0.1:1' })).status,
        403,
      );
      assert.equal((await dev.delete<Json>('/api/v1/registries/harbor')).status, 403);
      const gc = await p.api.post<Json>('/api/v1/registries/local/gc');
      assert.equal(gc.status, 422);
      assert.match(gc.body.error.message, /does not supervise the embedded registry/);
      assert.equal((await p.api.post<Json>('/api/v1/registries/harbor/gc')).status, 422);
      assert.equal((await p.api.delete<Json>('/api/v1/registries/local')).status, 409);
      assert.equal((await p.api.delete<Json>('/api/v1/registries/down')).status, 204);
      assert.ok(existsSync(p.dataDir));
    });
  });
