/**
 * The config store on SQLite and PostgreSQL (docs/configs.md): versions, release pins (an upsert),
 * a `none` refresh moving the running release's pin, a rolling-restart refresh making a release,
 * the usage graph and the refused delete. Services at 0 replicas: no container is started.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeProject, startPlatform, testImage, type TestPlatform } from './helpers/platform';
import { testDialects } from './helpers/db';

type Obj = Record<string, unknown>;

for (const dialect of testDialects())
  describe(`config store (${dialect})`, () => {
    let p: TestPlatform;
    let base: string;
    const configs = '/api/v1/projects/store/configs';
    const spec = (mount: Obj) => ({
      image: testImage,
      command: ['sleep', '60'],
      replicas: 0,
      mounts: [mount],
    });

    before(async () => {
      p = await startPlatform({}, { dialect });
      base = await makeProject(p.api, 'store');
    });
    after(async () => {
      await p?.close();
    });

    it('pins versions per release, refreshes by policy, reports usage and refuses delete while mounted', async () => {
      assert.equal((await p.api.post(configs, { name: 'c', files: { 'a.txt': '1' } })).status, 201);
      const roll = await p.api.post(base, { name: 'roll', spec: spec({ config: 'c', path: '/etc/c' }) });
      assert.equal(roll.status, 202, JSON.stringify(roll.body));
      const quiet = await p.api.post(base, {
        name: 'quiet',
        spec: spec({ config: 'c', path: '/etc/c', refresh: 'none' }),
      });
      assert.equal(quiet.status, 202, JSON.stringify(quiet.body));
      const pinned = await p.api.post(base, {
        name: 'pinned',
        spec: spec({ config: 'c', path: '/etc/c', version: 1 }),
      });
      assert.equal(pinned.status, 202, JSON.stringify(pinned.body));

      const up = await p.api.put<{ refreshed: Obj[] }>(`${configs}/c`, {
        files: { 'a.txt': '2' },
        reason: 'two',
      });
      assert.equal(up.status, 200, JSON.stringify(up.body));
      assert.deepEqual(up.body.refreshed.map((r) => [r.service, r.refresh, r.release]).sort(), [
        ['quiet', 'none', 1],
        ['roll', 'rolling-restart', 2],
      ]);
      const usage = await p.api.get<{ uses: Obj[] }>(`${configs}/c/usage`);
      assert.deepEqual(
        usage.body.uses.map((u) => [u.service, u.release, u.version, u.current, u.pinned]),
        [
          ['pinned', 1, 1, true, true],
          ['quiet', 1, 2, true, false],
          ['roll', 2, 2, true, false],
          ['roll', 1, 1, false, false],
        ],
      );
      const del = await p.api.delete<{ error: { code: string; message: string } }>(`${configs}/c`);
      assert.equal(del.status, 409);
      assert.match(
        del.body.error.message,
        /test\/pinned \(release 1\); test\/quiet \(release 1\); test\/roll \(release 2, 1\)/,
      );
      const rb = await p.api.post<{ config: Obj }>(`${configs}/c/rollback`, { version: 1 });
      assert.equal(rb.body.config.version, 3);
      const versions = await p.api.get<{ items: Obj[] }>(`${configs}/c/versions`);
      assert.deepEqual(
        versions.body.items.map((v) => [v.number, v.reason, v.rolledBackFrom]),
        [
          [3, 'rollback to version 1', 1],
          [2, 'two', null],
          [1, 'created', null],
        ],
      );
      assert.equal((await p.api.post(`${configs}/c/rollback`, { version: 9 })).status, 404);
      assert.equal((await p.api.post(configs, { name: 'c', files: { x: 'y' } })).status, 409);
    });
  });
