import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { createUserWith, testDialects, type Caller, type Json } from './helpers/db';
import { startFakePlatform, type FakePlatform } from './helpers/fake-engine';
import type { ServiceRow } from '../src/modules/services/services.repository';

const shellPath = '/api/v1/projects/web/envs/test/services/web/containers/web-1/shell';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Upgrade {
  status: number;
  body: Json;
  ws?: WebSocket;
  /** What the shell sent, collected from the moment the socket opened. */
  t?: Transcript;
}

interface Transcript {
  output: () => string;
  controls: Json[];
  closed: Promise<number>;
}

/** Opens a WebSocket; resolves with the socket, or with the HTTP error the server answered. */
function connect(url: string, headers: Record<string, string> = {}): Promise<Upgrade> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve({ status: 101, body: null, ws, t: transcript(ws) }));
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
    });
    ws.once('error', reject);
  });
}

/** Collects what a shell sends until it closes. */
function transcript(ws: WebSocket): Transcript {
  let output = '';
  const controls: Json[] = [];
  ws.on('message', (data: Buffer, isBinary) => {
    if (isBinary) output += data.toString();
    else controls.push(JSON.parse(data.toString()));
  });
  return {
    output: () => output,
    controls,
    closed: new Promise((resolve) => ws.once('close', (code) => resolve(code))),
  };
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

for (const dialect of testDialects()) {
  describe(`web shell (${dialect})`, () => {
    let p: FakePlatform;
    let web: ServiceRow;
    let dev: Caller;
    let lead: Caller;
    let viewer: Caller;
    let outsider: Caller;
    let devToken: string;
    let wsUrl: string;
    const origin = () => p.url;

    /** Waits until the session record is closed and returns it. */
    async function endedSession(where: { id?: string; actor?: string }) {
      const find = () => {
        let q = p.ctx.db.selectFrom('shell_sessions').selectAll();
        if (where.id) q = q.where('id', '=', where.id);
        if (where.actor) q = q.where('actor', '=', where.actor);
        return q.executeTakeFirst();
      };
      await until(async () => (await find())?.ended_at != null, 'the session end');
      return (await find())!;
    }

    async function shellAudits(): Promise<Json[]> {
      const res = await p.admin.get('/api/v1/audit?action=containers.shell&limit=500');
      return res.body.items;
    }

    before(async () => {
      p = await startFakePlatform(dialect);
      wsUrl = p.url.replace('http', 'ws');
      web = await p.createService('web');
      await p.addContainer(web, 'web-1');
      dev = await createUserWith(p.admin, 'dev', [
        { role: 'developer', scope: { kind: 'project', name: 'web' } },
      ]);
      lead = await createUserWith(p.admin, 'lead', [
        { role: 'team-admin', scope: { kind: 'team', name: 'shop' } },
      ]);
      viewer = await createUserWith(p.admin, 'vera', [
        { role: 'viewer', scope: { kind: 'project', name: 'web' } },
      ]);
      outsider = await createUserWith(p.admin, 'olaf', []);
      devToken = (await dev.post('/api/v1/me/tokens', { name: 'cli' })).body.token;
    });
    after(async () => {
      await p?.close();
    });

    it('answers upgrades it does not own with 404', async () => {
      const res = await connect(`${wsUrl}/api/v1/elsewhere`);
      assert.equal(res.status, 404);
      assert.equal(res.body.error.code, 'NOT_FOUND');
    });

    it('refuses callers without credentials with 401 and audits the denial', async () => {
      const res = await connect(wsUrl + shellPath);
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'UNAUTHENTICATED');
      const denied = (await shellAudits()).find((e) => e.statusCode === 401);
      assert.equal(denied?.result, 'denied');
      assert.equal(denied?.target, 'web/test/web/web-1');
    });

    it('takes the session cookie only from the portal origin (CSRF)', async () => {
      const tries: Array<Record<string, string>> = [
        {},
        { origin: 'http://evil.example' },
        { origin: 'null' },
      ];
      for (const headers of tries) {
        const res = await connect(wsUrl + shellPath, { cookie: dev.creds.cookie!, ...headers });
        assert.equal(res.status, 403, JSON.stringify(headers));
        assert.equal(res.body.error.code, 'CSRF_FAILED');
      }
      const audits = await shellAudits();
      assert.ok(audits.some((e) => e.actor === 'dev' && e.result === 'denied' && e.statusCode === 403));
    });

    it('needs services:exec, and hides projects the caller cannot see', async () => {
      const res = await connect(wsUrl + shellPath, { cookie: viewer.creds.cookie!, origin: origin() });
      assert.equal(res.status, 403);
      assert.equal(res.body.error.details.permission, 'services:exec');
      const hidden = await connect(wsUrl + shellPath, { cookie: outsider.creds.cookie!, origin: origin() });
      assert.equal(hidden.status, 404);
      assert.equal(hidden.body.error.code, 'PROJECT_NOT_FOUND');
      const audits = await shellAudits();
      assert.ok(audits.some((e) => e.actor === 'vera' && e.result === 'denied'));
      assert.ok(audits.some((e) => e.actor === 'olaf' && e.result === 'denied' && e.statusCode === 404));
    });

    it('needs services:exec-root for user=root', async () => {
      const res = await connect(`${wsUrl}${shellPath}?user=root`, { authorization: `Bearer ${devToken}` });
      assert.equal(res.status, 403);
      assert.equal(res.body.error.details.permission, 'services:exec-root');
    });

    it('rejects an empty command argument and unknown containers', async () => {
      const auth = { authorization: `Bearer ${devToken}` };
      const bad = await connect(`${wsUrl}${shellPath}?cmd=sh&cmd=`, auth);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.details.fields[0].path, 'cmd.1');
      const missing = await connect(`${wsUrl}${shellPath.replace('web-1', 'web-9')}`, auth);
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'CONTAINER_NOT_FOUND');
    });

    it('bridges a shell as nobody: input, output, resize, exit code, record and audit', async () => {
      const execsBefore = p.engine.execs.length;
      const res = await connect(`${wsUrl}${shellPath}?cols=120&rows=40&cmd=/bin/bash`, {
        authorization: `Bearer ${devToken}`,
      });
      assert.equal(res.status, 101, JSON.stringify(res.body));
      const ws = res.ws!;
      const audit = (await shellAudits()).find((e) => e.actor === 'dev' && e.result === 'success');
      assert.ok(audit, 'the audit event exists once the socket is open');
      assert.equal(audit.request.user, '65534:65534');
      const exec = p.engine.execs[execsBefore]!;
      assert.deepEqual(
        { ...exec.opts, env: undefined },
        { cmd: ['/bin/bash'], user: '65534:65534', tty: true, cols: 120, rows: 40, env: undefined },
      );
      const t = res.t!;
      ws.send(Buffer.from('ls\r'));
      ws.send(JSON.stringify({ type: 'resize', cols: 100, rows: 30 }));
      ws.send('echo {"type" is text\r');
      await until(() => exec.resizes.length === 1, 'the resize');
      assert.deepEqual(exec.resizes, [[100, 30]]);
      ws.send(Buffer.from('exit 3\r'));
      assert.equal(await t.closed, 1000);
      assert.deepEqual(t.controls, [{ type: 'exit', code: 3 }]);
      assert.match(t.output(), /^\$ ls\r.*exit 3\r$/s);
      const row = await endedSession({ id: audit.request.session as string });
      assert.equal(row.actor, 'dev');
      assert.equal(row.exit_code, 3);
      assert.equal(row.user, '65534:65534');
      const inputs = row.recording
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((e: Json) => e.d === 'i')
        .map((e: Json) => e.s);
      assert.deepEqual(inputs, ['ls', 'echo {"type" is text', 'exit 3']);
    });

    it("runs as the service's configured user, or the image's non-root user", async () => {
      p.engine.images.set('localhost/app:2', {
        id: 'img2',
        digest: 'sha256:img2',
        user: 'app',
        exposedPorts: [],
        sizeBytes: 1,
      });
      const worker = await p.createService('worker', { user: '1000' });
      await p.addContainer(worker, 'worker-1');
      const imaged = await p.createService('imaged', { image: 'localhost/app:2' });
      await p.addContainer(imaged, 'imaged-1', { image: 'localhost/app:2' });
      for (const [svc, container, user] of [
        ['worker', 'worker-1', '1000'],
        ['imaged', 'imaged-1', 'app'],
      ]) {
        const res = await connect(
          `${wsUrl}${shellPath.replace('/web/containers/web-1', `/${svc}/containers/${container}`)}`,
          {
            cookie: p.admin.creds.cookie!,
            origin: origin(),
          },
        );
        assert.equal(res.status, 101, JSON.stringify(res.body));
        assert.equal(p.engine.execs.at(-1)!.opts.user, user);
        res.ws!.close();
      }
    });

    it('runs root for a team admin who asks, and ends the process when the client goes', async () => {
      const res = await connect(`${wsUrl}${shellPath}?user=root`, {
        cookie: lead.creds.cookie!,
        origin: origin(),
      });
      assert.equal(res.status, 101, JSON.stringify(res.body));
      const exec = p.engine.execs.at(-1)!;
      assert.equal(exec.opts.user, '0:0');
      res.ws!.send('id\r');
      await until(() => exec.input.includes('id'), 'the input');
      res.ws!.terminate();
      await until(() => exec.closed, 'the exec to be closed');
      const row = await endedSession({ actor: 'lead' });
      assert.equal(row.user, '0:0');
      assert.equal(row.exit_code, 129, 'the exit code the engine reported after the close');
    });

    it('lists sessions to auditors of the project only, with the recording on the detail', async () => {
      const mine = await lead.get('/api/v1/shell-sessions?actor=dev');
      assert.equal(mine.status, 200, JSON.stringify(mine.body));
      assert.ok(mine.body.items.length >= 1);
      assert.equal(mine.body.items[0].service, 'web');
      assert.equal(mine.body.items[0].recording, undefined);
      const one = await lead.get(`/api/v1/shell-sessions/${mine.body.items.at(-1).id}`);
      assert.ok(one.body.recording.some((e: Json) => e.d === 'i' && e.s === 'ls'));
      assert.deepEqual((await dev.get('/api/v1/shell-sessions')).body.items, []);
      assert.equal((await dev.get(`/api/v1/shell-sessions/${mine.body.items[0].id}`)).status, 404);
      assert.equal(
        (await p.admin.get('/api/v1/shell-sessions?service=worker')).body.items[0].service,
        'worker',
      );
    });

    it('answers 502 and audits a failure when the engine cannot start the shell', async () => {
      p.engine.exit('web-1');
      const res = await connect(wsUrl + shellPath, { authorization: `Bearer ${devToken}` });
      p.engine.get('web-1')!.state = 'running';
      assert.equal(res.status, 502);
      assert.equal(res.body.error.code, 'ENGINE_ERROR');
      assert.ok((await shellAudits()).some((e) => e.result === 'failure' && e.statusCode === 502));
    });

    it('explains itself to a plain GET', async () => {
      const res = await dev.get(shellPath);
      assert.equal(res.status, 400);
      assert.match(res.body.error.message, /WebSocket/);
    });
  });
}

describe('web shell at server shutdown', () => {
  it('ends open sessions with 1001 and closes their records', async () => {
    const p = await startFakePlatform();
    const web = await p.createService('web');
    await p.addContainer(web, 'web-1');
    const res = await connect(p.url.replace('http', 'ws') + shellPath, {
      cookie: p.admin.creds.cookie!,
      origin: p.url,
    });
    assert.equal(res.status, 101, JSON.stringify(res.body));
    const exec = p.engine.execs.at(-1)!;
    const closing = p.app.close();
    assert.equal(await res.t!.closed, 1001);
    await closing;
    assert.ok(exec.closed);
    assert.equal(res.t!.controls[0].type, 'exit');
    const row = await p.ctx.db.selectFrom('shell_sessions').selectAll().executeTakeFirst();
    assert.ok(row?.ended_at, 'the session record is closed before the server finishes closing');
    await p.close();
  });
});
