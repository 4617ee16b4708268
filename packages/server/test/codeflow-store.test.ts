/** The codeflow store on every dialect: optimistic updates, build numbers, replay records, paging. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { migrateToLatest, openDatabase } from '../src/db/database';
import { CodeflowRepository } from '../src/modules/codeflow/codeflow.repository';
import { buildRow, pipelineRow } from './helpers/codeflow-fixtures';
import { createTestDatabase, testDialects } from './helpers/db';

for (const dialect of testDialects()) {
  describe(`codeflow store on ${dialect}`, () => {
    it('keeps pipelines, numbers builds, pages them and refuses replays', async () => {
      const tdb = await createTestDatabase(dialect);
      const opened = openDatabase(tdb.url);
      try {
        await migrateToLatest(opened.db);
        const repo = new CodeflowRepository(opened.db);
        const p = pipelineRow('web');
        await repo.insertPipeline(p);
        await assert.rejects(repo.insertPipeline({ ...pipelineRow('web') }), 'names are unique per project');
        assert.equal(await repo.updatePipeline(p.id, 1, { repo_ref: 'release/*' }), true);
        assert.equal(await repo.updatePipeline(p.id, 1, { repo_ref: 'lost' }), false, 'stale version');
        assert.equal((await repo.findPipeline('shop', 'web'))?.repo_ref, 'release/*');

        const numbers = await Promise.all([1, 2, 3, 4, 5].map(() => repo.takeBuildNumber(p.id)));
        assert.deepEqual([...numbers].sort(), [1, 2, 3, 4, 5]);
        for (const n of numbers) await repo.insertBuild(buildRow(p.id, n));
        const first = await repo.listBuilds(p.id, undefined, 2);
        assert.deepEqual(
          first.map((b) => b.number),
          [5, 4, 3],
          'newest first, one extra for the cursor',
        );
        assert.deepEqual(
          (await repo.listBuilds(p.id, 4, 2)).map((b) => b.number),
          [3, 2, 1],
        );
        assert.deepEqual(await repo.oldBuildTasks(p.id, 3), ['task2', 'task1']);

        assert.equal(await repo.recordDelivery(p.id, 'd1'), true);
        assert.equal(await repo.recordDelivery(p.id, 'd1'), false);
        assert.equal(await repo.recordDelivery(p.id, 'd2'), true);

        await repo.deletePipeline(p.id);
        assert.equal(await repo.findPipeline('shop', 'web'), null);
        assert.equal((await repo.listBuilds(p.id, undefined, 10)).length, 0);
      } finally {
        await opened.close();
        await tdb.drop();
      }
    });
  });
}
