/**
 * The embedded registry has doors: a real docker-registry with Berth as its token server, real
 * `podman login/push/pull` (argv only, a throwaway --authfile per user, plain http on loopback),
 * tried as a developer of another project. Also image admission and scoped registry reads.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { run as runCli } from '../../cli/src/main';
import { testIo } from '../../cli/test/test-support';
import { localHelpers } from '../src/supervisor/helpers';
import { supervisedHelper, type HelperProcess } from '../src/supervisor/helper-process';
import { pushImage } from './helpers/local-registry';
import { freePort } from './helpers/net';
import {
  adminPassword,
  makeProject,
  startPlatform,
  testImage,
  TestApi,
  waitTask,
  type TestPlatform,
} from './helpers/platform';

const run = promisify(execFile);
// Tests walk JSON responses; typing each one would only restate the assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** A podman CLI with its own empty auth file (never root's). */
class Podman {
  readonly file: string;
  constructor(dir: string, name: string) {
    this.file = path.join(dir, `${name}-auth.json`);
    writeFileSync(this.file, '{"auths":{}}');
  }
  async run(args: string[]): Promise<{ ok: boolean; out: string }> {
    try {
      const r = await run('podman', [...args], { timeout: 90_000 });
      return { ok: true, out: `${r.stdout}${r.stderr}` };
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}` };
    }
  }
  login(host: string, user: string, password: string) {
    return this.run([
      'login',
      '--tls-verify=false',
      '--authfile',
      this.file,
      '-u',
      user,
      '-p',
      password,
      host,
    ]);
  }
  push(source: string, dest: string) {
    return this.run([
      'push',
      '--quiet',
      '--tls-verify=false',
      '--authfile',
      this.file,
      source,
      `docker://${dest}`,
    ]);
  }
  pull(ref: string) {
    return this.run(['pull', '--quiet', '--tls-verify=false', '--authfile', this.file, ref]);
  }
}

function decodeJwt(token: string): Json {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h!, 'base64url').toString()),
    claims: JSON.parse(Buffer.from(p!, 'base64url').toString()),
  };
}

async function tokenFor(url: string, host: string, creds: string | null, scopes: string[]) {
  const q = new URLSearchParams({ service: host });
  for (const s of scopes) q.append('scope', s);
  const res = await fetch(`${url}/api/v1/registry/token?${q.toString()}`, {
    headers: creds ? { authorization: `Basic ${Buffer.from(creds).toString('base64')}` } : {},
  });
  return { status: res.status, body: (await res.json()) as Json };
}

describe(
  'registry authentication: Berth is the token server of the embedded registry',
  { timeout: 600_000 },
  () => {
    let p: TestPlatform;
    let host: string;
    let helper: HelperProcess;
    let dir: string;
    let devA: TestApi;
    let devB: TestApi;
    const pwA = 'pw-dev-a-registry';
    const pwB = 'pw-dev-b-registry';
    const pulled: string[] = [];

    async function user(name: string, password: string, project: string): Promise<TestApi> {
      assert.equal((await p.api.post('/api/v1/users', { name, password })).status, 201);
      const b = await p.api.post('/api/v1/bindings', {
        user: name,
        role: 'developer',
        scope: { kind: 'project', name: project },
      });
      assert.equal(b.status, 201);
      return TestApi.login(p.url, name, password);
    }

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'berth-registry-auth-'));
      host = `127.0.0.1:${await freePort()}`;
      p = await startPlatform({ BERTH_REGISTRY_LISTEN: host });
      localHelpers(p.server.ctx.config, p.server.app.log, { registryListen: host, tokenRealm: p.url });
      helper = supervisedHelper(p.dataDir, 'registry')!;
      await helper.start();
      await makeProject(p.api, 'a');
      await makeProject(p.api, 'b');
      devA = await user('dev-a', pwA, 'a');
      devB = await user('dev-b', pwB, 'b');
      await pushImage(testImage, host, 'b/api:1');
      await pushImage(testImage, host, 'tools/box:1');
    });
    after(async () => {
      for (const ref of pulled) await run('podman', ['rmi', '--force', ref]).catch(() => undefined);
      await helper?.stop();
      await p?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('refuses anonymous pull, push and catalog', async () => {
      const catalog = await fetch(`http://${host}/v2/_catalog`);
      assert.equal(catalog.status, 401);
      assert.match(
        catalog.headers.get('www-authenticate') ?? '',
        /^Bearer realm=".*\/api\/v1\/registry\/token",service="/,
      );
      const anon = new Podman(dir, 'anon');
      const pull = await anon.pull(`${host}/b/api:1`);
      assert.equal(pull.ok, false, pull.out);
      const push = await anon.push(testImage, `${host}/b/api:evil`);
      assert.equal(push.ok, false, push.out);
      // The token endpoint answers anonymous callers with a token that grants nothing.
      const t = await tokenFor(p.url, host, null, ['repository:b/api:pull,push', 'registry:catalog:*']);
      assert.equal(t.status, 200);
      assert.deepEqual(decodeJwt(t.body.token).claims.access, []);
      const withIt = await fetch(`http://${host}/v2/_catalog`, {
        headers: { authorization: `Bearer ${t.body.token}` },
      });
      assert.equal(withIt.status, 401);
    });

    it('lets a developer push and pull their project’s repositories with a password', async () => {
      const podman = new Podman(dir, 'dev-a');
      const login = await podman.login(host, 'dev-a', pwA);
      assert.equal(login.ok, true, login.out);
      const push = await podman.push(testImage, `${host}/a/web:1`);
      assert.equal(push.ok, true, push.out);
      pulled.push(`${host}/a/web:1`);
      const pull = await podman.pull(`${host}/a/web:1`);
      assert.equal(pull.ok, true, pull.out);
    });

    it('lets a developer push and pull with an API token as the password (any username)', async () => {
      const podman = new Podman(dir, 'dev-a-token');
      const login = await podman.login(host, 'whoever', devA.token!);
      assert.equal(login.ok, true, login.out);
      const push = await podman.push(testImage, `${host}/a/web:tok`);
      assert.equal(push.ok, true, push.out);
      pulled.push(`${host}/a/web:tok`);
      assert.equal((await podman.pull(`${host}/a/web:tok`)).ok, true);
    });

    it('refuses a developer push and pull on another project’s repositories, and the catalog', async () => {
      const podman = new Podman(dir, 'dev-a-attack');
      assert.equal((await podman.login(host, 'dev-a', pwA)).ok, true);
      const push = await podman.push(testImage, `${host}/b/api:evil`);
      assert.equal(push.ok, false, push.out);
      const pull = await podman.pull(`${host}/b/api:1`);
      assert.equal(pull.ok, false, pull.out);
      const t = await tokenFor(p.url, host, `dev-a:${pwA}`, ['registry:catalog:*']);
      assert.deepEqual(decodeJwt(t.body.token).claims.access, []);
      const catalog = await fetch(`http://${host}/v2/_catalog`, {
        headers: { authorization: `Bearer ${t.body.token}` },
      });
      assert.equal(catalog.status, 401);
      const tags = await fetch(`http://${host}/v2/b/api/tags/list`, {
        headers: { authorization: `Bearer ${t.body.token}` },
      });
      assert.equal(tags.status, 401);
      // b/api still holds only what the admin pushed.
      const admin = await tokenFor(p.url, host, `admin:${adminPassword}`, ['repository:b/api:pull']);
      const list = (await (
        await fetch(`http://${host}/v2/b/api/tags/list`, {
          headers: { authorization: `Bearer ${admin.body.token}` },
        })
      ).json()) as Json;
      assert.deepEqual(list.tags, ['1']);
    });

    it('never grants beyond the caller’s projects (decoded JWTs)', async () => {
      const t = await tokenFor(p.url, host, `dev-a:${pwA}`, [
        'repository:a/web:pull,push',
        'repository:b/api:pull,push,delete',
        'repository:a/web:delete',
        'repository:tools/box:pull',
        'registry:catalog:*',
      ]);
      assert.equal(t.status, 200);
      const { header, claims } = decodeJwt(t.body.token);
      assert.equal(header.alg, 'ES256');
      assert.equal(header.x5c.length, 1);
      assert.equal(claims.iss, 'berth');
      assert.equal(claims.sub, 'dev-a');
      assert.equal(claims.aud, host);
      assert.ok(claims.exp - claims.iat <= 300 && claims.exp > Date.now() / 1000);
      assert.deepEqual(claims.access, [{ type: 'repository', name: 'a/web', actions: ['pull', 'push'] }]);
      const viaToken = await tokenFor(p.url, host, `x:${devB.token}`, [
        'repository:b/api:pull,push',
        'repository:a/web:pull',
      ]);
      assert.deepEqual(decodeJwt(viaToken.body.token).claims.access, [
        { type: 'repository', name: 'b/api', actions: ['pull', 'push'] },
      ]);
    });

    it('answers wrong credentials with 401, audited, and rate-limits them like the login', async () => {
      const bad = await tokenFor(p.url, host, 'dev-a:not-the-password', ['repository:a/web:pull']);
      assert.equal(bad.status, 401);
      assert.equal(bad.body.error.code, 'INVALID_CREDENTIALS');
      const audit = await p.api.get<Json>('/api/v1/audit?action=registry.token');
      assert.ok(
        audit.body.items.some(
          (e: Json) => e.actor === 'dev-a' && e.result === 'denied' && e.statusCode === 401,
        ),
        JSON.stringify(audit.body.items),
      );
      const podman = new Podman(dir, 'wrong');
      assert.equal((await podman.login(host, 'dev-a', 'wrong')).ok, false);
      let limited = 0;
      for (let i = 0; i < 8; i += 1) {
        const r = await tokenFor(p.url, host, `dev-b:guess-${i}`, []);
        if (r.status === 429) limited += 1;
      }
      assert.ok(limited > 0, 'guessing is rate-limited');
    });

    it('lets every logged-in user pull a repository an admin marked public, and the admin the catalog', async () => {
      const podman = new Podman(dir, 'dev-b');
      // dev-b was rate-limited above by the guesses from this address; an API token uses its own budget.
      assert.equal((await podman.login(host, 'dev-b', devB.token!)).ok, true);
      const before = await podman.pull(`${host}/tools/box:1`);
      assert.equal(before.ok, false, 'not public yet');
      const mark = await p.api.post<Json>('/api/v1/registries/local/public-repositories', {
        repository: 'tools/box',
      });
      assert.equal(mark.status, 201, JSON.stringify(mark.body));
      const refused = await devB.post<Json>('/api/v1/registries/local/public-repositories', {
        repository: 'a/web',
      });
      assert.equal(refused.status, 403);
      pulled.push(`${host}/tools/box:1`);
      const after = await podman.pull(`${host}/tools/box:1`);
      assert.equal(after.ok, true, after.out);
      assert.equal((await podman.push(testImage, `${host}/tools/box:evil`)).ok, false, 'public is pull only');
      const admin = await tokenFor(p.url, host, `admin:${adminPassword}`, ['registry:catalog:*']);
      const catalog = (await (
        await fetch(`http://${host}/v2/_catalog`, {
          headers: { authorization: `Bearer ${admin.body.token}` },
        })
      ).json()) as Json;
      assert.deepEqual(catalog.repositories, ['a/web', 'b/api', 'tools/box']);
      // Repository listing through the API: b's own and the public one, not a's.
      const repos = await devB.get<Json>('/api/v1/registries/local/repositories');
      assert.deepEqual(
        repos.body.items.map((r: Json) => r.name),
        ['b/api', 'tools/box'],
      );
    });

    it('refuses another project’s image at admission (403 at spec.image, audited, nothing created)', async () => {
      const r = await devB.post<Json>('/api/v1/projects/b/envs/test/services', {
        name: 'stolen',
        spec: { image: `${host}/a/web:1`, command: ['sleep', '3600'], replicas: 1 },
      });
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'IMAGE_NOT_ALLOWED');
      assert.equal(r.body.error.details.fields[0].path, 'spec.image');
      assert.match(r.body.error.message, new RegExp(`${host}/b/`));
      assert.equal((await devB.get('/api/v1/projects/b/envs/test/services/stolen')).status, 404);
      const audit = await p.api.get<Json>('/api/v1/audit?actor=dev-b&action=services.create');
      assert.ok(audit.body.items.some((e: Json) => e.result === 'denied' && e.statusCode === 403));
      // Codeflow's pre-processing layers are never usable, not even by admins.
      const pre = await p.api.post<Json>('/api/v1/projects/b/envs/test/services', {
        name: 'pre',
        spec: { image: 'localhost/berth-pre/b-web:1', command: ['sleep', '3600'], replicas: 1 },
      });
      assert.equal(pre.status, 403);
      // Its own repository, a public one and the seeded local sample image are fine.
      for (const [name, image] of [
        ['own', `${host}/b/api:1`],
        ['public', `${host}/tools/box:1`],
        ['sample', testImage],
      ]) {
        const ok = await devB.post<Json>('/api/v1/projects/b/envs/test/services', {
          name,
          spec: { image, command: ['sleep', '3600'], replicas: 1 },
        });
        assert.equal(ok.status, 202, `${name}: ${JSON.stringify(ok.body)}`);
        // The controller pulls images of the embedded registry with a short-lived credential.
        const task = await waitTask(p.api, ok.body.task.id as string);
        assert.equal(task.state, 'succeeded', `${name}: ${JSON.stringify(task)}`);
      }
    });

    it('allows images of a registry assigned to the team; reads show non-admins only their registries', async () => {
      for (const name of ['ext', 'other'])
        assert.equal(
          (
            await p.api.post('/api/v1/registries', {
              name,
              url: `http://registry-${name}.example.test:5000`,
              username: 'robot',
              password: 'secret',
            })
          ).status,
          201,
        );
      const spec = {
        image: 'registry-ext.example.test:5000/tools/app:1',
        command: ['sleep', '3600'],
        replicas: 0,
      };
      const refused = await devB.post<Json>('/api/v1/projects/b/envs/test/services', { name: 'ext', spec });
      assert.equal(refused.status, 403);
      assert.match(refused.body.error.message, /assign registry 'ext' to your team/);
      const assign = await p.api.call<Json>('PATCH', '/api/v1/registries/ext', {
        assignedTo: [{ kind: 'team', name: 'team-b' }],
      });
      assert.equal(assign.status, 200, JSON.stringify(assign.body));
      assert.deepEqual(assign.body.assignedTo, [{ kind: 'team', name: 'team-b' }]);
      const byDev = await devB.call<Json>('PATCH', '/api/v1/registries/ext', { assignedTo: [] });
      assert.equal(byDev.status, 403);
      const ok = await devB.post<Json>('/api/v1/projects/b/envs/test/services', { name: 'ext', spec });
      assert.equal(ok.status, 202, JSON.stringify(ok.body));
      const forA = await devA.post<Json>('/api/v1/projects/a/envs/test/services', { name: 'ext', spec });
      assert.equal(forA.status, 403, 'assigned to team-b only');

      const seenB = await devB.get<Json>('/api/v1/registries');
      assert.deepEqual(
        seenB.body.items.map((r: Json) => r.name),
        ['ext', 'local'],
      );
      assert.equal(seenB.body.items[0].username, null, 'no usernames for non-admins');
      const seenA = await devA.get<Json>('/api/v1/registries');
      assert.deepEqual(
        seenA.body.items.map((r: Json) => r.name),
        ['local'],
      );
      assert.equal((await devA.get('/api/v1/registries/other')).status, 404);
      const admin = await p.api.get<Json>('/api/v1/registries');
      assert.deepEqual(
        admin.body.items.map((r: Json) => r.name),
        ['ext', 'local', 'other'],
      );
      assert.equal(admin.body.items[2].username, 'robot');
    });

    it('works from the CLI: registries assign, images public list|add|remove', async () => {
      const env = { BERTH_CLI_CONFIG: path.join(dir, 'cli.json'), HOME: dir };
      const berth = async (args: string[], input = '') => {
        const io = testIo(env, input);
        const code = await runCli(args, io);
        return { code, out: io.stdout.text, err: io.stderr.text };
      };
      const login = await berth(
        ['login', p.url, '--username', 'admin', '--password-stdin'],
        `${adminPassword}\n`,
      );
      assert.equal(login.code, 0, login.err);
      const assign = await berth(['registries', 'assign', 'other', '--project', 'a']);
      assert.equal(assign.code, 0, assign.err);
      assert.match(assign.out, /registry other is assigned to: project a/);
      const both = await berth(['registries', 'assign', 'other', '--team', 'a']);
      assert.equal(both.code, 1, 'team-a is not a team; the API names the field');
      assert.match(both.err, /team 'a' does not exist/);
      const unassign = await berth(['registries', 'assign', 'other', '--project', 'a', '--remove']);
      assert.equal(unassign.code, 0, unassign.err);
      assert.match(unassign.out, /assigned to: nobody/);
      const local = await berth(['images', 'public', 'list', '--registry', 'local-store']);
      assert.match(local.out, /^REPOSITORY\nberth-busybox\nberth-node\n$/);
      const add = await berth(['images', 'public', 'add', 'a/web']);
      assert.equal(add.code, 0, add.err);
      assert.match((await berth(['images', 'public', 'list'])).out, /a\/web\ntools\/box/);
      const remove = await berth(['images', 'public', 'remove', 'a/web']);
      assert.equal(remove.code, 0, remove.err);
      const pre = await berth(['images', 'public', 'add', 'localhost/berth-pre/x']);
      assert.equal(pre.code, 1);
      assert.match(pre.err, /never be public/);
    });
  },
);
