/**
 * Log collection (docs/file-logs.md): the files a service's spec.logFiles names inside its
 * containers are copied continuously to the host, under
 * `$BERTH_DATA_DIR/logs/<project>/<env>/<service>/<container>/<path inside the container>`,
 * rotated at `maxFileMiB` and kept as `maxFiles` files, and left there when the container goes.
 *
 * "Continuously" through the archive API, which has no ranges and no change notification: every
 * `intervalMs` the collector stats each known file (one HEAD per file); a file whose size or time
 * changed is read from the start and the bytes past what was copied are appended on the host.
 * Globs are expanded every `rescanMs` by reading the tree under the glob's fixed directory. What
 * was copied (offset, the file's first bytes) is kept next to the copies, so a restart of Berth
 * continues where it stopped. Runs on the leader only (a reconciler).
 */
import {
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import path from 'node:path';
import type { LogFilesSpec } from '@berth/shared';
import type { ContainerEngine } from '@berth/engine-api';
import type { ContainersDeps } from './containers-deps';
import type { ContainerRow, ServiceRow } from '../services/services.repository';
import { storedSpec } from '../services/service-views';
import {
  archiveOf,
  compileGlob,
  engineNotFound,
  FileTail,
  walkFiles,
  type TailState,
} from './container-files';

/** Ledger states in which the container exists in the engine with its files. */
const collectedStates = new Set(['starting', 'running', 'ready', 'unhealthy', 'draining', 'stopping']);
/** Files collected per container at most (the rest of a glob's matches are left out). */
export const maxCollectedFiles = 64;
/** Name of the state file in each container's directory. */
export const collectStateFile = '.berth-collect.json';

export interface LogCollectorOptions {
  /** How often known files are checked; default 2000 ms. */
  intervalMs?: number;
  /** How often globs are expanded again; default 10000 ms. */
  rescanMs?: number;
}

/** The host directory of one container's collected files. */
export function collectedDir(
  dataDir: string,
  project: string,
  env: string,
  service: string,
  container: string,
) {
  return path.join(dataDir, 'logs', project, env, service, container);
}

/** Appends to a host file, rotating it to `.1`, `.2`, … when it would pass `maxBytes`. */
export class RotatingWriter {
  private fd: FileHandle | null = null;
  private size = 0;

  constructor(
    private readonly file: string,
    private readonly maxBytes: number,
    private readonly maxFiles: number,
  ) {}

  async write(buf: Buffer): Promise<void> {
    let rest = buf;
    while (rest.length > 0) {
      if (!this.fd) await this.openFile();
      if (this.size >= this.maxBytes) await this.rotate();
      const part = rest.subarray(0, this.maxBytes - this.size);
      await this.fd!.write(part);
      this.size += part.length;
      rest = rest.subarray(part.length);
    }
  }

  async close(): Promise<void> {
    await this.fd?.close();
    this.fd = null;
  }

  private async openFile(): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    this.fd = await open(this.file, 'a', 0o600);
    this.size = (await this.fd.stat()).size;
  }

  private async rotate(): Promise<void> {
    await this.close();
    await rm(`${this.file}.${this.maxFiles - 1}`, { force: true });
    for (let i = this.maxFiles - 2; i >= 1; i -= 1)
      await rename(`${this.file}.${i}`, `${this.file}.${i + 1}`).catch(() => undefined);
    if (this.maxFiles > 1) await rename(this.file, `${this.file}.1`);
    else await rm(this.file, { force: true });
    this.fd = await open(this.file, 'a', 0o600);
    this.size = 0;
  }
}

interface Collected {
  dir: string;
  tails: Map<string, FileTail>;
  lastScan: number;
  /** The paths the globs matched at the last scan. */
  matched: string[];
  stateLoaded: boolean;
  saved: string;
}

export class LogCollector {
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<void> | null = null;
  private readonly containers = new Map<string, Collected>();
  private readonly intervalMs: number;
  private readonly rescanMs: number;
  /** One collection at a time per container (the round and a last copy must not interleave). */
  private readonly locks = new Map<string, Promise<void>>();
  /** spec.logFiles of each release seen (null: none). */
  private readonly specs = new Map<string, LogFilesSpec | null>();

  constructor(
    private readonly deps: ContainersDeps,
    private readonly services: { findById(id: string): Promise<ServiceRow | undefined> },
    opts: LogCollectorOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 2000;
    this.rescanMs = opts.rescanMs ?? 10_000;
  }

  get running(): boolean {
    return this.timer !== null;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.busy)
        this.busy = this.collectOnce()
          .catch((err: unknown) => this.deps.ctx.log.warn({ err }, 'log collection round failed'))
          .finally(() => {
            this.busy = null;
          });
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.busy;
    this.containers.clear();
  }

  /** One round over every current container whose release asks for log files. */
  async collectOnce(): Promise<void> {
    const rows = (await this.deps.repo.activeContainers()).filter(
      (r) => r.engine_id && collectedStates.has(r.state),
    );
    const services = new Map<string, ServiceRow | undefined>();
    const seen = new Set<string>();
    for (const row of rows) {
      if (!services.has(row.service_id))
        services.set(row.service_id, await this.services.findById(row.service_id));
      const service = services.get(row.service_id);
      if (!service) continue;
      const spec = await this.logFilesOf(row);
      if (!spec) continue;
      seen.add(row.name);
      try {
        await this.serial(row.name, () => this.collectContainer(service, row, spec));
      } catch (err) {
        this.deps.ctx.log.debug({ err, container: row.name }, 'log collection of a container failed');
      }
    }
    for (const name of this.containers.keys()) if (!seen.has(name)) this.containers.delete(name);
  }

  /**
   * One last copy of a container's files after it stopped and before the engine removes it (the
   * container runner's hook), with the globs expanded again; gives up after `finalMs`.
   */
  async finalCopy(row: ContainerRow, finalMs = 10_000): Promise<void> {
    if (!row.engine_id) return;
    const spec = await this.logFilesOf(row);
    if (!spec) return;
    const service = await this.services.findById(row.service_id);
    if (!service) return;
    let timer: NodeJS.Timeout | undefined;
    const work = this.serial(row.name, () => this.collectContainer(service, row, spec, true));
    try {
      await Promise.race([
        work,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, finalMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      this.containers.delete(row.name);
    }
  }

  /** A release's spec.logFiles; releases never change, so each is read from the store once. */
  private async logFilesOf(row: ContainerRow): Promise<LogFilesSpec | undefined> {
    const key = `${row.service_id}#${row.release}`;
    if (!this.specs.has(key)) {
      const release = await this.deps.repo.getRelease(row.service_id, row.release);
      if (!release) return undefined;
      if (this.specs.size >= 10_000) this.specs.clear();
      this.specs.set(key, storedSpec(release).logFiles ?? null);
    }
    return this.specs.get(key) ?? undefined;
  }

  private serial(name: string, fn: () => Promise<void>): Promise<void> {
    const next = (this.locks.get(name) ?? Promise.resolve()).then(fn);
    const settled = next.catch(() => undefined);
    this.locks.set(name, settled);
    void settled.then(() => {
      if (this.locks.get(name) === settled) this.locks.delete(name);
    });
    return next;
  }

  private async collectContainer(
    service: ServiceRow,
    row: ContainerRow,
    spec: LogFilesSpec,
    rescan = false,
  ): Promise<void> {
    let engine: ContainerEngine;
    try {
      engine = await this.deps.engines.get(row.cluster);
    } catch {
      return; // the cluster is unreachable: the next round tries again
    }
    if (!engine.statPath || !engine.getArchive) return;
    const archive = archiveOf(engine);
    const ref = row.engine_id!;
    let c = this.containers.get(row.name);
    if (!c) {
      c = {
        dir: collectedDir(this.deps.ctx.config.dataDir, service.project, service.env, service.name, row.name),
        tails: new Map(),
        lastScan: 0,
        matched: [],
        stateLoaded: false,
        saved: '',
      };
      this.containers.set(row.name, c);
    }
    if (!c.stateLoaded) {
      const saved = await readFile(path.join(c.dir, collectStateFile), 'utf8').catch(() => '');
      const files = saved ? ((JSON.parse(saved) as { files?: Record<string, TailState> }).files ?? {}) : {};
      for (const [p, state] of Object.entries(files)) c.tails.set(p, new FileTail(archive, ref, p, state));
      c.saved = saved;
      c.stateLoaded = true;
    }
    if (rescan || Date.now() - c.lastScan >= this.rescanMs) {
      c.matched = await this.expand(archive, ref, spec.paths);
      c.lastScan = Date.now();
    }
    for (const p of c.matched) if (!c.tails.has(p)) c.tails.set(p, new FileTail(archive, ref, p));
    const maxBytes = spec.maxFileMiB * 1024 * 1024;
    for (const [p, tail] of c.tails) {
      const writer = new RotatingWriter(
        path.join(c.dir, ...p.split('/').filter(Boolean)),
        maxBytes,
        spec.maxFiles,
      );
      try {
        await tail.poll((bytes) => writer.write(bytes));
      } catch (err) {
        if (engineNotFound(err)) return; // the container went away mid-round
        throw err;
      } finally {
        await writer.close();
      }
    }
    const state = JSON.stringify({
      container: row.name,
      files: Object.fromEntries([...c.tails].map(([p, t]) => [p, t.current])),
    });
    if (state !== c.saved) {
      await mkdir(c.dir, { recursive: true, mode: 0o700 });
      const tmp = path.join(c.dir, `${collectStateFile}.tmp`);
      await writeFile(tmp, state, { mode: 0o600 });
      await rename(tmp, path.join(c.dir, collectStateFile));
      c.saved = state;
    }
  }

  /** The regular files the globs match now (a literal path is kept even before it exists). */
  private async expand(
    archive: ReturnType<typeof archiveOf>,
    ref: string,
    globs: string[],
  ): Promise<string[]> {
    const out = new Set<string>();
    for (const glob of globs) {
      const { base, regex, literal } = compileGlob(glob);
      if (literal) {
        out.add(base);
        continue;
      }
      const exists = await archive.statPath(ref, base);
      if (!exists) continue;
      const files = await walkFiles(archive, ref, base, 10 * maxCollectedFiles).catch((err: unknown) => {
        if (engineNotFound(err)) return [];
        throw err;
      });
      for (const f of files) if (regex.test(f)) out.add(f);
    }
    return [...out].sort().slice(0, maxCollectedFiles);
  }
}

/** The collected files of one container directory: path relative to it, size and time. */
export async function listCollected(
  dir: string,
): Promise<Array<{ file: string; size: number; mtime: string }>> {
  const out: Array<{ file: string; size: number; mtime: string }> = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(dir, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.name.startsWith('.berth-')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) {
        const s = await stat(path.join(dir, r));
        out.push({ file: r, size: s.size, mtime: s.mtime.toISOString() });
      }
    }
  };
  await walk('');
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
