/**
 * The build queue: a concurrency limit, cancel while queued or running, the time-out, and
 * recovery after a kill -9 (on the real Podman engine).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrateToLatest, openDatabase, type OpenedDb } from '../src/db/database';
import type { AppContext } from '../src/http/context';
import { BuildQueue } from '../src/modules/codeflow/build-queue';
import {
  buildLabel,
  defaultCodeflowSettings,
  type BuildJob,
  type BuildRunner,
} from '../src/modules/codeflow/build-runner';
import { initialSteps } from '../src/modules/codeflow/build-steps';
import { CodeflowRepository, type BuildRow } from '../src/modules/codeflow/codeflow.repository';
import { buildRow, pipelineRow } from './helpers/codeflow-fixtures';
import { TaskRepository } from '../src/modules/tasks/tasks.repository';
import { PodmanEngine } from '@berth/engine-podman';
import { eventually, podmanSocket, testImage } from './helpers/platform';
import { newId } from '../src/util';

/** A runner whose builds end when the test says so, or when aborted. */
class ScriptedRunner {
  readonly started: string[] = [];
  private readonly release = new Map<string, () => void>();
  run(job: BuildJob): Promise<void> {
    this.started.push(job.build.id);
    return new Promise((resolve, reject) => {
      this.release.set(job.build.id, resolve);
      job.signal.addEventListener('abort', () => reject(new Error('aborted')));
    });
  }
  finish(id: string): void {
    this.release.get(id)?.();
  }
}

describe('build queue', () => {
  let dir: string;
  let opened: OpenedDb;
  let repo: CodeflowRepository;
  let tasks: TaskRepository;
  let runner: ScriptedRunner;
  let queue: BuildQueue;
  const pipelineId = newId();

  async function newBuild(): Promise<BuildRow> {
    const number = await repo.takeBuildNumber(pipelineId);
    const task = await tasks.create({
      kind: 'build',
      target: `shop/pipelines/p/builds/${number}`,
      serviceId: null,
      createdBy: 't',
      total: 6,
      message: 'queued',
    });
    const row = buildRow(pipelineId, number, {
      state: 'queued',
      steps_json: JSON.stringify(initialSteps()),
      task_id: task.id,
      finished_at: null,
    });
    await repo.insertBuild(row);
    return row;
  }
  const stateOf = async (b: BuildRow) => (await repo.buildById(b.id))!.state;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'berth-queue-'));
    opened = openDatabase(path.join(dir, 'db.sqlite'));
    await migrateToLatest(opened.db);
    repo = new CodeflowRepository(opened.db);
    tasks = new TaskRepository(opened.db);
    await repo.insertPipeline(pipelineRow('p', { id: pipelineId, template: 'shell' }));
    runner = new ScriptedRunner();
    const ctx = { db: opened.db, log: { warn: () => undefined } } as unknown as AppContext;
    queue = new BuildQueue({
      ctx,
      repo,
      tasks,
      runner: runner as unknown as BuildRunner,
      settings: { ...defaultCodeflowSettings, concurrency: 1 },
      root: dir,
      credentials: () => ({ kind: 'none' }),
    });
  });
  after(async () => {
    await queue.close();
    await opened.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs one build at a time; cancels queued and running builds; times out slow ones', async () => {
    await repo.updatePipeline(pipelineId, 1, { timeout_seconds: 60 });
    const [a, b, c] = [await newBuild(), await newBuild(), await newBuild()];
    for (const x of [a, b, c]) queue.enqueue(x.id, null);
    await eventually(async () => (await stateOf(a)) === 'running', 'a running');
    assert.deepEqual(runner.started, [a.id], 'b and c wait for a');
    assert.equal(await stateOf(b), 'queued');

    assert.equal(await queue.cancel((await repo.buildById(c.id))!), true);
    assert.equal(await stateOf(c), 'cancelled');
    assert.equal((await tasks.get(c.task_id))?.state, 'cancelled');

    runner.finish(a.id);
    await eventually(async () => (await stateOf(a)) === 'succeeded', 'a succeeded');
    await eventually(async () => (await stateOf(b)) === 'running', 'b starts after a');
    assert.equal(await queue.cancel((await repo.buildById(b.id))!), true);
    await eventually(async () => (await stateOf(b)) === 'cancelled', 'b cancelled while running');
    assert.deepEqual(runner.started, [a.id, b.id], 'the cancelled queued build never ran');

    await repo.updatePipeline(pipelineId, 2, { timeout_seconds: 0.3 });
    const d = await newBuild();
    queue.enqueue(d.id, null);
    await eventually(async () => (await stateOf(d)) === 'timed-out', 'd timed out', 5000);
    const row = (await repo.buildById(d.id))!;
    assert.match(row.error ?? '', /timeout of 0.3 s/);
    assert.equal((await tasks.get(d.task_id))?.state, 'failed');
  });

  it('after a kill -9, recover fails the running build and removes its container and work dir', async () => {
    const engine = new PodmanEngine({ socketPath: podmanSocket });
    const b = await newBuild();
    await repo.updateBuild(b.id, { state: 'running' });
    const work = path.join(dir, 'work', b.id, 'src');
    mkdirSync(work, { recursive: true });
    writeFileSync(path.join(work, 'server.js'), '');
    const id = await engine.runContainer({
      name: `berth-build-${b.id}`,
      image: testImage,
      command: ['sleep', '300'],
      env: {},
      labels: { [buildLabel]: b.id },
      ports: [],
      user: '65534:65534',
    });
    try {
      const ctx = { db: opened.db, log: { warn: () => undefined } } as unknown as AppContext;
      const restarted = new BuildQueue({
        ctx,
        repo,
        tasks,
        runner: runner as unknown as BuildRunner,
        settings: { ...defaultCodeflowSettings, concurrency: 1 },
        root: dir,
        credentials: () => ({ kind: 'none' }),
        engine,
      });
      await restarted.recover();
      const row = (await repo.buildById(b.id))!;
      assert.equal(row.state, 'failed');
      assert.match(row.error ?? '', /server restarted while this build ran/);
      assert.equal((await tasks.get(b.task_id))?.state, 'failed');
      assert.deepEqual(
        await engine.listContainers({ [buildLabel]: b.id }),
        [],
        'the build container is gone',
      );
      assert.equal(existsSync(path.join(dir, 'work', b.id)), false, 'the work dir is gone');
      await restarted.close();
    } finally {
      await engine.removeContainer(id);
    }
  });
});
