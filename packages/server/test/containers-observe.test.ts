import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createUserWith, testDialects, type Caller, type Json } from './helpers/db';
import { startFakePlatform, type FakePlatform } from './helpers/fake-engine';
import { webWithLedger } from './helpers/container-ledger';
import { metricsToken } from '../src/modules/containers/metrics';
import type { ServiceRow } from '../src/modules/services/services.repository';

const base = '/api/v1/projects/web/envs/test/services';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads an SSE response until `done` says enough (or the server ends it); returns the events. */
async function readSse(
  url: string,
  cookie: string,
  done: (events: Array<{ event: string; data: Json }>) => boolean,
  act?: () => Promise<void>,
) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 8000);
  const res = await fetch(url, { headers: { cookie, accept: 'text/event-stream' }, signal: abort.signal });
  assert.equal(res.status, 200);
  const events: Array<{ event: string; data: Json }> = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  let acted = false;
  try {
    for (;;) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      buf += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
        if (block.startsWith(': stream open') && act && !acted) {
          acted = true;
          void act();
        }
      }
      if (done(events)) break;
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return events;
}

for (const dialect of testDialects()) {
  describe(`container logs, events and stats over a fake engine (${dialect})`, () => {
    let p: FakePlatform;
    let web: ServiceRow;
    let viewer: Caller;
    const cookie = () => p.admin.creds.cookie!;

    before(async () => {
      p = await startFakePlatform(dialect);
      web = await webWithLedger(p);
      for (const type of ['Started', 'Ready', 'Draining'])
        await p.deps.repo.addEvent(web.id, type, `web ${type}`);
      viewer = await createUserWith(p.admin, 'vera', [
        { role: 'viewer', scope: { kind: 'project', name: 'web' } },
      ]);
    });
    after(async () => {
      await p?.close();
    });

    it('tails, filters and downloads the logs of one container', async () => {
      const t0 = Date.now();
      for (let i = 0; i < 5; i++)
        p.engine.log(
          'web-a',
          `line ${i}`,
          i === 4 ? 'stderr' : 'stdout',
          new Date(t0 - (5 - i) * 60_000).toISOString(),
        );
      const tail = await viewer.get(`${base}/web/containers/web-a/logs?tail=2`);
      assert.equal(tail.status, 200, JSON.stringify(tail.body));
      assert.deepEqual(
        tail.body.items.map((l: Json) => l.text),
        ['line 3', 'line 4'],
      );
      const since = await viewer.get(`${base}/web/containers/web-a/logs?since=150s`);
      assert.deepEqual(
        since.body.items.map((l: Json) => l.text),
        ['line 3', 'line 4'],
      );
      const file = await viewer.get(`${base}/web/containers/web-a/logs?download=true`);
      assert.equal(file.headers['content-disposition'], 'attachment; filename="web-a.log"');
      assert.match(String(file.headers['content-type']), /^text\/plain/);
      assert.match(file.body, / stderr line 4\n$/);
      assert.equal((await viewer.get(`${base}/web/containers/web-a/logs?tail=10001`)).status, 400);
      assert.equal(
        (await viewer.get(`${base}/web/containers/web-a/logs?follow=true&download=true`)).status,
        400,
      );
    });

    it('says clearly when the engine no longer has a container the ledger remembers', async () => {
      for (const name of ['web-old', 'web-exited']) {
        if (name === 'web-exited') p.engine.containers.delete(name);
        const res = await viewer.get(`${base}/web/containers/${name}/logs`);
        assert.equal(res.status, 404);
        assert.equal(res.body.error.code, 'NOT_FOUND');
        assert.match(
          res.body.error.message,
          new RegExp(`container ${name} is gone; its ledger entry remains`),
        );
      }
      assert.equal(
        (await viewer.get(`${base}/web/containers/never/logs`)).body.error.code,
        'CONTAINER_NOT_FOUND',
      );
    });

    it('follows a container log over SSE until the container stops', async () => {
      await p.addContainer(web, 'web-f');
      p.engine.log('web-f', 'before');
      const events = await readSse(
        `${p.url}${base}/web/containers/web-f/logs?follow=true&tail=5`,
        cookie(),
        (ev) => ev.some((e) => e.event === 'end'),
        async () => {
          await sleep(50);
          p.engine.log('web-f', 'during');
          await sleep(50);
          p.engine.exit('web-f');
        },
      );
      assert.deepEqual(
        events.filter((e) => e.event === 'line').map((e) => e.data.text),
        ['before', 'during'],
      );
      assert.deepEqual(Object.keys(events[0]!.data).sort(), ['at', 'stream', 'text']);
      assert.equal(events.at(-1)!.event, 'end');
    });

    it('merges the logs of all current containers, tagged with the container', async () => {
      const api = await p.createService('api');
      await p.addContainer(api, 'api-1');
      await p.addContainer(api, 'api-2');
      p.engine.log('api-1', 'one', 'stdout', '2025-01-01T00:00:01Z');
      p.engine.log('api-2', 'two', 'stdout', '2025-01-01T00:00:02Z');
      p.engine.log('api-1', 'three', 'stdout', '2025-01-01T00:00:03Z');
      const res = await viewer.get(`${base}/api/logs?tail=2`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(
        res.body.items.map((l: Json) => `${l.container}:${l.text}`),
        ['api-2:two', 'api-1:three'],
      );
      const followed = await readSse(
        `${p.url}${base}/api/logs?follow=true`,
        cookie(),
        (ev) => ev.filter((e) => e.event === 'line').length >= 4,
        async () => {
          await sleep(50);
          p.engine.log('api-2', 'live');
        },
      );
      const lines = followed
        .filter((e) => e.event === 'line')
        .map((e) => `${e.data.container}:${e.data.text}`);
      assert.ok(lines.includes('api-2:live') && lines.includes('api-1:one'), lines.join(','));
    });

    it('pages events newest first and follows new ones', async () => {
      const page1 = await viewer.get(`${base}/web/events?limit=2`);
      assert.equal(page1.body.items.length, 2);
      const page2 = await viewer.get(`${base}/web/events?limit=2&cursor=${page1.body.nextCursor}`);
      assert.ok(page2.body.items[0].id < page1.body.items[1].id);
      const events = await readSse(
        `${p.url}${base}/web/events?follow=true`,
        cookie(),
        (ev) => ev.length > 0,
        async () => {
          await p.deps.repo.addEvent(web.id, 'Test', 'a new event');
        },
      );
      assert.equal(events[0]!.event, 'event');
      assert.equal(events[0]!.data.type, 'Test');
    });

    it('samples stats, serves them oldest first and exports them on /metrics', async () => {
      p.engine.get('web-a')!.stats = {
        ...p.engine.get('web-a')!.stats,
        cpuPercent: 42.5,
        memoryBytes: 1234.6,
      };
      const old = new Date(Date.now() - 3 * 3600_000).toISOString();
      await p.ctx.db
        .insertInto('stats_samples')
        .values({
          container: 'web-a',
          service_id: web.id,
          at: old,
          cpu_percent: 1,
          memory_bytes: 1,
          memory_limit_bytes: 1,
          net_rx_bytes: 1,
          net_tx_bytes: 1,
          block_read_bytes: 1,
          block_write_bytes: 1,
        })
        .execute();
      p.engine.failBatchStats = true;
      await p.sampler.sampleOnce();
      const left = await p.ctx.db.selectFrom('stats_samples').select('at').where('at', '=', old).execute();
      assert.equal(left.length, 0, 'samples past the retention are pruned');
      await sleep(5);
      await p.sampler.sampleOnce();
      p.engine.failBatchStats = false;
      const stats = await viewer.get(`${base}/web/stats?container=web-a`);
      assert.equal(stats.status, 200, JSON.stringify(stats.body));
      assert.equal(stats.body.items.length, 2);
      assert.ok(stats.body.items[0].at < stats.body.items[1].at);
      assert.equal(stats.body.items[0].cpuPercent, 42.5);
      assert.equal(stats.body.items[0].memoryBytes, 1235);
      assert.equal((await viewer.get(`${base}/web/stats?since=25h`)).status, 400);
      assert.equal((await fetch(`${p.url}/metrics`)).status, 401, 'anonymous scrapes are refused');
      const token = metricsToken(p.ctx.config.dataDir, p.ctx.config.metricsToken);
      const metrics = await fetch(`${p.url}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(metrics.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
      const text = await metrics.text();
      assert.match(
        text,
        /\nberth_container_cpu_percent\{project="web",env="test",service="web",container="web-a",release="1",cluster="local"\} 42.5\n/,
      );
      assert.match(text, /\nberth_service_replicas_desired\{project="web",env="test",service="web"\} 2\n/);
      p.sampler.start();
      p.engine.get('web-a')!.stats.cpuPercent = 7;
      await p.sampler.sampleOnce();
      const live = await p.sampler.currentSamples();
      await p.sampler.stop();
      assert.equal(
        live.find((l) => l.sample.container === 'web-a')?.sample.cpuPercent,
        7,
        'the leader serves from memory',
      );
    });
  });
}
