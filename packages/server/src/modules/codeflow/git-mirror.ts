/**
 * One bare mirror per pipeline in `$dataDir/codeflow/repos/<id>.git` (runtime-notes §9): the
 * first build fetches everything into a fresh bare repository, later builds only fetch what is
 * new. Every git call is an argv array; user values (URL, refs) come after `--` or inside a
 * fixed `refs/...` prefix, and credentials travel in the environment, never in argv or logs.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BuildCommit } from '@berth/shared';
import { InvalidError } from '@berth/shared';
import { pipeProcesses, runProcess } from './process-runner';

/** Credentials of a repository, opened from the sealed store. */
export type RepoCredentials =
  | { kind: 'none' }
  | { kind: 'token'; username?: string; token: string }
  | { kind: 'deploy-key'; privateKey: string };

/** A script git runs for a password; it only echoes environment variables set by Berth. */
const askpassScript = `#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "$BERTH_GIT_USERNAME" ;;
  *) printf '%s\\n' "$BERTH_GIT_PASSWORD" ;;
esac
`;

/** Hides credentials someone put into the URL itself (https://user:token@host). */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^/@]*@/i, '$1***@');
}

/**
 * The environment of every git call: no prompts, only safe transports, credentials by env
 * (an askpass script or a key file written into `scratch`, a private directory).
 */
export function gitEnv(creds: RepoCredentials, scratch: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: scratch,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ALLOW_PROTOCOL: 'file:git:http:https:ssh',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_SSH_COMMAND: 'ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new',
  };
  if (creds.kind === 'token') {
    const askpass = path.join(scratch, 'askpass.sh');
    writeFileSync(askpass, askpassScript, { mode: 0o700 });
    env.GIT_ASKPASS = askpass;
    env.BERTH_GIT_USERNAME = creds.username ?? 'oauth2';
    env.BERTH_GIT_PASSWORD = creds.token;
  } else if (creds.kind === 'deploy-key') {
    const key = path.join(scratch, 'deploy-key');
    writeFileSync(key, creds.privateKey.endsWith('\n') ? creds.privateKey : `${creds.privateKey}\n`, {
      mode: 0o600,
    });
    // git runs this through a shell: only Berth's own paths go in, quoted (the data dir may hold spaces).
    env.GIT_SSH_COMMAND = `ssh -i ${shellQuote(key)} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=${shellQuote(path.join(scratch, 'known_hosts'))}`;
  }
  return env;
}

export class GitMirror {
  readonly dir: string;
  constructor(
    private readonly root: string,
    pipelineId: string,
  ) {
    this.dir = path.join(root, 'repos', `${pipelineId}.git`);
  }

  exists(): boolean {
    return existsSync(path.join(this.dir, 'HEAD'));
  }

  /**
   * Brings the mirror up to date with `url`: `git init --bare` the first time, then always
   * `git fetch` of all branches and tags. Returns whether the mirror was new (a full fetch).
   */
  async update(
    url: string,
    creds: RepoCredentials,
    log: (line: string) => void,
    signal?: AbortSignal,
  ): Promise<{ fresh: boolean }> {
    if (url.startsWith('-')) throw new InvalidError('The repository URL must not start with "-".');
    const scratch = path.join(this.root, 'tmp', `git-${path.basename(this.dir)}-${process.pid}`);
    mkdirSync(scratch, { recursive: true, mode: 0o700 });
    try {
      const fresh = !this.exists();
      if (fresh) {
        mkdirSync(this.dir, { recursive: true });
        await runProcess('git', ['init', '--quiet', '--bare', this.dir], { signal });
      }
      const env = gitEnv(creds, scratch);
      log(`${fresh ? 'cloning' : 'fetching'} ${redactUrl(url)} into the mirror`);
      await runProcess(
        'git',
        [
          '--git-dir',
          this.dir,
          '-c',
          'protocol.ext.allow=never',
          'fetch',
          '--prune',
          '--force',
          '--no-write-fetch-head',
          '--',
          url,
          '+refs/heads/*:refs/heads/*',
          '+refs/tags/*:refs/tags/*',
        ],
        { env, signal, onLine: (l) => log(redactSecrets(l, creds)) },
      );
      return { fresh };
    } catch (err) {
      if (!this.exists()) rmSync(this.dir, { recursive: true, force: true });
      throw err;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  /** The commit a branch or tag name points at, or null. */
  async resolve(ref: string): Promise<string | null> {
    for (const full of [`refs/heads/${ref}`, `refs/tags/${ref}`]) {
      try {
        const out = await runProcess(
          'git',
          ['--git-dir', this.dir, 'rev-parse', '--verify', '--quiet', '--end-of-options', `${full}^{commit}`],
          { captureStdout: true },
        );
        const sha = out.trim();
        if (/^[0-9a-f]{40,64}$/.test(sha)) return sha;
      } catch {
        // not this kind of ref
      }
    }
    return null;
  }

  /** Whether the mirror has this commit. */
  async hasCommit(sha: string): Promise<boolean> {
    if (!/^[0-9a-f]{40,64}$/.test(sha)) return false;
    try {
      await runProcess('git', ['--git-dir', this.dir, 'cat-file', '-e', `${sha}^{commit}`]);
      return true;
    } catch {
      return false;
    }
  }

  async commitInfo(sha: string, ref: string): Promise<BuildCommit> {
    const out = await runProcess(
      'git',
      ['--git-dir', this.dir, 'log', '-1', '--format=%H%x00%an <%ae>%x00%s', sha, '--'],
      { captureStdout: true },
    );
    const [full = sha, author = '', message = ''] = out.trim().split('\0');
    return { sha: full, ref, author, message };
  }

  /** Writes the files of `sha` (no .git) into `dir`: `git archive | tar -x`. */
  async export(sha: string, dir: string, signal?: AbortSignal): Promise<void> {
    mkdirSync(dir, { recursive: true });
    await pipeProcesses(
      { cmd: 'git', args: ['--git-dir', this.dir, 'archive', '--format=tar', sha] },
      { cmd: 'tar', args: ['-x', '--no-same-owner', '-C', dir] },
      signal,
    );
  }
}

/** A single-quoted shell word. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function redactSecrets(line: string, creds: RepoCredentials): string {
  if (creds.kind === 'token' && creds.token && line.includes(creds.token))
    return line.split(creds.token).join('***');
  return redactUrl(line);
}

/** Whether a pushed branch or tag name matches the pipeline's pattern ("*" matches anything). */
export function refMatches(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`);
  return re.test(name);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
