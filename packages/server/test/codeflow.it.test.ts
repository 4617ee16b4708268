/**
 * Codeflow end to end on real parts: a local bare git repository of a tiny Node.js web app,
 * a real docker-registry on a free loopback port, real Podman builds, and the real platform
 * rolling the service. Webhooks in GitLab and GitHub format; isolation of the build script;
 * shell metacharacters; cancel and time-out.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Build, Pipeline } from '@berth/shared';
import { run as berthCli } from '../../cli/src/main';
import { testIo } from '../../cli/test/test-support';
import { TestRepo } from './helpers/codeflow-fixtures';
import { berthToken, startAuthRegistry, type TestRegistry } from './helpers/local-registry';
import { freePort } from './helpers/net';
import {
  eventually,
  makeProject,
  podmanSocket,
  startPlatform,
  TestApi,
  testImage,
  waitTask,
  webSpec,
  type TestPlatform,
} from './helpers/platform';

const run = promisify(execFile);
type Obj = Record<string, unknown>;

/** Run as root in a custom Dockerfile's RUN step: what that root may do, written into the image. */
const confinementProbe = [
  'const fs = require("fs");',
  'const status = fs.readFileSync("/proc/self/status", "utf8");',
  'const lines = status.split(String.fromCharCode(10));',
  'const field = (k) => (lines.find((l) => l.startsWith(k + ":")) || ":").split(":")[1].trim();',
  'let chown = "allowed"; try { fs.writeFileSync("/tmp/c", ""); fs.chownSync("/tmp/c", 5, 5); } catch { chown = "denied"; }',
  'fs.writeFileSync("/tmp/confined.json", JSON.stringify({ uid: process.getuid(), capEff: field("CapEff"),',
  '  capBnd: field("CapBnd"), noNewPrivs: field("NoNewPrivs"), uidMap: fs.readFileSync("/proc/self/uid_map", "utf8"), chown }));',
].join(' ');

describe('codeflow: git → build → registry → rolling release', () => {
  let p: TestPlatform;
  let dir: string;
  let repo: TestRepo;
  let registry: TestRegistry;
  let base: string;
  let secret: string;
  let pipeline: Pipeline;
  const canary = path.join(tmpdir(), `berth-canary-${randomBytes(4).toString('hex')}`);
  const pipelines = '/api/v1/projects/cf/pipelines';

  const buildScript = (dataDir: string) =>
    [
      'echo "build uid=$(id -u)"',
      'grep -E "^(CapEff|NoNewPrivs)" /proc/self/status',
      `ls ${dataDir} >/dev/null 2>&1 && echo DATA_DIR_VISIBLE || echo DATA_DIR_HIDDEN`,
      `test -e ${podmanSocket} && echo PODMAN_SOCKET_VISIBLE || echo PODMAN_SOCKET_HIDDEN`,
      `touch ${canary}-script`,
      'mkdir -p dist && cp server.js package.json dist/',
    ].join('\n');

  async function waitBuild(id: string, timeoutMs = 180_000): Promise<Build> {
    return eventually(
      async () => {
        const b = await p.api.get<Build>(`/api/v1/projects/cf/builds/${id}`);
        return ['succeeded', 'failed', 'cancelled', 'timed-out'].includes(b.body.state) ? b.body : null;
      },
      `build ${id}`,
      timeoutMs,
      300,
    );
  }
  async function logOf(build: Build): Promise<string> {
    const r = await p.api.get<{ items: { line: string }[] } | { line: string }[]>(
      `/api/v1/tasks/${build.taskId}/log`,
    );
    const items = Array.isArray(r.body) ? r.body : r.body.items;
    return items.map((l) => l.line).join('\n');
  }
  /** Creates pipeline `name` of main, targeting web, and runs one build of it to its end. */
  async function pipelineBuild(name: string, extra: Record<string, unknown>): Promise<Build> {
    const r = await p.api.post<Pipeline>(pipelines, {
      name,
      target: { env: 'test', service: 'web' },
      repo: { url: repo.bare, ref: 'main' },
      ...extra,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const b = await p.api.post<{ build: Build }>(`${pipelines}/${name}/builds`, {});
    return waitBuild(b.body.build.id);
  }
  async function served(): Promise<string[]> {
    const eps = await p.api.get<{ items: { address: string }[] }>(`${base}/web/endpoints`);
    return Promise.all(eps.body.items.map(async (e) => (await fetch(`http://${e.address}/`)).text()));
  }
  function gitlabPush(sha: string, branch = 'main') {
    return {
      object_kind: 'push',
      ref: `refs/heads/${branch}`,
      before: '0'.repeat(40),
      after: sha,
      checkout_sha: sha,
      user_username: 'dev',
      commits: [{ id: sha }],
    };
  }
  function hook(provider: string, body: string, headers: Record<string, string>) {
    return fetch(`${p.url}/api/v1/hooks/pipelines/${pipeline.id}/${provider}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body,
    });
  }

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'berth-codeflow-'));
    // The embedded registry with Berth as its token server: builds push with short-lived tokens.
    p = await startPlatform({ BERTH_REGISTRY_LISTEN: `127.0.0.1:${await freePort()}` });
    registry = await startAuthRegistry(p, path.join(dir, 'registry-root'));
    base = await makeProject(p.api, 'cf');
    repo = new TestRepo(dir);
    await repo.init();
    await repo.commitApp('v1');
    const svc = await p.api.post<{ task: Obj }>(base, {
      name: 'web',
      spec: webSpec('v0', 1, { readiness: { type: 'http', path: '/', periodSeconds: 1 } }),
    });
    assert.equal(svc.status, 202, JSON.stringify(svc.body));
    assert.equal((await waitTask(p.api, svc.body.task.id as string)).state, 'succeeded');
  });
  after(async () => {
    await p?.close();
    await registry?.stop();
    for (const ref of [`${registry?.host}/cf/web`, 'localhost/berth-pre/cf-']) {
      const { stdout } = await run('podman', [
        '--url',
        `unix://${podmanSocket}`,
        'images',
        '--format',
        '{{.Repository}}:{{.Tag}}',
      ]);
      const mine = stdout.split('\n').filter((l) => l.startsWith(ref));
      if (mine.length)
        await run('podman', ['--url', `unix://${podmanSocket}`, 'rmi', '-f', ...mine]).catch(() => undefined);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
    for (const f of [canary, `${canary}-script`, `${canary}-url`]) rmSync(f, { force: true });
  });

  it('rejects bad input with the field named and changes nothing', async () => {
    const bad = await p.api.post<{ error: { details: { fields: { path: string }[] } } }>(pipelines, {
      name: 'bad',
      target: { env: 'test', service: 'web' },
      repo: { url: '--upload-pack=touch /tmp/x', ref: 'main' },
      template: 'node',
    });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.error.details.fields.some((f) => f.path === 'repo.url'));
    const list = await p.api.get<{ items: unknown[] }>(pipelines);
    assert.equal(list.body.items.length, 0);
  });

  it('creates a pipeline and shows its generated Dockerfiles', async () => {
    const r = await p.api.post<Pipeline>(pipelines, {
      name: 'web',
      target: { env: 'test', service: 'web' },
      repo: { url: repo.bare, ref: 'main' },
      template: 'node',
      preScript: 'echo "pre-processing as $(id -u)"',
      buildScript: buildScript(p.dataDir),
      artifactPath: 'dist',
      startCommand: 'exec node server.js',
      port: 8080,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    pipeline = r.body;
    assert.equal(pipeline.webhook.secretIsSet, false);
    const files = await p.api.get<{ dockerfile: string; preDockerfile: string }>(
      `${pipelines}/web/dockerfile`,
    );
    assert.match(files.body.preDockerfile, /RUN \["\/bin\/sh", "\/berth\/pre.sh"\]/);
    assert.match(files.body.dockerfile, /USER 1000/);
    assert.match(files.body.dockerfile, /CMD \["\/bin\/sh","-c","exec node server.js"\]/);
    const s = await p.api.post<{ secret: string }>(`${pipelines}/web/webhook-secret`);
    assert.equal(s.status, 200);
    secret = s.body.secret;
    assert.equal((await p.api.get<Pipeline>(`${pipelines}/web`)).body.webhook.secretIsSet, true);
  });

  it('a GitLab push webhook builds as non-root, pushes, and rolls the service to the new body', async () => {
    const sha = await repo.commitApp('v2');
    const res = await hook('gitlab', JSON.stringify(gitlabPush(sha)), {
      'X-Gitlab-Token': secret,
      'X-Gitlab-Event': 'Push Hook',
      'X-Gitlab-Event-UUID': randomBytes(8).toString('hex'),
    });
    assert.equal(res.status, 202);
    const result = (await res.json()) as { outcome: string; build: { id: string } };
    assert.equal(result.outcome, 'build');
    const build = await waitBuild(result.build.id);
    const log = await logOf(build);
    assert.equal(build.state, 'succeeded', `${build.error}\n${log}`);
    assert.equal(build.commit?.sha, sha);
    assert.equal(build.commit?.message, 'serve v2');
    assert.equal(build.trigger.kind, 'webhook');
    assert.match(build.image ?? '', new RegExp(`^${registry.host}/cf/web:1-${sha.slice(0, 7)}$`));
    assert.match(build.imageDigest ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(
      build.steps.map((s) => [s.name, s.state]),
      ['fetch', 'pre', 'build', 'image', 'push', 'deploy'].map((n) => [n, 'succeeded']),
    );
    assert.ok(build.steps.every((s) => typeof s.durationMs === 'number'));
    assert.match(log, /build uid=1000/);
    assert.match(log, /CapEff:\s+0000000000000000/);
    assert.match(log, /NoNewPrivs:\s+1/);
    assert.match(log, /DATA_DIR_HIDDEN/);
    assert.match(log, /PODMAN_SOCKET_HIDDEN/);
    assert.match(log, /pre-processing as 1000/);
    assert.equal(existsSync(`${canary}-script`), false, 'the script ran on the host');
    await eventually(async () => {
      const bodies = await served();
      return bodies.length === 1 && bodies[0] === 'v2';
    }, 'the service serving v2');
    assert.equal(
      (await fetch(`http://${registry.host}/v2/cf/web/tags/list`)).status,
      401,
      'no anonymous reads',
    );
    const bearer = { authorization: `Bearer ${berthToken(p, 'repository:cf/web:pull')}` };
    const tags = (await (
      await fetch(`http://${registry.host}/v2/cf/web/tags/list`, { headers: bearer })
    ).json()) as {
      tags: string[];
    };
    assert.deepEqual(tags.tags, [`1-${sha.slice(0, 7)}`]);
  });

  it('a GitHub-signed push builds again, reusing the pre-processing layer; replays are ignored', async () => {
    const sha = await repo.commitApp('v3');
    const body = JSON.stringify({ ref: 'refs/heads/main', after: sha, pusher: { name: 'dev' } });
    const sig = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const delivery = randomBytes(8).toString('hex');
    const headers = { 'X-Hub-Signature-256': sig, 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': delivery };
    const res = await hook('github', body, headers);
    assert.equal(res.status, 202);
    const { build: queued } = (await res.json()) as { build: { id: string } };
    const replay = await hook('github', body, headers);
    assert.equal(replay.status, 200);
    assert.equal(((await replay.json()) as { outcome: string }).outcome, 'duplicate');
    const build = await waitBuild(queued.id);
    const log = await logOf(build);
    assert.equal(build.state, 'succeeded', `${build.error}\n${log}`);
    assert.match(log, /pre-processing layer unchanged: reusing localhost\/berth-pre\/cf-web:/);
    assert.equal(build.steps.find((s) => s.name === 'pre')?.cached, true);
    assert.match(log, /mirror updated with git fetch/);
    await eventually(async () => (await served()).join() === 'v3', 'the service serving v3');
  });

  it('a wrong signature is 401 and audited as a denied webhook; other events are ignored', async () => {
    const body = JSON.stringify({ ref: 'refs/heads/main', after: 'a'.repeat(40) });
    const res = await hook('github', body, {
      'X-Hub-Signature-256': `sha256=${'0'.repeat(64)}`,
      'X-GitHub-Event': 'push',
      'X-GitHub-Delivery': randomBytes(8).toString('hex'),
    });
    assert.equal(res.status, 401);
    const audit = await p.api.get<{ items: Obj[] }>('/api/v1/audit?actor=webhook&result=denied');
    assert.ok(
      audit.body.items.some((e) => e.action === 'pipelines.webhook' && e.statusCode === 401),
      JSON.stringify(audit.body),
    );
    const gl = await hook('gitlab', '{}', { 'X-Gitlab-Token': 'wrong', 'X-Gitlab-Event': 'Push Hook' });
    assert.equal(gl.status, 401);
    const issue = await hook('gitlab', JSON.stringify({ object_kind: 'issue' }), {
      'X-Gitlab-Token': secret,
      'X-Gitlab-Event': 'Issue Hook',
      'X-Gitlab-Event-UUID': randomBytes(8).toString('hex'),
    });
    assert.equal(issue.status, 202);
    assert.equal(((await issue.json()) as { outcome: string }).outcome, 'ignored');
    const other = await hook('gitlab', JSON.stringify(gitlabPush('b'.repeat(40), 'feature')), {
      'X-Gitlab-Token': secret,
      'X-Gitlab-Event': 'Push Hook',
      'X-Gitlab-Event-UUID': randomBytes(8).toString('hex'),
    });
    assert.equal(((await other.json()) as { outcome: string }).outcome, 'ignored');
  });

  it('shell metacharacters in branch names and repo URLs execute nothing on the host', async () => {
    const branch = `x$(touch\${IFS}${canary})\`touch\${IFS}${canary}\`;touch\${IFS}${canary}`;
    await repo.commitApp('v4', branch);
    const r = await p.api.post<{ build: Build }>(`${pipelines}/web/builds`, { ref: branch });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const build = await waitBuild(r.body.build.id);
    assert.equal(build.state, 'succeeded', `${build.error}\n${await logOf(build)}`);
    assert.equal(build.ref, branch);
    const bad = await p.api.post<Pipeline>(pipelines, {
      name: 'badurl',
      target: { env: 'test', service: 'web' },
      repo: { url: `${repo.bare};touch\${IFS}${canary}-url`, ref: 'main' },
      template: 'shell',
    });
    assert.equal(bad.status, 201, JSON.stringify(bad.body));
    const b2 = await p.api.post<{ build: Build }>(`${pipelines}/badurl/builds`, {});
    const failed = await waitBuild(b2.body.build.id);
    assert.equal(failed.state, 'failed');
    assert.equal(failed.steps[0]?.state, 'failed');
    assert.equal(existsSync(canary), false, 'the branch name ran on the host');
    assert.equal(existsSync(`${canary}-url`), false, 'the repo URL ran on the host');
  });

  it('file:// and absolute-path repository URLs are for platform admins only (403, audited)', async () => {
    const password = `pw-${randomBytes(6).toString('hex')}`;
    assert.equal((await p.api.post('/api/v1/users', { name: 'cf-dev', password })).status, 201);
    const grant = await p.api.post('/api/v1/bindings', {
      user: 'cf-dev',
      role: 'developer',
      scope: { kind: 'project', name: 'cf' },
    });
    assert.equal(grant.status, 201, JSON.stringify(grant.body));
    const dev = await TestApi.login(p.url, 'cf-dev', password);
    for (const url of [repo.bare, `file://${repo.bare}`, 'file:///var/lib/berth/codeflow/mirrors/x']) {
      const r = await dev.post<{ error: { message: string; details: { fields: { path: string }[] } } }>(
        pipelines,
        {
          name: 'local',
          target: { env: 'test', service: 'web' },
          repo: { url, ref: 'main' },
          template: 'shell',
        },
      );
      assert.equal(r.status, 403, `${url}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.error.message, /platform admins/);
      assert.deepEqual(
        r.body.error.details.fields.map((f) => f.path),
        ['repo.url'],
      );
    }
    assert.equal((await p.api.get(`${pipelines}/local`)).status, 404, 'nothing was created');
    const audit = await p.api.get<{ items: { actor: string; result: string }[] }>(
      '/api/v1/audit?action=pipelines.create&actor=cf-dev',
    );
    assert.equal(audit.body.items.filter((e) => e.result === 'denied').length, 3);
    // An admin's local URL stays: a developer may update the pipeline without changing it.
    const own = await p.api.post<Pipeline>(pipelines, {
      name: 'local',
      target: { env: 'test', service: 'web' },
      repo: { url: repo.bare, ref: 'main' },
      template: 'shell',
    });
    assert.equal(own.status, 201);
    const kept = await dev.put<Pipeline>(`${pipelines}/local`, {
      target: { env: 'test', service: 'web' },
      repo: { url: repo.bare, ref: 'main' },
      template: 'shell',
      buildScript: 'echo kept',
      version: own.body.version,
    });
    assert.equal(kept.status, 200, JSON.stringify(kept.body));
    assert.equal((await p.api.delete(`${pipelines}/local`)).status, 204);
  });

  it('builds a static site and a custom Dockerfile, and serves each', async () => {
    const make = async (name: string, extra: Record<string, unknown>) => {
      const build = await pipelineBuild(name, extra);
      assert.equal(build.state, 'succeeded', `${build.error}\n${await logOf(build)}`);
      return build;
    };
    const site = await make('site', {
      template: 'static',
      buildScript: 'mkdir -p site && echo static-ok > site/index.html',
      artifactPath: 'site',
    });
    assert.equal(site.steps.find((s) => s.name === 'pre')?.state, 'succeeded');
    await eventually(async () => (await served()).join() === 'static-ok\n', 'the static site served');
    const custom = await make('custom', {
      template: 'dockerfile',
      dockerfile: [
        'FROM localhost/berth-node:20',
        'USER 0',
        // Root in a RUN step, as the build sees it, written into the image (read back below).
        `RUN ["node", "-e", ${JSON.stringify(confinementProbe)}]`,
        'COPY server.js /app/server.js',
        'ENV PORT=8080',
        'USER 1000',
        'CMD ["node", "/app/server.js"]',
        '',
      ].join('\n'),
    });
    const { stdout } = await promisify(execFile)('podman', [
      'run',
      '--rm',
      '--cap-drop=all',
      custom.image!,
      'node',
      '-e',
      'process.stdout.write(require("fs").readFileSync("/tmp/confined.json", "utf8"))',
    ]);
    const probe = JSON.parse(stdout) as Record<string, string | number>;
    assert.equal(probe.uid, 0, 'root inside the RUN step');
    assert.match(String(probe.capEff), /^0+$/, 'no effective capability');
    assert.match(String(probe.capBnd), /^0+$/, 'no capability in the bounding set');
    assert.equal(probe.noNewPrivs, '1');
    assert.notEqual(String(probe.uidMap).trim().replace(/\s+/g, ' '), '0 0 4294967295', 'a user namespace');
    assert.match(String(probe.uidMap), /^\s*0\s+[1-9]\d*\s+\d+/, 'uid 0 is an unprivileged host uid');
    assert.equal(probe.chown, 'denied');
    assert.deepEqual(
      custom.steps.filter((s) => s.state === 'skipped').map((s) => s.name),
      ['pre', 'build'],
    );
    // main is at v3: v4 went to the metacharacter branch only.
    assert.match(custom.image ?? '', /\/cf\/web:custom-1-[0-9a-f]{7}$/, 'a tag of its own');
    await eventually(async () => (await served()).join() === 'v3', 'the custom image served');
  });

  it('the CLI manages pipelines and follows a build to the end', async () => {
    const env = {
      BERTH_URL: p.url,
      BERTH_TOKEN: p.api.token!,
      HOME: dir,
      BERTH_CLI_CONFIG: path.join(dir, 'cli.json'),
    };
    const berth = async (...args: string[]) => {
      const io = testIo(env);
      const code = await berthCli(args, io);
      return { code, out: io.stdout.text, err: io.stderr.text };
    };
    const list = await berth('pipelines', 'list', '-p', 'cf');
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /web\s+test\/web\s+/);
    const df = await berth('pipelines', 'dockerfile', 'web', '-p', 'cf');
    assert.match(df.out, /# pre-processing layer\nFROM localhost\/berth-node-build:20/);
    const bad = await berth(
      'pipelines',
      'create',
      'x',
      '-p',
      'cf',
      '--service',
      'web',
      '--repo',
      repo.bare,
      '--ref',
      '-x',
      '--template',
      'node',
    );
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /ref/);
    await repo.commitApp('v5');
    const built = await berth('builds', 'start', 'web', '-p', 'cf', '-f');
    assert.equal(built.code, 0, built.err);
    assert.match(built.out, /pre-processing layer unchanged/);
    assert.match(built.out, /state:\s+succeeded/);
    const builds = await berth('builds', 'list', 'web', '-p', 'cf', '-o', 'json');
    const items = (JSON.parse(builds.out) as { items: Build[] }).items;
    assert.equal(items[0]?.state, 'succeeded');
    assert.equal(items[0]?.commit?.message, 'serve v5');
  });

  it("keeps a build off other projects' containers: its RUN steps and its script are on the project's isolated build network", async () => {
    // Another project's service: what a build of cf's code tries to reach by address.
    const other = await makeProject(p.api, 'cfother');
    const svc = await p.api.post<{ task: Obj }>(other, { name: 'vault', spec: webSpec('other-secret') });
    assert.equal(svc.status, 202, JSON.stringify(svc.body));
    assert.equal((await waitTask(p.api, svc.body.task.id as string)).state, 'succeeded');
    const [target] = await eventually(async () => {
      const list = (await p.api.get<{ items: { ip: string | null }[] }>(`${other}/vault/containers`)).body
        .items;
      return list.length && list.every((c) => c.ip) ? list : null;
    }, "cfother's vault has an address");
    const ip = target!.ip!;
    // the control: from the host, the address serves the page
    assert.equal((await (await fetch(`http://${ip}:8080/`)).text()).trim(), 'other-secret');
    const probe = [
      `timeout 5 wget -qO- http://${ip}:8080/; echo "wget-exit=$?"`,
      'ip -4 addr show eth0',
      // fails on purpose: no image, no deploy
      'exit 3',
    ].join('; ');
    const failing = async (name: string, extra: Record<string, unknown>): Promise<string> => {
      const build = await pipelineBuild(name, extra);
      const log = await logOf(build);
      assert.equal(build.state, 'failed', log);
      return log;
    };
    const logs = [
      await failing('probe-run', { template: 'dockerfile', dockerfile: `FROM ${testImage}\nRUN ${probe}\n` }),
      await failing('probe-script', { template: 'shell', buildScript: probe }),
    ];
    for (const log of logs) {
      assert.doesNotMatch(log, /other-secret/, "a build of cf read cfother's page");
      // the connection hung (isolated bridges drop it): timeout's 143, not a refusal or a bad address
      assert.match(log, /wget-exit=143/, log);
    }
    const buildNet = (
      await run('podman', [
        '--url',
        `unix://${podmanSocket}`,
        'network',
        'inspect',
        `berth-${p.instanceId}.local.cf`,
        '--format',
        '{{range .Subnets}}{{.Subnet}}{{end}}',
      ])
    ).stdout.trim();
    for (const log of logs) {
      // on cf's build network, not podman's default 10.88/16
      const inet = /inet (\d+\.\d+\.\d+)\.\d+\//.exec(log);
      assert.ok(inet, `the step's address is in the log:\n${log}`);
      assert.equal(`${inet[1]}.0/24`, buildNet, "the step ran on cf's build network");
    }
  });

  it('cancels a running build (its container is killed) and times out a slow one', async () => {
    const slow = await p.api.post<Pipeline>(pipelines, {
      name: 'slow',
      target: { env: 'test', service: 'web' },
      repo: { url: repo.bare, ref: 'main' },
      template: 'shell',
      buildScript: 'echo started; sleep 300',
      // Confined pre layers take seconds on a busy machine: room for fetch + pre before the script.
      timeoutSeconds: 30,
    });
    assert.equal(slow.status, 201, JSON.stringify(slow.body));
    const r = await p.api.post<{ build: Build }>(`${pipelines}/slow/builds`, {});
    const id = r.body.build.id;
    await eventually(
      async () => {
        const b = await p.api.get<Build>(`/api/v1/projects/cf/builds/${id}`);
        return (
          b.body.steps.find((s) => s.name === 'build')?.state === 'running' &&
          (await logOf(b.body)).includes('started')
        );
      },
      'the build script running',
      90_000,
    );
    const c = await p.api.post<Build>(`/api/v1/projects/cf/builds/${id}/cancel`);
    assert.equal(c.status, 202);
    const cancelled = await waitBuild(id, 30_000);
    assert.equal(cancelled.state, 'cancelled');
    assert.equal((await p.api.get<Obj>(`/api/v1/tasks/${cancelled.taskId}`)).body.state, 'cancelled');
    const left = await p.engine.listContainers({ 'berth.codeflow.build': id });
    assert.equal(left.length, 0, 'the build container is gone');

    const t0 = Date.now();
    const r2 = await p.api.post<{ build: Build }>(`${pipelines}/slow/builds`, {});
    const timedOut = await waitBuild(r2.body.build.id, 90_000);
    assert.equal(timedOut.state, 'timed-out', `${timedOut.error}\n${await logOf(timedOut)}`);
    assert.match(timedOut.error ?? '', /timeout of 30 s/);
    assert.ok(Date.now() - t0 < 60_000, 'stopped near its timeout');
  });
});
