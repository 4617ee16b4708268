import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  EndpointsClient,
  LocalNginxNode,
  applyDelta,
  controlSocketPath,
  defaultRouteOptions,
  deliverEndpoints,
  dynamicMainConfig,
  endpointsFile,
  endpointsJournal,
  ensurePrefix,
  prepareNodeDirs,
  readEndpointsSet,
  renderDynamicUpstreams,
  writeEndpointsAhead,
  writeEndpointsFile,
  type EndpointDelta,
  type EndpointSet,
} from '../src/index';
import { freePort } from '../../server/test/helpers/net';

/*
 * The endpoints file's journal (docs/gateway.md, "Endpoints without reload"): an endpoint-only
 * change is written ahead of its push as its delta, appended to PREFIX/endpoints/current.deltas,
 * instead of the whole set; a restarted Nginx (and readEndpointsSet) loads the file, then the
 * deltas that follow it. Against a real Nginx with the agent as the file's writer, as Berth's
 * local node and berth-gateway-agent run it.
 */

const nginxBin = '/usr/sbin/nginx';
const host = 'a.x.test.localhost';

async function backend(name: string): Promise<{ address: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.setHeader('connection', 'close');
    res.end(name);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  return {
    address: `127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/', headers: { host }, agent: false },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const journalLines = (prefix: string) =>
  existsSync(path.join(prefix, endpointsJournal))
    ? readFileSync(path.join(prefix, endpointsJournal), 'utf8').split('\n').filter(Boolean).length
    : 0;
const fileVersion = (prefix: string) =>
  (JSON.parse(readFileSync(path.join(prefix, endpointsFile), 'utf8')) as EndpointSet).version;

describe('the endpoints journal, against a real Nginx', () => {
  let prefix: string;
  let port: number;
  let nginx: ChildProcess | null = null;
  const backends: { address: string; close(): Promise<void> }[] = [];
  let client: EndpointsClient;

  const start = async () => {
    let stderr = '';
    const proc = spawn(nginxBin, ['-p', `${prefix}/`, '-c', path.join(prefix, 'conf', 'nginx.conf')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    nginx = proc;
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
      if (
        await client.version().then(
          () => true,
          () => false,
        )
      )
        return;
      if (Date.now() > deadline) throw new Error(`nginx did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const stop = async () => {
    const proc = nginx;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGQUIT');
    await exited;
    nginx = null;
  };
  const setOf = (version: number, k: number): EndpointSet => ({
    version,
    pools: { svc_a: [{ address: backends[k]!.address, weight: 1 }], svc_b: [] },
  });
  const deltaOf = (base: number, version: number, k: number): EndpointDelta => ({
    version,
    base,
    pools: { svc_a: [{ address: backends[k]!.address, weight: 1 }] },
  });

  before(async () => {
    for (const name of ['b0', 'b1', 'b2', 'b3']) backends.push(await backend(name));
    prefix = mkdtempSync(path.join(tmpdir(), 'gw-journal-'));
    chmodSync(prefix, 0o755);
    port = await freePort();
    client = new EndpointsClient(controlSocketPath(prefix));
    await ensurePrefix(prefix);
    await prepareNodeDirs(prefix, false);
    const gateway = {
      listen: `127.0.0.1:${port}`,
      tlsListen: null,
      certDir: '/nonexistent/certs',
      workerProcesses: 1,
      foreground: true,
      routes: [{ host, pool: 'svc_a', canary: null, options: defaultRouteOptions() }],
    };
    writeFileSync(path.join(prefix, 'conf', 'nginx.conf'), dynamicMainConfig(gateway));
    writeFileSync(
      path.join(prefix, 'conf', 'upstreams.conf'),
      renderDynamicUpstreams(
        ['svc_a', 'svc_b'].map((name) => ({ name, servers: [], maxFails: 1, failTimeoutSeconds: 5 })),
        { controlSocket: controlSocketPath(prefix), fileWriter: 'agent' },
      ),
    );
    await start();
  });

  after(async () => {
    await stop();
    if (prefix) rmSync(prefix, { recursive: true, force: true });
    await Promise.all(backends.map((b) => b.close()));
  });

  it('writes each endpoint change ahead of its push as a journal line, and a restart serves file + journal', async () => {
    // the first write of this process is whole: it does not know what the files hold
    assert.deepEqual(await deliverEndpoints(prefix, setOf(1, 0), true), {
      ok: true,
      version: 1,
      pushed: true,
    });
    assert.equal(fileVersion(prefix), 1);
    assert.equal(journalLines(prefix), 0);
    for (const [v, k] of [
      [2, 1],
      [3, 2],
    ] as const) {
      const d = await deliverEndpoints(prefix, setOf(v, k), true, 10_000, deltaOf(v - 1, v, k));
      assert.deepEqual(d, { ok: true, version: v, pushed: true });
      assert.deepEqual(await get(port), { status: 200, body: `b${k}` });
    }
    // the 1.4 MB file (here small) stayed at version 1; the changes are two lines
    assert.equal(fileVersion(prefix), 1);
    assert.equal(journalLines(prefix), 2);
    assert.deepEqual(await readEndpointsSet(prefix), setOf(3, 2));

    await stop();
    await start();
    // the first request of the new master goes to version 3's endpoint
    assert.deepEqual(await get(port), { status: 200, body: 'b2' });
    assert.deepEqual(await client.get(), setOf(3, 2));
  });

  it('ends the journal at a torn line or a gap, on restart as in readEndpointsSet', async () => {
    const journal = path.join(prefix, endpointsJournal);
    appendFileSync(journal, '{"version":4,"base":3,"pools":{"svc_a":[{"addr');
    await stop();
    await start();
    assert.deepEqual(await client.get(), setOf(3, 2));
    assert.deepEqual(await readEndpointsSet(prefix), setOf(3, 2));
    // a line after a gap (base 5, the files end at 3) is not applied either
    writeFileSync(
      journal,
      readFileSync(journal, 'utf8').replace(/\{"version":4[^\n]*$/, `${JSON.stringify(deltaOf(5, 6, 3))}\n`),
    );
    await stop();
    await start();
    assert.deepEqual(await get(port), { status: 200, body: 'b2' });
    assert.deepEqual(await readEndpointsSet(prefix), setOf(3, 2));
  });

  it('skips the deltas a newer whole file holds (a writer stopped between the file and dropping the journal)', async () => {
    // the journal still holds 2 and 3 (and the gap line); the file is whole at 7
    writeFileSync(path.join(prefix, endpointsFile), JSON.stringify(setOf(7, 3)));
    assert.ok(journalLines(prefix) >= 2);
    await stop();
    await start();
    assert.deepEqual(await get(port), { status: 200, body: 'b3' });
    assert.deepEqual(await client.get(), setOf(7, 3));
    assert.deepEqual(await readEndpointsSet(prefix), setOf(7, 3));
    // a whole write drops the journal
    await writeEndpointsFile(prefix, setOf(8, 0));
    assert.equal(journalLines(prefix), 0);
    assert.deepEqual(await readEndpointsSet(prefix), setOf(8, 0));
  });

  it('a configuration with the same pools goes into the journal: the reload applies it, and nothing is pushed after', async () => {
    // Nginx runs 7 (the file was rewritten at 8 behind its back): the PATCH falls back to a PUT
    assert.deepEqual(await deliverEndpoints(prefix, setOf(9, 1), true, 10_000, deltaOf(8, 9, 1)), {
      ok: true,
      version: 9,
      pushed: true,
    });
    // a route change: a new main file, the same pools; the set's delta is written ahead of the reload
    const main = path.join(prefix, 'conf', 'nginx.conf');
    writeFileSync(main, `${readFileSync(main, 'utf8')}\n# a route changed\n`);
    await writeEndpointsAhead(prefix, setOf(10, 2), deltaOf(9, 10, 2));
    assert.equal(fileVersion(prefix), 8);
    assert.equal(journalLines(prefix), 2);
    assert.equal(await new LocalNginxNode(prefix, nginxBin).reload(), 'reloaded');
    // the master applied the journal's line as it read the configuration
    assert.equal(await client.version(), 10);
    assert.deepEqual(await get(port), { status: 200, body: 'b2' });
    assert.deepEqual(await deliverEndpoints(prefix, setOf(10, 2), true, 10_000, null, true), {
      ok: true,
      version: 10,
      pushed: false,
    });
    // a set written for a reload that did not happen (or that Nginx did not load) is pushed whole
    await writeEndpointsFile(prefix, setOf(11, 3));
    assert.deepEqual(await deliverEndpoints(prefix, setOf(11, 3), true, 10_000, null, true), {
      ok: true,
      version: 11,
      pushed: true,
    });
    assert.deepEqual(await get(port), { status: 200, body: 'b3' });
  });

  it('writes the whole set again after 64 deltas, and after a delta that does not follow the last write', async () => {
    const other = mkdtempSync(path.join(tmpdir(), 'gw-journal-w-'));
    try {
      let set = setOf(1, 0);
      await deliverEndpoints(other, set, false);
      let wholes = 0;
      for (let v = 2; v <= 140; v += 1) {
        const d = deltaOf(v - 1, v, v % 4);
        set = applyDelta(set, d);
        await deliverEndpoints(other, set, false, 10_000, d);
        if (journalLines(other) === 0) wholes += 1;
        assert.ok(journalLines(other) <= 64);
        assert.deepEqual(await readEndpointsSet(other), set);
      }
      assert.equal(wholes, 2, 'versions 66 and 131 were written whole');
      // a delta from a version the files do not end at: the whole set
      const d = deltaOf(100, 141, 1);
      set = applyDelta(set, d);
      await deliverEndpoints(other, set, false, 10_000, d);
      assert.equal(fileVersion(other), 141);
      assert.equal(journalLines(other), 0);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
