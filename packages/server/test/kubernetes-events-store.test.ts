/**
 * A Kubernetes cluster's core Events in the event store, on SQLite and PostgreSQL (migration 0033,
 * docs/kubernetes-engine.md): written once per event key and count, a repeat with a higher count
 * replacing the older row, per service; shown through the events API with their source, object and
 * count beside Berth's own events. Services at 0 replicas: nothing runs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeProject, startPlatform, testImage, type TestPlatform } from './helpers/platform';
import { testDialects } from './helpers/db';
import { ServicesRepository } from '../src/modules/services/services.repository';
import { kubernetesEventType } from '../src/modules/services/controller/workload-events';

interface ServiceEvent {
  id: string;
  type: string;
  severity: string;
  container: string | null;
  source: string;
  object?: string;
  count?: number;
}

for (const dialect of testDialects())
  describe(`Kubernetes events in the event store (${dialect})`, () => {
    let p: TestPlatform;
    let base: string;
    let repo: ServicesRepository;
    const ids: Record<string, string> = {};
    const event = (key: string, count: number, at = '2026-12-07T01:00:00Z') => ({
      at,
      type: 'BackOff',
      severity: 'warning' as const,
      message: 'Back-off restarting failed container app',
      container: 'web-7d9c-abcde',
      object: 'Pod/web-7d9c-abcde',
      count,
      key,
    });
    const events = async (service: string) =>
      (await p.api.get<{ items: ServiceEvent[] }>(`${base}/${service}/events?limit=100`)).body.items;

    before(async () => {
      p = await startPlatform({}, { dialect });
      base = await makeProject(p.api, 'evs');
      for (const name of ['web', 'api']) {
        const r = await p.api.post(base, {
          name,
          spec: { image: testImage, command: ['sleep', '60'], replicas: 0 },
        });
        assert.equal(r.status, 202, JSON.stringify(r.body));
        const row = await p.server.ctx.db
          .selectFrom('services')
          .select('id')
          .where('project', '=', 'evs')
          .where('name', '=', name)
          .executeTakeFirstOrThrow();
        ids[name] = row.id;
      }
      repo = new ServicesRepository(p.server.ctx.db);
    });
    after(async () => {
      await p?.close();
    });

    it('writes an event once per key and count; a repeat replaces it with its count', async () => {
      const key = 'k1/mnt-test-1234/web-7d9c-abcde.17a';
      assert.equal(await repo.addClusterEvent(ids.web!, event(key, 1)), true);
      // listed again (a reconnect, a restart of Berth): not written twice
      assert.equal(await repo.addClusterEvent(ids.web!, event(key, 1)), false);
      let mine = (await events('web')).filter((e) => e.source === 'kubernetes');
      assert.equal(mine.length, 1);
      assert.deepEqual(
        { ...mine[0], id: undefined },
        {
          id: undefined,
          at: '2026-12-07T01:00:00Z',
          service: 'web',
          container: 'web-7d9c-abcde',
          cluster: null,
          type: 'BackOff',
          severity: 'warning',
          message: 'Back-off restarting failed container app',
          source: 'kubernetes',
          object: 'Pod/web-7d9c-abcde',
          count: 1,
        },
      );
      const first = mine[0]!.id;
      assert.equal(await repo.addClusterEvent(ids.web!, event(key, 4, '2026-12-07T01:05:00Z')), true);
      // an older count arriving late changes nothing
      assert.equal(await repo.addClusterEvent(ids.web!, event(key, 2)), false);
      mine = (await events('web')).filter((e) => e.source === 'kubernetes');
      assert.equal(mine.length, 1);
      assert.equal(mine[0]!.count, 4);
      assert.notEqual(mine[0]!.id, first, 'a new row: followers of the events see the repeat');
      // another event, and Berth's own events, stay as they are
      assert.equal(await repo.addClusterEvent(ids.web!, event(`${key}b`, 1)), true);
      const all = await events('web');
      assert.equal(all.filter((e) => e.source === 'kubernetes').length, 2);
      assert.ok(all.some((e) => e.source === 'berth'));
      assert.ok(all.filter((e) => e.source === 'berth').every((e) => e.object === undefined));
    });

    it('keys are per service: the same key of another service is its own row', async () => {
      const key = 'k1/mnt-test-1234/web-7d9c-abcde.17a';
      assert.equal(await repo.addClusterEvent(ids.api!, event(key, 1)), true);
      assert.equal((await events('api')).filter((e) => e.source === 'kubernetes').length, 1);
      assert.equal((await events('web')).filter((e) => e.source === 'kubernetes').length, 2);
    });

    it('turns a cluster reason into an event type the type filter accepts', () => {
      assert.equal(kubernetesEventType('FailedCreate'), 'FailedCreate');
      assert.equal(kubernetesEventType('Failed-Mount_2'), 'FailedMount2');
      assert.equal(kubernetesEventType('2bad'), 'KubernetesEvent');
      assert.equal(kubernetesEventType(''), 'KubernetesEvent');
    });
  });
