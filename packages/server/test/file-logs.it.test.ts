import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  eventually,
  makeProject,
  startPlatform,
  TestApi,
  waitTask,
  type TestPlatform,
} from './helpers/platform';

type Obj = Record<string, unknown>;

const noshellImage = 'localhost/berth-noshell:1';

/**
 * The app of the distroless-style image (node only: no shell, no tar). It writes line 0 and a
 * binary file, waits for /tmp/ctl/go (dropped in through the archive API), appends lines 1–200,
 * waits for /tmp/ctl/rotate, renames app.log to app.log.1 (rotation) and appends 201–400 to a new
 * app.log; on SIGTERM it writes "bye". The triggers make the test independent of timing.
 */
const app = `
const fs = require('fs');
fs.mkdirSync('/tmp/logs', { recursive: true });
fs.mkdirSync('/tmp/ctl', { recursive: true });
const log = '/tmp/logs/app.log';
const line = (n) => fs.appendFileSync(log, 'line ' + String(n).padStart(4, '0') + ' ' + 'x'.repeat(n % 50) + '\\n');
line(0);
fs.writeFileSync('/tmp/logs/data.bin', Buffer.from([0, 1, 2, 3, 255, 0, 7]));
const when = (f, then) => { const t = setInterval(() => { if (fs.existsSync(f)) { clearInterval(t); then(); } }, 50); };
function burst(from, to, done) { let n = from; const t = setInterval(() => { for (let k = 0; k < 5 && n <= to; k++) line(n++); if (n > to) { clearInterval(t); done(); } }, 10); }
when('/tmp/ctl/go', () => burst(1, 200, () => when('/tmp/ctl/rotate', () => {
  fs.renameSync(log, log + '.1');
  burst(201, 400, () => undefined);
})));
process.on('SIGTERM', () => { fs.appendFileSync(log, 'bye\\n'); process.exit(0); });
setInterval(() => {}, 1e9);
`;

const lineText = (n: number) => `line ${String(n).padStart(4, '0')} ${'x'.repeat(n % 50)}`;

/** A one-file ustar archive (what the archive API's PUT takes). */
function tarOf(name: string, content: string): Buffer {
  const data = Buffer.from(content);
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
  h.write(
    `${Math.floor(Date.now() / 1000)
      .toString(8)
      .padStart(11, '0')}\0`,
    136,
  );
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([h, data, pad, Buffer.alloc(1024)]);
}

/** Reads an SSE response into events as they arrive. */
class SseReader {
  events: Array<{ event: string; data: Obj }> = [];
  private waiters: Array<() => void> = [];
  constructor(private readonly res: Response) {
    void this.pump();
  }
  private async pump() {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of this.res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let at: number;
        while ((at = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, at);
          buf = buf.slice(at + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) this.events.push({ event, data: JSON.parse(data) as Obj });
          this.waiters.splice(0).forEach((w) => w());
        }
      }
    } catch {
      // aborted by the test
    }
  }
  /** Waits (bounded) until `pred` holds for the events so far. */
  async until(pred: (events: SseReader['events']) => boolean, what: string, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.events)) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.events.slice(-5))}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 1000);
      });
    }
  }
}

describe('file logs: a container’s files through the archive API, and log collection', () => {
  let p: TestPlatform;
  let base: string;
  let svc: string;
  let container: string;
  let viewer: TestApi;
  let outsider: TestApi;

  async function user(name: string, role: string, project: string): Promise<TestApi> {
    assert.equal((await p.api.post('/api/v1/users', { name, password: `${name}-password` })).status, 201);
    const b = await p.api.post('/api/v1/bindings', {
      user: name,
      role,
      scope: { kind: 'project', name: project },
    });
    assert.equal(b.status, 201, JSON.stringify(b.body));
    return TestApi.login(p.url, name, `${name}-password`);
  }

  const files = (q: string, api = p.api) => api.get<Obj>(`${svc}/containers/${container}/files?${q}`);
  const content = (q: string, api = p.api) =>
    api.get<Obj>(`${svc}/containers/${container}/files/content?${q}`);
  const put = (name: string) =>
    p.engine.putArchive(container, '/tmp/ctl', Readable.from([tarOf(name, 'now')]));

  before(async () => {
    p = await startPlatform();
    base = await makeProject(p.api, 'logs');
    await makeProject(p.api, 'other');
    const created = await p.api.post<{ task: Obj }>(base, {
      name: 'app',
      spec: {
        image: noshellImage,
        command: ['node', '-e', app],
        replicas: 1,
        logFiles: { paths: ['/tmp/logs/*.log'], maxFileMiB: 1, maxFiles: 3 },
        rollout: {
          maxSurge: 1,
          maxUnavailable: 0,
          drainSeconds: 0,
          stopGraceSeconds: 2,
          progressDeadlineSeconds: 300,
        },
      },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const task = await waitTask(p.api, created.body.task.id as string);
    assert.equal(task.state, 'succeeded', JSON.stringify(task));
    svc = `${base}/app`;
    const list = await p.api.get<{ items: Obj[] }>(`${svc}/containers`);
    container = list.body.items[0]!.name as string;
    viewer = await user('vic', 'viewer', 'logs');
    outsider = await user('olga', 'developer', 'other');
    // The app made its files (it runs as uid 1000 on an image without a shell).
    await eventually(async () => (await files('path=/tmp/logs/data.bin')).status === 200, 'the app files');
  });
  after(async () => {
    await p?.close();
  });

  it('lists directories of an image with no shell and no tar', async () => {
    const root = await files('path=/');
    assert.equal(root.status, 200, JSON.stringify(root.body));
    const names = (root.body.items as Obj[]).map((i) => i.name);
    assert.ok(names.includes('usr') && names.includes('tmp'), names.join(','));
    assert.ok(!names.includes('bin'), 'the image has no /bin (no shell)');
    const dir = await files('path=/tmp/logs/');
    assert.equal(dir.status, 200);
    assert.equal((dir.body.entry as Obj).type, 'directory');
    const bin = (dir.body.items as Obj[]).find((i) => i.name === 'data.bin')!;
    assert.deepEqual([bin.type, bin.size, bin.mode, bin.path], ['file', 7, '0644', '/tmp/logs/data.bin']);
    assert.ok(!Number.isNaN(Date.parse(bin.mtime as string)));
    const one = await files('path=/usr/bin/node');
    assert.equal((one.body.entry as Obj).type, 'file');
    assert.deepEqual(one.body.items, []);
    assert.equal((await files('path=/tmp/nothing-here')).status, 404);
  });

  it('views a text file, refuses a binary one as text and downloads it byte for byte', async () => {
    const text = await content('path=/etc/passwd');
    assert.equal(text.status, 200);
    assert.match(text.body.text as string, /^root:x:0:0/);
    const bin = await content('path=/tmp/logs/data.bin');
    assert.equal(bin.status, 422);
    assert.match((bin.body.error as Obj).message as string, /binary.*download=true/);
    const res = await fetch(
      `${p.url}${svc}/containers/${container}/files/content?path=/tmp/logs/data.bin&download=true`,
      {
        headers: { Authorization: `Bearer ${p.api.token}` },
      },
    );
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition') ?? '', /filename="data.bin"/);
    assert.deepEqual([...new Uint8Array(await res.arrayBuffer())], [0, 1, 2, 3, 255, 0, 7]);
    const dirAsFile = await content('path=/tmp/logs');
    assert.equal(dirAsFile.status, 422);
    const tar = await fetch(`${p.url}${svc}/containers/${container}/files/archive?path=/tmp/logs`, {
      headers: { Authorization: `Bearer ${p.api.token}` },
    });
    assert.equal(tar.status, 200);
    const bytes = Buffer.from(await tar.arrayBuffer());
    assert.equal(bytes.subarray(257, 262).toString(), 'ustar');
    assert.ok(bytes.includes(Buffer.from('logs/data.bin')), 'the directory tar holds its files');
  });

  it('refuses path traversal and bad paths with 400, changing nothing', async () => {
    for (const bad of ['../etc/passwd', '/tmp/../etc/passwd', 'etc/passwd', '/tmp/%00x', '/..']) {
      const r = await files(`path=${bad}`);
      assert.equal(r.status, 400, `${bad}: ${JSON.stringify(r.body)}`);
      assert.match(JSON.stringify(r.body), /path/);
    }
    const dl = await p.api.get(
      `${svc}/containers/${container}/collected-logs/download?file=../../../../berth.sqlite`,
    );
    assert.equal(dl.status, 400);
  });

  it('needs services:exec: a viewer gets 403, a developer of another project 404', async () => {
    const v = await files('path=/etc', viewer);
    assert.equal(v.status, 403);
    assert.match((v.body.error as Obj).message as string, /services:exec/);
    assert.equal((await content('path=/etc/passwd', viewer)).status, 403);
    for (const q of [
      'files?path=/etc',
      'files/content?path=/etc/passwd',
      'files/archive?path=/etc',
      'collected-logs',
    ]) {
      const r = await outsider.get(`${svc}/containers/${container}/${q}`);
      assert.equal(r.status, 404, `${q}: ${r.status}`);
    }
  });

  it('follows a file while the app appends and rotates it: every line, in order; collection copies it', async () => {
    const ac = new AbortController();
    const res = await fetch(
      `${p.url}${svc}/containers/${container}/files/content?path=/tmp/logs/app.log&follow=true&tail=5`,
      {
        headers: { Authorization: `Bearer ${p.api.token}` },
        signal: ac.signal,
      },
    );
    assert.equal(res.status, 200);
    const sse = new SseReader(res);
    const lines = () => sse.events.filter((e) => e.event === 'line').map((e) => e.data.text as string);
    try {
      await sse.until(() => lines().includes(lineText(0)), 'line 0');
      await put('go');
      await sse.until(() => lines().includes(lineText(200)), 'line 200');
      // The collector copied the first part before the app rotates its file.
      const hostDir = path.join(p.dataDir, 'logs', 'logs', 'test', 'app', container);
      const hostFile = path.join(hostDir, 'tmp', 'logs', 'app.log');
      await eventually(
        async () => existsSync(hostFile) && readFileSync(hostFile, 'utf8').includes(lineText(200)),
        'the collected copy up to line 200',
      );
      await put('rotate');
      await sse.until(() => lines().includes(lineText(400)), 'line 400');
      assert.deepEqual(
        lines(),
        Array.from({ length: 401 }, (_, n) => lineText(n)),
        'every line once, in order',
      );
      const rotatedAt = sse.events.findIndex((e) => e.event === 'rotated');
      const firstNew = sse.events.findIndex((e) => e.data.text === lineText(201));
      assert.ok(
        rotatedAt > 0 && rotatedAt < firstNew,
        'the rotation is reported before the new file’s lines',
      );
      const expected = Array.from({ length: 401 }, (_, n) => `${lineText(n)}\n`).join('');
      await eventually(
        async () => readFileSync(hostFile, 'utf8') === expected,
        'the collected copy of all 400 lines',
      );
      const tail = await content('path=/tmp/logs/app.log&tail=3');
      assert.deepEqual(tail.body.lines, [lineText(398), lineText(399), lineText(400)]);
    } finally {
      ac.abort();
    }
  });

  it('keeps collected files after the container is destroyed, reachable from its history row', async () => {
    const hostFile = path.join(p.dataDir, 'logs', 'logs', 'test', 'app', container, 'tmp', 'logs', 'app.log');
    await eventually(async () => existsSync(hostFile), 'a collected file');
    const d = await p.api.post(`${svc}/containers/${container}/destroy`);
    assert.equal(d.status, 202, JSON.stringify(d.body));
    await eventually(async () => {
      const h = await p.api.get<{ items: Obj[] }>(`${svc}/containers/history`);
      const row = h.body.items.find((c) => c.name === container);
      return row?.state === 'exited' && !(await p.engine.inspectContainer(container));
    }, 'the container removed from the engine');
    assert.ok(existsSync(hostFile), 'the copy stays on the host');
    // the line the app wrote while it stopped came in with the last copy before the removal
    assert.ok(
      readFileSync(hostFile, 'utf8').endsWith(`${lineText(400)}\nbye\n`),
      'the last copy before removal',
    );
    const listed = await viewer.get<{ items: Obj[] }>(`${svc}/containers/${container}/collected-logs`);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    const item = listed.body.items.find((i) => i.file === 'tmp/logs/app.log')!;
    assert.equal(item.path, '/tmp/logs/app.log');
    const dl = await viewer.get(
      `${svc}/containers/${container}/collected-logs/download?file=tmp/logs/app.log`,
    );
    assert.equal(dl.status, 200);
    assert.equal(dl.body, readFileSync(hostFile, 'utf8'));
    const gone = await files('path=/tmp');
    assert.equal(gone.status, 404, 'the files of a gone container are gone');
    assert.match((gone.body.error as Obj).message as string, /gone/);
    const missing = await viewer.get(
      `${svc}/containers/${container}/collected-logs/download?file=tmp/nope.log`,
    );
    assert.equal(missing.status, 404);
  });
});
