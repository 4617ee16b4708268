/** Fixtures of the codeflow tests and benchmark: a git repository of a tiny Node.js app, a registry. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BuildRow, PipelineRow } from '../../src/modules/codeflow/codeflow.repository';
import { freePort } from './net';
import { newId, nowIso } from '../../src/util';
import { eventually } from './platform';

const run = promisify(execFile);

/** A git repository with a working copy (`work`) pushing to a bare one (`bare`, Berth's URL). */
export class TestRepo {
  readonly work: string;
  readonly bare: string;
  constructor(readonly dir: string) {
    this.work = path.join(dir, 'work');
    this.bare = path.join(dir, 'app.git');
  }
  private git(...args: string[]) {
    return run('git', ['-C', this.work, ...args]);
  }
  async init(): Promise<void> {
    await run('git', ['init', '-q', '--bare', this.bare]);
    await run('git', ['init', '-q', '-b', 'main', this.work]);
    await this.git('config', 'user.email', 'dev@example.com');
    await this.git('config', 'user.name', 'Dev');
    await this.git('remote', 'add', 'origin', this.bare);
  }
  /** Writes server.js answering `body`, commits and pushes to `branch`; returns the sha. */
  async commitApp(body: string, branch = 'main'): Promise<string> {
    writeFileSync(
      path.join(this.work, 'server.js'),
      `require('http').createServer((q, s) => s.end(${JSON.stringify(body)})).listen(process.env.PORT);\n`,
    );
    writeFileSync(path.join(this.work, 'package.json'), '{"name":"app","version":"1.0.0"}\n');
    await this.git('add', '-A');
    await this.git('commit', '-q', '-m', `serve ${body}`);
    await this.git('push', '-q', '--force', 'origin', `HEAD:refs/heads/${branch}`);
    return (await this.git('rev-parse', 'HEAD')).stdout.trim();
  }
}

export async function startRegistry(dir: string): Promise<{ host: string; proc: ChildProcess }> {
  const port = await freePort();
  const file = path.join(dir, 'registry.yml');
  writeFileSync(
    file,
    [
      'version: 0.1',
      'log: { level: error, accesslog: { disabled: true } }',
      `storage: { filesystem: { rootdirectory: ${JSON.stringify(path.join(dir, 'registry'))} }, delete: { enabled: true } }`,
      `http: { addr: "127.0.0.1:${port}" }`,
    ].join('\n'),
  );
  const proc = spawn('docker-registry', ['serve', file], { stdio: 'ignore' });
  const host = `127.0.0.1:${port}`;
  await eventually(async () => (await fetch(`http://${host}/v2/`)).ok, 'the registry');
  return { host, proc };
}

/** A stored pipeline row with plain defaults (store and queue tests). */
export function pipelineRow(name: string, set: Partial<PipelineRow> = {}): PipelineRow {
  const now = nowIso();
  return {
    id: newId(),
    project: 'shop',
    name,
    env: 'test',
    service: 'web',
    repo_url: '/srv/app.git',
    repo_ref: 'main',
    credentials_kind: 'none',
    credentials_sealed: null,
    template: 'node',
    pre_script: '',
    build_script: '',
    artifact_path: '.',
    start_command: '',
    port: 8080,
    dockerfile: '',
    timeout_seconds: 900,
    webhook_secret_sealed: null,
    next_build: 1,
    created_at: now,
    created_by: 'admin',
    updated_at: now,
    updated_by: 'admin',
    version: 1,
    ...set,
  };
}

/** A stored build row; odd numbers succeeded, even ones failed, all finished. */
export function buildRow(pipelineId: string, number: number, set: Partial<BuildRow> = {}): BuildRow {
  return {
    id: newId(),
    pipeline_id: pipelineId,
    project: 'shop',
    number,
    state: number % 2 ? 'succeeded' : 'failed',
    trigger_kind: 'manual',
    trigger_source: null,
    trigger_by: 'admin',
    ref: 'main',
    commit_json: null,
    steps_json: '[]',
    image: null,
    image_digest: null,
    task_id: `task${number}`,
    error: null,
    created_at: nowIso(),
    started_at: null,
    finished_at: nowIso(),
    ...set,
  };
}
