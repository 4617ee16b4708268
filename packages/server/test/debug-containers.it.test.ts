/**
 * Debug containers on the real Podman engine (docs/debug.md): a toolbox container joins a running
 * container's network and PID namespaces; its one shell (recorded, audited) sees the target's
 * processes, reaches its port on 127.0.0.1 and reads its files through /proc/<pid>/root, while the
 * target image (berth-noshell: node and its libraries, nothing else) has neither ps nor wget. The
 * container is removed when the shell ends, when its time-to-live passes, and by the sweeper when
 * its session is unknown; it never becomes a replica. Tenancy and permissions: another project's
 * developer gets 404, a viewer 403, root needs services:exec-root.
 */
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { testDialects } from './helpers/db';
import { noshellImage, startNoshellServer } from './helpers/noshell';
import { eventually, makeProject, startPlatform, TestApi, type TestPlatform } from './helpers/platform';

type Obj = Record<string, unknown>;

interface ShellRun {
  status: number;
  body: Obj | null;
  output: string;
  exit: number | null;
}

/** Opens a shell URL, lets it run to its end; resolves with the output and exit code (or the HTTP refusal). */
function runShell(
  url: string,
  token: string,
  cmd: string[],
  opts: { tty?: boolean } = {},
): Promise<ShellRun> {
  const q = new URLSearchParams({ tty: String(opts.tty ?? false) });
  for (const c of cmd) q.append('cmd', c);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}?${q.toString()}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    let output = '';
    let exit: number | null = null;
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) output += data.toString();
      else {
        const m = JSON.parse(data.toString()) as { type: string; code?: number };
        if (m.type === 'exit') exit = m.code ?? null;
      }
    });
    ws.once('close', () => resolve({ status: 101, body: null, output, exit }));
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Obj) : null, output, exit }),
      );
    });
    ws.once('error', reject);
  });
}

for (const dialect of testDialects()) {
  describe(`debug containers (${dialect})`, () => {
    let p: TestPlatform;
    let base: string;
    let dev: TestApi;
    let lead: TestApi;
    let viewer: TestApi;
    let outsider: TestApi;
    let target: string;
    let debugBase: string;

    async function user(name: string, role: string, scope: { kind: string; name: string }): Promise<TestApi> {
      assert.equal((await p.api.post('/api/v1/users', { name, password: `${name}-password` })).status, 201);
      const b = await p.api.post('/api/v1/bindings', { user: name, role, scope });
      assert.equal(b.status, 201, JSON.stringify(b.body));
      return TestApi.login(p.url, name, `${name}-password`);
    }

    async function start(api: TestApi, body: Obj = {}): Promise<{ status: number; body: Obj }> {
      return api.post<Obj>(debugBase, body);
    }

    async function gone(name: string): Promise<void> {
      await eventually(
        async () => (await p.engine.inspectContainer(name)) === null,
        `${name} removed`,
        30_000,
        100,
      );
    }

    before(async () => {
      // berth-noshell comes from scripts/test-images.sh (npm test runs it); build it when missing
      try {
        execFileSync('podman', [
          '--url',
          `unix://${process.env.BERTH_TEST_PODMAN_SOCKET}`,
          'image',
          'exists',
          noshellImage,
        ]);
      } catch {
        execFileSync('bash', ['scripts/test-images.sh'], {
          cwd: new URL('../../..', import.meta.url).pathname,
        });
      }
      p = await startPlatform({}, { dialect });
      base = await makeProject(p.api, 'alpha');
      await makeProject(p.api, 'beta');
      dev = await user('dave', 'developer', { kind: 'project', name: 'alpha' });
      lead = await user('tina', 'team-admin', { kind: 'team', name: 'team-alpha' });
      viewer = await user('vera', 'viewer', { kind: 'project', name: 'alpha' });
      outsider = await user('olga', 'developer', { kind: 'project', name: 'beta' });
      target = await startNoshellServer(p.api, base);
      debugBase = `${base}/app/containers/${target}/debug`;
    });
    after(async () => {
      // debug containers of this instance (a failed test may leave one); the targets go with close()
      const left = await p?.engine.listContainers({ 'berth.debug': p.instanceId });
      await Promise.all((left ?? []).map((c) => p.engine.removeContainer(c.id)));
      await p?.close();
    });

    it('the target image has neither ps nor wget', async () => {
      for (const tool of ['ps', 'wget', 'sh']) {
        const res = await p.engine.execRun(target, [tool], { timeoutMs: 20_000 }).catch((err: Error) => err);
        assert.ok(res instanceof Error || res.exitCode !== 0, `${tool} ran in the target`);
      }
    });

    it("sees the target's processes, answers on its network and reads its files as its non-root user; the shell is recorded and ends the container", async () => {
      const res = await start(dev);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const d = res.body;
      // the target image says USER 1000 (app:1000 in its /etc/passwd)
      assert.equal(d.user, '1000:1000');
      assert.equal(d.image, 'localhost/berth-toolbox:1');
      assert.equal(d.target, target);
      assert.ok(await p.engine.inspectContainer(d.container as string), 'the debug container runs');
      const run = await runShell(p.url + (d.shellPath as string), dev.token!, [
        'sh',
        '-c',
        'ps -eo user,args; wget -qO- 127.0.0.1:8080; ls /proc/$(pgrep -o -f "node -e")/root/usr/bin; id -u',
      ]);
      assert.equal(run.status, 101, JSON.stringify(run.body));
      assert.equal(run.exit, 0, run.output);
      assert.match(run.output, /node -e require/, 'ps shows the target process');
      assert.match(run.output, /hi from the target/, 'wget reaches the target on 127.0.0.1');
      assert.match(run.output, /^node$/m, "the target's files through /proc/<pid>/root");
      assert.match(run.output, /^1000$/m, 'the shell runs as the target user');

      await gone(d.container as string);
      const after = await dev.get<Obj>(`${debugBase}/${d.id as string}`);
      assert.equal(after.body.endReason, 'shell-exited');
      assert.ok(after.body.shellSession, 'the shell session is linked');
      const sessions = await p.api.get<{ items: Obj[] }>(`/api/v1/shell-sessions?actor=dave`);
      const s = sessions.body.items.find((i) => i.id === after.body.shellSession);
      assert.equal(s?.container, d.container);
      assert.ok(s?.endedAt, 'the shell session is closed');
      const rec = await p.api.get<Obj>(`/api/v1/shell-sessions/${after.body.shellSession as string}`);
      assert.match(JSON.stringify(rec.body), /hi from the target/, 'the recording holds the output');
      const audit = await p.api.get<{ items: Obj[] }>('/api/v1/audit?action=containers.debug.shell&limit=50');
      assert.ok(audit.body.items.some((e) => e.actor === 'dave' && e.result === 'success'));
      const started = await p.api.get<{ items: Obj[] }>(
        '/api/v1/audit?action=containers.debug.start&limit=50',
      );
      assert.ok(started.body.items.some((e) => e.actor === 'dave' && e.result === 'success'));

      // never a replica: the service still has its one container, the same one
      const list = await p.api.get<{ items: Obj[] }>(`${base}/app/containers`);
      assert.deepEqual(
        list.body.items.map((c) => c.name),
        [target],
      );
    });

    it('one shell per debug container, for its creator only; DELETE ends it', async () => {
      const d = (await start(dev)).body;
      const url = p.url + (d.shellPath as string);
      const other = await runShell(url, lead.token!, ['true']);
      assert.equal(other.status, 403, JSON.stringify(other.body));
      const first = await runShell(url, dev.token!, ['true']);
      assert.equal(first.exit, 0);
      const again = await runShell(url, dev.token!, ['true']);
      assert.ok([409].includes(again.status), JSON.stringify(again.body));
      await gone(d.container as string);

      const d2 = (await start(dev)).body;
      const stop = await dev.delete(`${debugBase}/${d2.id as string}`);
      assert.equal(stop.status, 204);
      await gone(d2.container as string);
      assert.equal((await dev.get<Obj>(`${debugBase}/${d2.id as string}`)).body.endReason, 'stopped');
      const late = await runShell(p.url + (d2.shellPath as string), dev.token!, ['true']);
      assert.equal(late.status, 409);
    });

    it('is removed after its time-to-live, and the sweeper removes debug containers without a session', async () => {
      const d = (await start(dev, { ttlSeconds: 5 })).body;
      assert.ok(Date.parse(d.expiresAt as string) - Date.parse(d.createdAt as string) === 5000);
      await gone(d.container as string);
      const row = await dev.get<Obj>(`${debugBase}/${d.id as string}`);
      assert.ok(['expired', 'stopped'].includes(row.body.endReason as string), JSON.stringify(row.body));

      // a shell lost with the process that held it (a crash): its heartbeat stops, and the
      // sweeper ends it long before its TTL
      const lost = (await start(dev)).body;
      const old = new Date(Date.now() - 10 * 60_000).toISOString();
      await p.server.ctx.db
        .updateTable('debug_sessions')
        .set({ attached_at: old, seen_at: old })
        .where('id', '=', lost.id as string)
        .execute();
      await gone(lost.container as string);
      assert.equal((await dev.get<Obj>(`${debugBase}/${lost.id as string}`)).body.endReason, 'shell-lost');

      // a leftover of a session Berth does not know (its row lost, e.g. across a restart)
      const stray = `${target}-debug-stray`;
      await p.engine.runContainer({
        name: stray,
        image: 'localhost/berth-toolbox:1',
        command: ['sleep', '600'],
        env: {},
        labels: { 'berth.debug': p.instanceId, 'berth.debug.session': 'unknown-session' },
        ports: [],
        shareNamespacesOf: target,
        capabilities: [],
      });
      await gone(stray);
    });

    it('root needs services:exec-root: refused to a developer, granted to a team admin with CAP_SYS_PTRACE only', async () => {
      const before = (await dev.get<{ items: Obj[] }>(`${debugBase}?all=true`)).body.items.length;
      const refused = await start(dev, { user: 'root' });
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assert.equal((refused.body.error as Obj & { details: Obj }).details.permission, 'services:exec-root');
      assert.equal((await dev.get<{ items: Obj[] }>(`${debugBase}?all=true`)).body.items.length, before);
      // the shell URL takes no user: the user is fixed when the container starts
      const d = (await start(lead, { user: 'root' })).body;
      assert.equal(d.user, '0:0');
      const run = await runShell(p.url + (d.shellPath as string), lead.token!, [
        'sh',
        '-c',
        'id -u; grep CapEff /proc/self/status; ls /proc/$(pgrep -o -f "node -e")/root/app >/dev/null && echo files-ok',
      ]);
      assert.equal(run.exit, 0, run.output);
      assert.match(run.output, /^0$/m);
      // CAP_SYS_PTRACE is bit 19: 0x80000
      assert.match(run.output, /CapEff:\s+0000000000080000/);
      assert.match(run.output, /files-ok/);
      await gone(d.container as string);
    });

    it('goes with its target: destroying the container removes its debug container', async () => {
      const d = (await start(dev)).body;
      const destroyed = await dev.post(`${base}/app/containers/${target}/destroy`, {});
      assert.equal(destroyed.status, 202, JSON.stringify(destroyed.body));
      await gone(d.container as string);
      await eventually(async () => {
        const b = (await dev.get<Obj>(`${debugBase}/${d.id as string}`)).body;
        return b.endReason === 'target-gone';
      }, 'the session ended as target-gone');
      // the controller replaces the target; later tests debug the new one
      const list = await eventually(async () => {
        const r = await p.api.get<{ items: Obj[] }>(`${base}/app/containers`);
        return r.body.items.find((c) => c.state === 'ready' && c.name !== target) ? r.body.items : null;
      }, 'the replacement ready');
      target = list.find((c) => c.state === 'ready')!.name as string;
      debugBase = `${base}/app/containers/${target}/debug`;
    });

    it('tenancy, permissions and bad input', async () => {
      const hidden = await start(outsider);
      assert.equal(hidden.status, 404, JSON.stringify(hidden.body));
      const noExec = await start(viewer);
      assert.equal(noExec.status, 403);
      assert.equal((noExec.body.error as Obj & { details: Obj }).details.permission, 'services:exec');
      const short = await start(dev, { ttlSeconds: 1 });
      assert.equal(short.status, 400);
      assert.match(JSON.stringify(short.body), /ttlSeconds/);
      const missing = await dev.post(`${base}/app/containers/${target}x/debug`, {});
      assert.equal(missing.status, 404);
      // an image the project may not use: the same admission as a service's image
      const image = await start(dev, { image: 'registry.example.com/tools/debug:1' });
      assert.equal(image.status, 403, JSON.stringify(image.body));
      assert.equal((image.body.error as Obj).code, 'IMAGE_NOT_ALLOWED');
      // the other project's developer cannot open or read a session of this one
      const d = (await start(dev)).body;
      const peek = await outsider.get(`${debugBase}/${d.id as string}`);
      assert.equal(peek.status, 404);
      const open = await runShell(p.url + (d.shellPath as string), outsider.token!, ['true']);
      assert.equal(open.status, 404);
      assert.equal((await dev.delete(`${debugBase}/${d.id as string}`)).status, 204);
      await gone(d.container as string);
    });
  });
}
