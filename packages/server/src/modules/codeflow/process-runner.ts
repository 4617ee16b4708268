/**
 * Runs a host program with an argv array (never a shell), streaming its output lines and
 * killing it on abort. The only way codeflow starts host processes (git, tar).
 */
import { spawn } from 'node:child_process';
import { EngineError } from '@berth/shared';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  signal?: AbortSignal;
  /** Each line of stderr (and of stdout unless `captureStdout`). */
  onLine?: (line: string) => void;
  /** Keep stdout (up to 1 MiB) and return it instead of streaming it. */
  captureStdout?: boolean;
}

const maxCapture = 1024 * 1024;

/** Resolves with stdout (when captured); rejects with the program's last stderr lines on failure. */
export function runProcess(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: opts.signal,
      killSignal: 'SIGKILL',
    });
    let out = '';
    const tail: string[] = [];
    const lines = (onLine: (l: string) => void) => {
      let rest = '';
      return (chunk: Buffer) => {
        rest += chunk.toString('utf8');
        const parts = rest.split(/\r?\n|\r/);
        rest = parts.pop() ?? '';
        for (const p of parts) if (p.trim()) onLine(p);
      };
    };
    const onErr = (l: string) => {
      tail.push(l);
      if (tail.length > 5) tail.shift();
      opts.onLine?.(l);
    };
    child.stderr.on('data', lines(onErr));
    if (opts.captureStdout)
      child.stdout.on('data', (c: Buffer) => {
        if (out.length < maxCapture) out += c.toString('utf8');
      });
    else
      child.stdout.on(
        'data',
        lines((l) => opts.onLine?.(l)),
      );
    child.on('error', (err) => reject(err));
    child.on('close', (code, sig) => {
      if (code === 0) resolve(out);
      else
        reject(
          new EngineError(`${cmd} ${args[0] ?? ''} failed (${sig ?? `exit ${code}`}): ${tail.join(' | ')}`, {
            command: cmd,
          }),
        );
    });
  });
}

/** Pipes `from`'s stdout into `to`'s stdin (git archive | tar -x), both as argv. */
export function pipeProcesses(
  from: { cmd: string; args: string[]; env?: NodeJS.ProcessEnv },
  to: { cmd: string; args: string[] },
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const a = spawn(from.cmd, from.args, { env: from.env, stdio: ['ignore', 'pipe', 'pipe'], signal });
    const b = spawn(to.cmd, to.args, { stdio: ['pipe', 'ignore', 'pipe'], signal });
    let errText = '';
    a.stderr.on('data', (c: Buffer) => (errText += c.toString('utf8')));
    b.stderr.on('data', (c: Buffer) => (errText += c.toString('utf8')));
    a.stdout.pipe(b.stdin);
    let done = 0;
    let failed = false;
    const finish = (name: string) => (code: number | null) => {
      if (code !== 0 && !failed) {
        failed = true;
        reject(new EngineError(`${name} failed (exit ${code}): ${errText.trim().slice(0, 500)}`));
      }
      if (++done === 2 && !failed) resolve();
    };
    a.on('error', reject);
    b.on('error', reject);
    a.on('close', finish(from.cmd));
    b.on('close', finish(to.cmd));
  });
}
