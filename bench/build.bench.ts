/**
 * Codeflow builds on real Podman, git and a real registry: a cold build (new pre-processing
 * layer), a warm build (code change only: the layer is reused) and a build after the
 * pre-processing script changed; then updating a mirror with git fetch against a fresh clone
 * of a repository with a long history. Prints times and ratios.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Build, Pipeline } from '@berth/shared';
import { GitMirror } from '../packages/server/src/modules/codeflow/git-mirror';
import { startRegistry, TestRepo } from '../packages/server/test/helpers/codeflow-fixtures';
import {
  eventually,
  makeProject,
  podmanSocket,
  startPlatform,
  waitTask,
  webSpec,
} from '../packages/server/test/helpers/platform';

const run = promisify(execFile);
const commits = Number(process.env.BENCH_GIT_COMMITS ?? 500);
const rounds = Number(process.env.BENCH_ROUNDS_GIT ?? 3);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const dir = mkdtempSync(path.join(tmpdir(), 'berth-build-bench-'));
const registry = await startRegistry(dir);
const platform = await startPlatform({ BERTH_REGISTRY_LISTEN: registry.host });
const project = `bb${randomBytes(2).toString('hex')}`;
try {
  const base = await makeProject(platform.api, project);
  const svc = await platform.api.post<{ task: { id: string } }>(base, {
    name: 'web',
    spec: webSpec('v0', 1, { readiness: { type: 'http', path: '/', periodSeconds: 1 } }),
  });
  await waitTask(platform.api, svc.body.task.id);
  const repo = new TestRepo(dir);
  await repo.init();
  await repo.commitApp('v1');
  const pipelines = `/api/v1/projects/${project}/pipelines`;
  // A pre-processing script with real work: npm installs the (dependency-free) package and
  // writes 2,000 small module files, as a dependency install would.
  const preScript = (extra: string) =>
    `npm install --offline --no-audit --no-fund\nnode -e "const fs=require('fs');fs.mkdirSync('node_modules/dep',{recursive:true});for(let i=0;i<2000;i++)fs.writeFileSync('node_modules/dep/m'+i+'.js','module.exports='+i)"\n${extra}`;
  const spec = {
    target: { env: 'test', service: 'web' },
    repo: { url: repo.bare, ref: 'main' },
    template: 'node',
    preScript: preScript(''),
    buildScript: 'mkdir -p dist && cp server.js package.json dist/',
    artifactPath: 'dist',
    startCommand: 'exec node server.js',
  };
  const created = await platform.api.post<Pipeline>(pipelines, { name: 'app', ...spec });
  if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  const build = async (): Promise<Build> => {
    const r = await platform.api.post<{ build: Build }>(`${pipelines}/app/builds`, {});
    const b = await eventually(
      async () => {
        const now = await platform.api.get<Build>(`/api/v1/projects/${project}/builds/${r.body.build.id}`);
        return ['succeeded', 'failed', 'cancelled', 'timed-out'].includes(now.body.state) ? now.body : null;
      },
      'build',
      600_000,
      100,
    );
    if (b.state !== 'succeeded') throw new Error(`build ${b.number} ${b.state}: ${b.error}`);
    return b;
  };
  const total = (b: Build) => Date.parse(b.finishedAt!) - Date.parse(b.startedAt!);
  const steps = (b: Build) =>
    b.steps
      .map((x) => `${x.name} ${x.durationMs === null ? '-' : s(x.durationMs)}${x.cached ? ' (cached)' : ''}`)
      .join(', ');

  const cold = await build();
  await repo.commitApp('v2');
  const warm = await build();
  const current = (await platform.api.get<Pipeline>(`${pipelines}/app`)).body;
  await platform.api.put(`${pipelines}/app`, {
    ...spec,
    preScript: preScript('echo changed'),
    version: current.version,
  });
  await repo.commitApp('v3');
  const changed = await build();
  console.log(`cold build (new pre-processing layer):   ${s(total(cold))}  [${steps(cold)}]`);
  console.log(`warm build (code change only):           ${s(total(warm))}  [${steps(warm)}]`);
  console.log(`pre-processing script changed:           ${s(total(changed))}  [${steps(changed)}]`);
  console.log(
    `ratio cold / warm: ${(total(cold) / total(warm)).toFixed(2)}x; pre changed / warm: ${(total(changed) / total(warm)).toFixed(2)}x`,
  );
  console.log(
    `pre step alone: cold ${s(cold.steps[1]!.durationMs!)}, warm ${s(warm.steps[1]!.durationMs!)} (${(cold.steps[1]!.durationMs! / Math.max(1, warm.steps[1]!.durationMs!)).toFixed(0)}x)`,
  );
} finally {
  await platform.close();
  registry.proc.kill();
  const { stdout } = await run('podman', [
    '--url',
    `unix://${podmanSocket}`,
    'images',
    '--format',
    '{{.Repository}}:{{.Tag}}',
  ]);
  const mine = stdout
    .split('\n')
    .filter(
      (l) => l.startsWith(`${registry.host}/${project}/`) || l.startsWith(`localhost/berth-pre/${project}-`),
    );
  if (mine.length)
    await run('podman', ['--url', `unix://${podmanSocket}`, 'rmi', '-f', ...mine]).catch(() => undefined);
}

// ---- git fetch into a kept mirror vs a fresh clone, on a long history -------------------------
const bare = path.join(dir, 'history.git');
await run('git', ['init', '-q', '--bare', bare]);
await fastImport(bare, commits);
const size = (await run('du', ['-sh', bare])).stdout.split('\t')[0];
const clones: number[] = [];
const fetches: number[] = [];
const mirrorRoot = path.join(dir, 'mirrors');
for (let r = 0; r < rounds; r += 1) {
  const mirror = new GitMirror(mirrorRoot, `m${r}`);
  const t0 = performance.now();
  await mirror.update(bare, { kind: 'none' }, () => undefined);
  clones.push(performance.now() - t0);
  await fastImport(bare, 1, `refs/heads/main`);
  const t1 = performance.now();
  await mirror.update(bare, { kind: 'none' }, () => undefined);
  fetches.push(performance.now() - t1);
}
console.log(
  `git, ${commits} commits with blobs (${size}): first fetch into an empty mirror (= clone) median ${median(clones).toFixed(0)} ms; ` +
    `fetch of 1 new commit into the kept mirror median ${median(fetches).toFixed(0)} ms; ratio ${(median(clones) / median(fetches)).toFixed(1)}x`,
);
rmSync(dir, { recursive: true, force: true });

/** Appends `n` commits (each a 40 KB random blob plus a small JS file) with git fast-import. */
async function fastImport(repo: string, n: number, ref = 'refs/heads/main'): Promise<void> {
  const { stdout: head } = await run('git', [
    '--git-dir',
    repo,
    'rev-parse',
    '--verify',
    '--quiet',
    ref,
  ]).catch(() => ({
    stdout: '',
  }));
  const child = spawn('git', ['--git-dir', repo, 'fast-import', '--quiet'], {
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  const done = new Promise<void>((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`fast-import exit ${code}`)))),
  );
  const out = child.stdin;
  let from = head.trim();
  for (let i = 0; i < n; i += 1) {
    const blob = randomBytes(40 * 1024);
    const js = Buffer.from(`module.exports = ${Date.now()}${i};\n`);
    const msg = Buffer.from(`commit ${i}\n`);
    out.write(`commit ${ref}\ncommitter Bench <b@example.com> ${1700000000 + i} +0000\ndata ${msg.length}\n`);
    out.write(msg);
    if (from) out.write(`from ${from}\n`);
    from = '';
    out.write(`M 644 inline data/blob${i % 50}.bin\ndata ${blob.length}\n`);
    out.write(blob);
    out.write(`\nM 644 inline src/file${i % 20}.js\ndata ${js.length}\n`);
    out.write(js);
    out.write('\n');
  }
  out.end();
  await done;
}
