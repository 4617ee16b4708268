/**
 * The filters of the fleet view (`GET /api/v1/fleet/moves?project=&env=&cluster=`), on SQLite and
 * PostgreSQL: each narrows the list, together they all apply; a cluster matches where it is wanted,
 * running or failed over, and only by its whole name; a developer sees only their projects, and
 * asking for another project lists nothing, exactly as for a project that does not exist; a bad
 * name is a 400 at its parameter, an unregistered cluster a 422 at `cluster`; the OpenAPI document
 * lists the three parameters.
 *
 * The moving services are written into the store as the fleet controller writes them (its
 * repository, the same JSON), so every case is set up at once; that the controller writes them
 * during a real failover is fleet.it.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PlacementMove } from '@berth/shared';
import { PlacementMovesRepository } from '../src/modules/placement/placement-moves.repository';
import { testDialects } from './helpers/db';
import { makeProject, startPlatform, TestApi, type TestPlatform } from './helpers/platform';

interface ErrorBody {
  error: { code: string; message: string; details?: { fields?: { path: string; message: string }[] } };
}

/** A moving service as the fleet controller stores it. */
function moving(
  project: string,
  env: string,
  service: string,
  m: {
    targets: Record<string, number>;
    current: Record<string, number>;
    failedOver?: string[];
    unplaced?: number;
  },
  minutesAgo: number,
) {
  const since = new Date(Date.now() - minutesAgo * 60_000).toISOString();
  return {
    project,
    env,
    service,
    targets: JSON.stringify(m.targets),
    current: JSON.stringify(m.current),
    failed_over: JSON.stringify(m.failedOver ?? []),
    notes: JSON.stringify(m.failedOver?.map((c) => `${c}: unreachable`) ?? []),
    unplaced: m.unplaced ?? 0,
    since,
    updated_at: since,
  };
}

const names = (items: PlacementMove[]) => items.map((m) => `${m.project}/${m.env}/${m.service}`);

for (const dialect of testDialects())
  describe(`fleet moves: filters by project, env and cluster (${dialect})`, () => {
    let p: TestPlatform;
    let dev: TestApi;

    const list = async (api: TestApi, query = '') => {
      const r = await api.get<{ items: PlacementMove[] }>(`/api/v1/fleet/moves${query}`);
      assert.equal(r.status, 200, `${query}: ${JSON.stringify(r.body)}`);
      return names(r.body.items);
    };

    before(async () => {
      p = await startPlatform({ BERTH_GATEWAY_LISTEN: 'off' }, { dialect });
      await makeProject(p.api, 'shop');
      await makeProject(p.api, 'bank');
      // registered clusters the filter may name; nothing runs there (their sockets do not exist)
      for (const name of ['east', 'west']) {
        const r = await p.api.post('/api/v1/clusters', {
          name,
          kind: 'podman',
          endpoint: `unix:///tmp/berth-test/no-such-${randomBytes(4).toString('hex')}.sock`,
        });
        assert.equal(r.status, 201, JSON.stringify(r.body));
      }
      const moves = new PlacementMovesRepository(p.server.ctx.db);
      // oldest first: the list's order
      await moves.save(
        moving('shop', 'test', 'web', { targets: { local: 2, east: 0 }, current: { local: 1, east: 1 } }, 40),
      );
      await moves.save(
        moving(
          'shop',
          'prod',
          'api',
          { targets: { local: 3 }, current: { local: 1 }, failedOver: ['west'] },
          30,
        ),
      );
      await moves.save(moving('bank', 'test', 'ledger', { targets: { east: 2 }, current: { east: 1 } }, 20));
      // a cluster whose name starts with another's: east2 is not east
      await moves.save(
        moving('bank', 'prod', 'batch', { targets: { east2: 1 }, current: {}, unplaced: 1 }, 10),
      );

      const u = await p.api.post('/api/v1/users', { name: 'dora', password: 'dora-password' });
      assert.equal(u.status, 201, JSON.stringify(u.body));
      const b = await p.api.post('/api/v1/bindings', {
        user: 'dora',
        role: 'developer',
        scope: { kind: 'project', name: 'shop' },
      });
      assert.equal(b.status, 201, JSON.stringify(b.body));
      dev = await TestApi.login(p.url, 'dora', 'dora-password');
    });
    after(async () => {
      await p?.close();
    });

    it('narrows the list by project, environment and cluster, and by all three together', async () => {
      const all = ['shop/test/web', 'shop/prod/api', 'bank/test/ledger', 'bank/prod/batch'];
      assert.deepEqual(await list(p.api), all);
      assert.deepEqual(await list(p.api, '?project=shop'), ['shop/test/web', 'shop/prod/api']);
      assert.deepEqual(await list(p.api, '?env=test'), ['shop/test/web', 'bank/test/ledger']);
      // wanted or running there (web drains east), not a cluster whose name merely starts the same
      assert.deepEqual(await list(p.api, '?cluster=east'), ['shop/test/web', 'bank/test/ledger']);
      // failed over only: api's west is neither wanted nor running
      assert.deepEqual(await list(p.api, '?cluster=west'), ['shop/prod/api']);
      assert.deepEqual(await list(p.api, '?cluster=local'), ['shop/test/web', 'shop/prod/api']);
      assert.deepEqual(await list(p.api, '?project=shop&env=test&cluster=east'), ['shop/test/web']);
      assert.deepEqual(await list(p.api, '?project=bank&env=prod&cluster=east'), []);
      assert.deepEqual(await list(p.api, '?project=nowhere'), []);
      // the items are whole: counts, failed-over clusters, notes
      const api = (await p.api.get<{ items: PlacementMove[] }>('/api/v1/fleet/moves?cluster=west')).body
        .items[0]!;
      assert.deepEqual(
        { targets: api.targets, current: api.current, failedOver: api.failedOver, notes: api.notes },
        { targets: { local: 3 }, current: { local: 1 }, failedOver: ['west'], notes: ['west: unreachable'] },
      );
    });

    it('lists nothing for a project the caller may not read, as for one that does not exist', async () => {
      assert.deepEqual(await list(dev), ['shop/test/web', 'shop/prod/api']);
      assert.deepEqual(await list(dev, '?cluster=east'), ['shop/test/web']);
      const other = await dev.get<{ items: PlacementMove[] }>('/api/v1/fleet/moves?project=bank');
      const missing = await dev.get<{ items: PlacementMove[] }>('/api/v1/fleet/moves?project=nowhere');
      assert.equal(other.status, 200);
      assert.deepEqual(other.body, { items: [] });
      assert.deepEqual(missing.body, other.body, 'bank answers as a project that does not exist');
      assert.deepEqual(await list(dev, '?project=bank&cluster=east'), []);
    });

    it('refuses a bad name with a 400 at its parameter and an unregistered cluster with a 422', async () => {
      for (const [query, path] of [
        ['?project=Shop', 'project'],
        ['?env=te_st', 'env'],
        ['?cluster=East', 'cluster'],
        [`?cluster=${'c'.repeat(41)}`, 'cluster'],
        ['?project=', 'project'],
      ] as const) {
        const r = await dev.get<ErrorBody>(`/api/v1/fleet/moves${query}`);
        assert.equal(r.status, 400, `${query}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'INVALID_REQUEST');
        assert.deepEqual([...new Set(r.body.error.details?.fields?.map((f) => f.path))], [path], query);
        assert.match(r.body.error.message, new RegExp(`^Invalid query parameters\\. ${path}: `));
      }
      // a misspelt parameter is refused rather than ignored (which would list everything)
      const typo = await dev.get<ErrorBody>('/api/v1/fleet/moves?clusters=east');
      assert.equal(typo.status, 400, JSON.stringify(typo.body));
      assert.match(typo.body.error.details?.fields?.[0]?.message ?? '', /unknown field "clusters"/);

      const unknown = await dev.get<ErrorBody>('/api/v1/fleet/moves?cluster=north');
      assert.equal(unknown.status, 422, JSON.stringify(unknown.body));
      assert.deepEqual(
        unknown.body.error.details?.fields?.map((f) => f.path),
        ['cluster'],
      );
      assert.match(
        unknown.body.error.message,
        /no cluster 'north' is registered; the registered clusters are /,
      );
      for (const name of ['local', 'east', 'west'])
        assert.ok(unknown.body.error.message.includes(name), `${name} in: ${unknown.body.error.message}`);
    });

    it('documents the three parameters in the OpenAPI document', async () => {
      const doc = (
        await p.api.get<{
          paths: Record<string, { get?: { parameters?: Array<{ name: string; in: string }> } }>;
        }>('/api/openapi.json')
      ).body;
      const params = doc.paths['/api/v1/fleet/moves']?.get?.parameters ?? [];
      assert.deepEqual(params.map((q) => `${q.in}:${q.name}`).sort(), [
        'query:cluster',
        'query:env',
        'query:project',
      ]);
    });
  });
