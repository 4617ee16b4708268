import http from 'node:http';
import { appendFileSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import {
  applyDelta,
  controlDir,
  controlSocketPath,
  endpointsFile,
  endpointsJournal,
  setBytes,
  setJson,
  type EndpointDelta,
  type EndpointSet,
} from './dynamic-upstreams';

/*
 * The agent's side of the endpoints interface (docs/gateway.md, "Endpoints without reload"):
 * preparing a node's endpoints directory, seeding the endpoints file of a node that has never
 * started, and a client for the control socket.
 */

/** An answer of the control server: the status and the decoded JSON body. */
export interface ControlAnswer {
  status: number;
  body: Record<string, unknown>;
}

async function idOf(file: string, name: string): Promise<number | null> {
  const text = await readFile(file, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] !== undefined) return Number(f[2]);
  }
  return null;
}

/**
 * Creates the node's two directories for the endpoints interface (call before starting Nginx):
 * - PREFIX/control (0700, the caller's): holds the control socket. Nginx creates unix sockets
 *   with mode 0666, so this directory is what keeps everyone but the agent's user out.
 * - PREFIX/endpoints (0700): the workers write the endpoints file there. When Nginx is started
 *   as root its workers run as nobody:nogroup (Debian's build default; the configuration has
 *   no `user` directive), so the directory is given to them; otherwise the workers are the
 *   caller's user already.
 */
export async function prepareNodeDirs(
  prefix: string,
  /** false when the agent writes the endpoints file (fileWriter "agent"): the workers need no access. */
  workersWrite = true,
): Promise<void> {
  const control = path.join(prefix, controlDir);
  await mkdir(control, { recursive: true, mode: 0o700 });
  await chmod(control, 0o700);
  const dir = path.join(prefix, path.dirname(endpointsFile));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  if (workersWrite && process.getuid?.() === 0) {
    // The workers reach PREFIX/endpoints only through a prefix others may traverse.
    if (((await stat(prefix)).mode & 0o001) === 0)
      throw new Error(
        `${prefix} must be searchable by others (chmod o+x): Nginx's workers run as nobody and write ${endpointsFile} in it`,
      );
    const uid = await idOf('/etc/passwd', 'nobody');
    const gid = (await idOf('/etc/group', 'nogroup')) ?? (await idOf('/etc/group', 'nobody'));
    if (uid !== null && gid !== null) await chown(dir, uid, gid);
  }
}

/** Per prefix, what this process last wrote there: the version its file and journal end at. */
const written = new Map<string, { tip: number; lines: number }>();

/** Deltas a journal takes before the next change writes the whole set again. */
const journalMax = 64;

/**
 * Writes the endpoints file of a node whole (write, then rename) and drops its journal, whose
 * deltas the set includes: before its Nginx first starts, so it serves that set from its first
 * request, and before a reload. A running node gets sets through `deliverEndpoints`.
 */
export async function writeEndpointsFile(prefix: string, set: EndpointSet): Promise<void> {
  // Version 0 is a gateway that never applied anything: no endpoints (Nginx takes positive versions).
  if (set.version === 0) return;
  const file = path.join(prefix, endpointsFile);
  written.delete(prefix);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(`${file}.next`, setBytes(set));
  await rename(`${file}.next`, file);
  // a journal left behind holds versions up to this one only: skipped by every reader
  await unlink(path.join(prefix, endpointsJournal)).catch(() => undefined);
  written.set(prefix, { tip: set.version, lines: 0 });
}

/**
 * Writes a set ahead of its push: only its delta, appended to the journal, when the delta starts
 * at the version this process last wrote there (and the journal is short); the whole file
 * otherwise (a first write after a start, a gap, every 64 deltas). Also before a reload, for a
 * configuration whose set has the same pools as the one before it (a route change): the master
 * then applies one journal line as it reads the configuration instead of decoding and storing
 * every pool of a new file (~70 ms of its CPU at 10,000 pools), and the 1.4 MB is not written.
 */
export async function writeEndpointsAhead(
  prefix: string,
  set: EndpointSet,
  delta: EndpointDelta | null,
): Promise<void> {
  const w = written.get(prefix);
  if (!delta || delta.version !== set.version || w?.tip !== delta.base || w.lines >= journalMax)
    return writeEndpointsFile(prefix, set);
  written.delete(prefix); // a failed or torn append: the next write is whole
  // One short line, written synchronously (a write into the page cache, no fsync): each
  // asynchronous step here (open, write, close) waited a turn of an event loop that is busy
  // with the change's other work (the agents' polls, the service controller), ~10-20 ms per
  // change at load 2-5, ahead of the push.
  appendFileSync(path.join(prefix, endpointsJournal), `${JSON.stringify(delta)}\n`);
  written.set(prefix, { tip: delta.version, lines: w.lines + 1 });
}

/**
 * The set a node's files hold, as its Nginx loads it at start: the endpoints file, then each
 * journal delta that follows from the version before it (versions the file holds are skipped; a
 * torn line or a gap ends the journal). Null when there is no readable file.
 */
export async function readEndpointsSet(prefix: string): Promise<EndpointSet | null> {
  const text = await readFile(path.join(prefix, endpointsFile), 'utf8').catch(() => null);
  if (text === null) return null;
  let set: EndpointSet;
  try {
    set = JSON.parse(text) as EndpointSet;
  } catch {
    return null;
  }
  const journal = await readFile(path.join(prefix, endpointsJournal), 'utf8').catch(() => '');
  for (const line of journal.split('\n')) {
    if (line === '') continue;
    let d: EndpointDelta;
    try {
      d = JSON.parse(line) as EndpointDelta;
    } catch {
      break;
    }
    if (typeof d.version !== 'number') break;
    if (d.version <= set.version) continue;
    if (d.base !== set.version || typeof d.pools !== 'object' || d.pools === null) break;
    set = applyDelta(set, d);
  }
  return set;
}

/**
 * Removes a control socket that no Nginx listens on (left by a master that was killed; a master
 * that stops normally removes it), which would otherwise fail the next start with
 * "bind() ... (98: Address already in use)". Call it only while the node's Nginx is stopped.
 */
export async function removeStaleSocket(socket: string): Promise<boolean> {
  const alive = await new Promise<boolean>((resolve) => {
    const c = net.connect(socket);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (alive) return false;
  return unlink(socket).then(
    () => true,
    () => false,
  );
}

/**
 * Kept-alive connections per control socket: a change's push then writes its request on an open
 * connection at once, instead of connecting first (one more turn of a busy event loop). Idle
 * connections close after 30 s (Nginx's keepalive_timeout is 75 s) and never keep a process alive.
 */
const agents = new Map<string, http.Agent>();

function agentFor(socket: string): http.Agent {
  let a = agents.get(socket);
  if (!a) {
    a = new http.Agent({ keepAlive: true, maxSockets: 4, timeout: 30_000 });
    agents.set(socket, a);
  }
  return a;
}

/** An error of a request written on a kept-alive connection the server had closed meanwhile. */
function closedMeanwhile(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'ECONNRESET' || code === 'EPIPE' || (err as Error).message === 'socket hang up';
}

/** A client of one node's control socket. */
export class EndpointsClient {
  constructor(
    readonly socket: string,
    readonly timeoutMs = 10_000,
  ) {}

  /**
   * One request; on a kept-alive connection that Nginx closed meanwhile (a reload's old worker
   * shutting down, its idle timeout) it is sent once more on a new one. A repeated push is safe:
   * the same version with the same endpoints is answered 200 `unchanged`.
   */
  private async request(method: 'GET' | 'PUT' | 'PATCH', body?: string, query = ''): Promise<ControlAnswer> {
    try {
      return await this.send(method, body, query, agentFor(this.socket));
    } catch (err) {
      if (!(err instanceof ReusedSocketError)) throw err;
      return this.send(method, body, query, false);
    }
  }

  private send(
    method: 'GET' | 'PUT' | 'PATCH',
    body: string | undefined,
    query: string,
    agent: http.Agent | false,
  ): Promise<ControlAnswer> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.socket,
          path: `/endpoints${query}`,
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          timeout: this.timeoutMs,
          agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = { error: text.trim() };
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as Record<string, unknown> });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`no answer from ${this.socket} in ${this.timeoutMs} ms`)),
      );
      req.on('error', (err) =>
        reject(
          req.reusedSocket && closedMeanwhile(err) ? new ReusedSocketError(err.message, { cause: err }) : err,
        ),
      );
      req.end(body);
    });
  }

  /** The applied set (version 0 and no pools when nothing was pushed or loaded). */
  async get(): Promise<EndpointSet> {
    const a = await this.request('GET');
    if (a.status !== 200) throw new Error(`GET /endpoints answered ${a.status}: ${JSON.stringify(a.body)}`);
    return a.body as unknown as EndpointSet;
  }

  /** The applied version alone (no pools: cheap at any size). */
  async version(): Promise<number> {
    const a = await this.request('GET', undefined, '?pools=0');
    if (a.status !== 200 || typeof a.body.version !== 'number')
      throw new Error(`GET /endpoints?pools=0 answered ${a.status}: ${JSON.stringify(a.body)}`);
    return a.body.version;
  }

  /** Pushes a whole set; 200 applied, 400 invalid (nothing changed), 409 older than the applied one. */
  put(set: EndpointSet | string): Promise<ControlAnswer> {
    return this.request('PUT', typeof set === 'string' ? set : JSON.stringify(set));
  }

  /**
   * Pushes the pools that changed since `delta.base`; 200 applied, 400 invalid, 409 older than the
   * applied version or (`base: false` in the answer) the node does not run `base`: push the whole set.
   */
  patch(delta: EndpointDelta): Promise<ControlAnswer> {
    return this.request('PATCH', JSON.stringify(delta));
  }
}

/** A request failed on a kept-alive connection the server had closed: sent again on a new one. */
class ReusedSocketError extends Error {}

/** What delivering a set to a node came to. */
export type Delivery = { ok: true; version: number; pushed: boolean } | { ok: false; message: string };

/**
 * Delivers an endpoint set to a node whose configuration declares its pools (install and reload a
 * new configuration first): writes it ahead (the delta appended to the journal when it follows
 * the last write, else the whole endpoints file; so a restart serves it), then,
 * when the master runs, pushes it over the control socket — only the changed pools when `delta`
 * (from the node's version to `set`) is given, the whole set when there is none or the node runs
 * another version than the delta's base. A node already running a newer version counts as
 * delivered (`version` is then the newer one). Nothing here reloads Nginx.
 */
export async function deliverEndpoints(
  prefix: string,
  set: EndpointSet,
  running: boolean,
  timeoutMs = 10_000,
  delta: EndpointDelta | null = null,
  /**
   * The caller wrote this set's endpoints file already (before a reload, so that the master loads
   * it): not written again — at 10,000 pools it is 1.4 MB.
   */
  fileWritten = false,
): Promise<Delivery> {
  // version 0: nothing to deliver (writeEndpointsFile)
  if (set.version === 0) return { ok: true, version: 0, pushed: false };
  if (!fileWritten) await writeEndpointsAhead(prefix, set, delta);
  if (!running) return { ok: true, version: set.version, pushed: false };
  const client = new EndpointsClient(controlSocketPath(prefix), timeoutMs);
  let a: ControlAnswer;
  try {
    if (fileWritten && delta === null) {
      // After a reload the master has loaded this set's file already (init_by_lua, as it read
      // the new configuration): PUTting the same set again only made Nginx decode, validate and
      // compare every pool (~250 ms of a route change at 10,000 pools). Pushed only when the
      // node runs an older version (the file was refused, the master has not reloaded).
      const runs = await client.version().catch(() => null);
      if (runs !== null && runs >= set.version) return { ok: true, version: runs, pushed: false };
    }
    a = delta && delta.version === set.version ? await client.patch(delta) : await client.put(setJson(set));
    // the node does not run the delta's base (restarted from an older file, pushed by another
    // writer): the whole set
    if (a.status === 409 && a.body.base === false) a = await client.put(set);
  } catch (err) {
    return {
      ok: false,
      message: `the endpoints push failed: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  const applied = typeof a.body.version === 'number' ? a.body.version : null;
  if (a.status === 200) return { ok: true, version: set.version, pushed: true };
  if (a.status === 409 && applied !== null && applied > set.version)
    return { ok: true, version: applied, pushed: true };
  return {
    ok: false,
    message: `Nginx refused endpoints version ${set.version} (${a.status}): ${typeof a.body.error === 'string' ? a.body.error : JSON.stringify(a.body)}`,
  };
}
