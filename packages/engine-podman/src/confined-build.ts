/**
 * Confined image builds: `podman build` as a child process (argv only) so that every RUN step runs
 * with no capabilities, `no-new-privileges`, memory/CPU/PID limits and in a user namespace where
 * uid 0 is an unprivileged host uid. Podman 4.3's libpod `/build` takes `dropcaps` and
 * `idmappingoptions` but neither a PID limit nor `no-new-privileges` (buildah 1.28 answers
 * "no-new-privileges is not supported"), so RUN steps go through a small OCI runtime wrapper
 * (`--runtime`) that edits each step's `config.json` before handing it to runc:
 *
 * - `process.noNewPrivileges = true`, every capability set emptied, `linux.resources.pids.limit`;
 * - refuses a step that has no user namespace mapping 0 to the configured range (fail closed);
 * - creates missing mount points (`/proc`, `/sys`, ...) that uid 0 of the namespace cannot create
 *   in a root directory owned by the real root.
 *
 * Ownership. With idmapped lower layers (kernel ≥ 5.19, containers/storage 1.4x) the writable
 * upper directory is not idmapped and storage does not map a build's writes back on commit: what
 * RUN, COPY and ADD write would land in the image owned by host ids (`uidBase + n`), and the next
 * build FROM it fails with EOVERFLOW. So a confined build runs with `--layers=false` (one working
 * container per stage, one commit at the end) and gets one extra, last step
 * `RUN ["/.berth-finish-<nonce>"]`: the wrapper recognises it, maps every id of the range back to
 * `n` in the upper directory (restoring setuid/setgid bits that chown clears) and runs the host's
 * static busybox `true` instead (bound read-only, removed again before the commit). Without
 * idmapped lowers storage maps ids itself and the wrapper leaves the upper directory alone.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BuildImageOptions } from '@berth/engine-api';
import { EngineError, InvalidError } from '@berth/shared';

/** The OCI runtime the wrapper hands steps to (runtime-notes §1: runc, not crun). */
const defaultRunc = ['/usr/sbin/runc', '/usr/bin/runc', '/sbin/runc'];

/** Wrapper settings, read by the fixer from `settings.json` next to it. */
interface WrapperSettings {
  runc: string;
  pids: number;
  uidBase: number;
  uidCount: number;
  /** One file per started step; read on cancel to kill running steps. */
  stepsDir: string;
  /** The argv of the last, appended step (`/.berth-finish-<nonce>`). */
  marker: string;
  /** The host's static busybox, run as that step. */
  busybox: string;
}

const staticBusybox = ['/bin/busybox', '/usr/bin/busybox'];

/**
 * The runtime fixer (CommonJS, run by node). Fixed text: no build value is in it; settings come
 * from a JSON file whose path is its first argument.
 */
const fixerSource = String.raw`'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const [settingsFile, ...args] = process.argv.slice(2);
const s = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
const cmd = args[0];
const name = args[args.length - 1];
const stepFile = path.join(s.stepsDir, String(name).replace(/[^A-Za-z0-9_.-]/g, '_'));
const tool = '/.berth-finish/busybox';
function fail(msg) { process.stderr.write('berth build runtime: ' + msg + '\n'); process.exit(1); }
function runc() { const r = spawnSync(s.runc, args, { stdio: 'inherit' }); return r.status === null ? 1 : r.status; }
function upperOf(root) {
  const real = fs.realpathSync(root);
  let found = null;
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const parts = line.split(' ');
    const sep = parts.indexOf('-');
    if (sep < 0 || parts[4] !== real || parts[sep + 1] !== 'overlay') continue;
    const opts = (parts[sep + 3] || '').split(',');
    const upper = opts.find((o) => o.startsWith('upperdir='));
    const lower = opts.find((o) => o.startsWith('lowerdir=')) || '';
    if (upper) found = { upper: upper.slice(9), idmappedLower: lower.includes('/mapped/') };
  }
  return found;
}
function unshift(dir) {
  const lo = s.uidBase, hi = s.uidBase + s.uidCount;
  const fix = (p) => {
    const st = fs.lstatSync(p);
    const inU = st.uid >= lo && st.uid < hi, inG = st.gid >= lo && st.gid < hi;
    if (inU || inG) {
      fs.lchownSync(p, inU ? st.uid - lo : st.uid, inG ? st.gid - lo : st.gid);
      if (st.isFile() && (st.mode & 0o6000)) fs.chmodSync(p, st.mode & 0o7777);
    }
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) fix(path.join(p, e));
  };
  fix(dir);
}
if (cmd === 'create') {
  const bi = args.indexOf('--bundle');
  const bundle = bi >= 0 ? args[bi + 1] : process.cwd();
  const file = path.join(bundle, 'config.json');
  const cfg = JSON.parse(fs.readFileSync(file, 'utf8'));
  const linux = (cfg.linux = cfg.linux || {});
  const userns = (linux.namespaces || []).some((n) => n.type === 'user');
  const m0 = (linux.uidMappings || []).find((m) => m.containerID === 0);
  const g0 = (linux.gidMappings || []).find((m) => m.containerID === 0);
  if (!userns || !m0 || m0.hostID !== s.uidBase || !g0 || g0.hostID !== s.uidBase)
    fail('refusing a RUN step without the build user namespace (uid 0 -> ' + s.uidBase + ')');
  cfg.process.noNewPrivileges = true;
  cfg.process.capabilities = { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] };
  linux.resources = linux.resources || {};
  linux.resources.pids = { limit: s.pids };
  const root = path.resolve(bundle, cfg.root.path);
  const up = upperOf(root);
  const shifted = up && up.idmappedLower ? up.upper : null;
  const finish = Array.isArray(cfg.process.args) && cfg.process.args.length === 1 && cfg.process.args[0] === s.marker;
  if (shifted) {
    const st = fs.lstatSync(shifted);
    if (finish) unshift(shifted);
    else if (st.uid === 0) fs.lchownSync(shifted, s.uidBase, st.gid === 0 ? s.uidBase : st.gid);
  }
  if (finish) {
    cfg.process.args = [tool, 'true'];
    cfg.process.cwd = '/';
    cfg.mounts = (cfg.mounts || []).concat([
      { destination: tool, type: 'bind', source: s.busybox, options: ['bind', 'ro', 'nosuid', 'nodev'] },
    ]);
  }
  for (const m of cfg.mounts || []) {
    const dest = path.join(root, m.destination);
    let exists = true;
    try { fs.lstatSync(dest); } catch { exists = false; }
    if (exists) continue;
    let isFile = false;
    try { isFile = m.type === 'bind' && fs.statSync(m.source).isFile(); } catch {}
    fs.mkdirSync(isFile ? path.dirname(dest) : dest, { recursive: true });
    if (isFile) fs.writeFileSync(dest, '');
  }
  fs.writeFileSync(file, JSON.stringify(cfg));
  fs.writeFileSync(stepFile, JSON.stringify({ name, finishUpper: finish && up ? up.upper : null }));
  process.exit(runc());
}
if (cmd === 'delete') {
  const code = runc();
  let step = null;
  try { step = JSON.parse(fs.readFileSync(stepFile, 'utf8')); } catch {}
  if (step && step.finishUpper) fs.rmSync(path.join(step.finishUpper, '.berth-finish'), { recursive: true, force: true });
  try { fs.unlinkSync(stepFile); } catch {}
  process.exit(code);
}
process.exit(runc());
`;

function findRunc(): string {
  const found = defaultRunc.find((p) => existsSync(p));
  if (!found)
    throw new EngineError('Confined builds need runc; none was found in /usr/sbin, /usr/bin or /sbin.');
  return found;
}

/** Paths baked into the generated shell wrapper must be plain (no quoting games). */
function plainPath(p: string): string {
  if (!/^[A-Za-z0-9_./+-]+$/.test(p))
    throw new InvalidError(
      `The build state path ${JSON.stringify(p)} has characters the runtime wrapper cannot hold.`,
    );
  return p;
}

/** Writes the wrapper for one build into `dir`; returns the path of the runtime to pass podman. */
function writeWrapper(dir: string, settings: WrapperSettings): string {
  mkdirSync(settings.stepsDir, { recursive: true, mode: 0o700 });
  const fixer = path.join(dir, 'fixer.cjs');
  const settingsFile = path.join(dir, 'settings.json');
  const runtime = path.join(dir, 'runtime.sh');
  writeFileSync(fixer, fixerSource, { mode: 0o600 });
  writeFileSync(settingsFile, JSON.stringify(settings), { mode: 0o600 });
  const node = plainPath(process.execPath);
  writeFileSync(
    runtime,
    [
      '#!/bin/sh',
      '# Berth confined-build runtime (generated by engine-podman/src/confined-build.ts).',
      'case "$1" in',
      `  create|delete) exec ${node} ${plainPath(fixer)} ${plainPath(settingsFile)} "$@" ;;`,
      `  *) exec ${plainPath(settings.runc)} "$@" ;;`,
      'esac',
      '',
    ].join('\n'),
    { mode: 0o700 },
  );
  return runtime;
}

/** The `podman build` argv of a confined build of `contextDir`. */
export function confinedBuildArgs(
  contextDir: string,
  opts: BuildImageOptions,
  runtime: string,
  dockerfile: string,
): string[] {
  const c = opts.confine!;
  const ids = `0:${c.uidBase}:${c.uidCount}`;
  const args = [
    'build',
    // One working container per stage and one commit at the end, after the ownership step.
    '--layers=false',
    '--isolation=oci',
    `--runtime=${runtime}`,
    '--cap-drop=all',
    `--userns-uid-map=${ids}`,
    `--userns-gid-map=${ids}`,
    `--memory=${c.memoryMiB}m`,
    `--memory-swap=${c.memoryMiB}m`,
    '--cpu-period=100000',
    `--cpu-quota=${Math.max(1000, Math.round(c.cpu * 100000))}`,
    '--format=oci',
    '--force-rm',
    // the project's build network (isolated); podman's default network reaches every env network
    ...(opts.network ? [`--network=${opts.network.name}`] : []),
    '-f',
    dockerfile,
    '-t',
    opts.tag,
  ];
  for (const [k, v] of Object.entries(opts.labels ?? {})) args.push('--label', `${k}=${v}`);
  for (const [k, v] of Object.entries(opts.buildArgs ?? {})) args.push('--build-arg', `${k}=${v}`);
  args.push('--', contextDir);
  return args;
}

/**
 * Builds `contextDir` with `podman build` under `opts.confine`; yields output lines, throws an
 * EngineError with the last lines on failure. Aborting `opts.signal` stops podman and kills the
 * RUN step that is running.
 */
export async function* buildConfined(
  contextDir: string,
  opts: BuildImageOptions,
  podman = 'podman',
): AsyncGenerator<string> {
  const c = opts.confine;
  if (!c) throw new InvalidError('buildConfined needs opts.confine.');
  for (const [k, v] of Object.entries({
    memoryMiB: c.memoryMiB,
    pids: c.pids,
    uidBase: c.uidBase,
    uidCount: c.uidCount,
  }))
    if (!Number.isInteger(v) || v <= 0)
      throw new InvalidError(`Build confinement ${k} must be a positive integer, got ${v}.`);
  const dir = path.join(
    c.stateDir,
    `b-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
  );
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const busybox = staticBusybox.find((p) => existsSync(p));
  if (!busybox)
    throw new EngineError('Confined builds need the static busybox (Debian package busybox-static).');
  const settings: WrapperSettings = {
    runc: findRunc(),
    pids: c.pids,
    uidBase: c.uidBase,
    uidCount: c.uidCount,
    stepsDir: path.join(dir, 'steps'),
    marker: `/.berth-finish-${randomBytes(8).toString('hex')}`,
    busybox,
  };
  const runtime = writeWrapper(dir, settings);
  const dockerfile = path.join(dir, 'Dockerfile');
  const source = readFileSync(path.join(contextDir, opts.dockerfile ?? 'Dockerfile'), 'utf8');
  writeFileSync(dockerfile, withFinishStep(source, settings.marker));
  const child = spawn(podman, confinedBuildArgs(contextDir, opts, runtime, dockerfile), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const queue: string[] = [];
  const tail: string[] = [];
  let wake: (() => void) | null = null;
  let exit: { code: number | null; sig: NodeJS.Signals | null } | null = null;
  let spawnError: Error | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const splitter = (keepTail: boolean) => {
    let rest = '';
    return (chunk: Buffer) => {
      rest += chunk.toString('utf8');
      const parts = rest.split(/\r?\n/);
      rest = parts.pop() ?? '';
      for (const p of parts) {
        if (!p.trim()) continue;
        queue.push(p);
        if (keepTail) {
          tail.push(p);
          if (tail.length > 8) tail.shift();
        }
      }
      notify();
    };
  };
  child.stdout.on('data', splitter(true));
  child.stderr.on('data', splitter(true));
  child.on('error', (err) => {
    spawnError = err;
    notify();
  });
  const closed = new Promise<void>((resolve) =>
    child.on('close', (code, sig) => {
      exit = { code, sig };
      notify();
      resolve();
    }),
  );
  const abort = () => {
    child.kill('SIGTERM');
    killSteps(settings);
    setTimeout(() => {
      if (!exit) child.kill('SIGKILL');
      killSteps(settings);
    }, 5000).unref();
  };
  opts.signal?.addEventListener('abort', abort, { once: true });
  try {
    if (opts.signal?.aborted) abort();
    for (;;) {
      while (queue.length) yield queue.shift()!;
      if (spawnError)
        throw new EngineError(`Could not start ${podman} build: ${(spawnError as Error).message}`);
      if (exit) break;
      await new Promise<void>((r) => (wake = r));
    }
    while (queue.length) yield queue.shift()!;
    opts.signal?.throwIfAborted();
    const done = exit as { code: number | null; sig: NodeJS.Signals | null } | null;
    if (done?.code !== 0)
      throw new EngineError(
        `Image build failed (${done?.sig ?? `exit ${done?.code}`}): ${tail.join(' | ')}`,
        {
          image: opts.tag,
        },
      );
  } finally {
    opts.signal?.removeEventListener('abort', abort);
    if (!exit && !spawnError) {
      child.kill('SIGKILL');
      killSteps(settings);
      // podman's own clean-up (runtime delete) still needs the wrapper: remove it afterwards.
      await Promise.race([closed, new Promise((r) => setTimeout(r, 10_000).unref())]);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The Dockerfile plus the last step that maps file ownership back (see the top of this file).
 * A Dockerfile that ends in a line continuation would swallow that step: it is refused.
 */
export function withFinishStep(dockerfile: string, marker: string): string {
  const escape = /^#\s*escape\s*=\s*`/im.test(dockerfile.split('\n').slice(0, 5).join('\n')) ? '`' : '\\';
  const lines = dockerfile.split(/\r?\n/).filter((l) => l.trim() !== '' && !/^\s*#/.test(l));
  const last = lines[lines.length - 1]?.trimEnd() ?? '';
  if (last.endsWith(escape))
    throw new InvalidError(
      `The Dockerfile ends with a line continuation ("${escape}"): finish its last instruction.`,
    );
  return `${dockerfile.replace(/\s*$/, '')}\n\n# added by Berth: maps file ownership out of the build's user namespace\nRUN ${JSON.stringify([marker])}\n`;
}

/** Kills the RUN steps of one build that are still running (cancel, time-out). */
function killSteps(settings: WrapperSettings): void {
  if (!existsSync(settings.stepsDir)) return;
  for (const f of readdirSync(settings.stepsDir)) {
    let name: string;
    try {
      name = (JSON.parse(readFileSync(path.join(settings.stepsDir, f), 'utf8')) as { name: string }).name;
    } catch {
      continue;
    }
    spawn(settings.runc, ['kill', '--all', name, 'KILL'], { stdio: 'ignore' }).on('error', () => undefined);
  }
}
