/**
 * List-services latency with 10,000 services in the store, on SQLite and PostgreSQL:
 * GET …/services?limit=50 (first page, a deep cursor page, and a name filter), p50 / p99.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PodmanEngine } from '@berth/engine-podman';
import { loadConfig } from '../packages/server/src/config/config';
import { buildServer } from '../packages/server/src/server';
import { TestApi } from '../packages/server/test/helpers/platform';
import { seedServices } from '../e2e/helpers/seed-services';

const count = Number(process.env.BENCH_SERVICES ?? 10_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 200);

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function run(dialect: 'sqlite' | 'postgres', databaseUrl: string | null): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-bench-'));
  const config = loadConfig({
    BERTH_DATA_DIR: dataDir,
    BERTH_LISTEN: '127.0.0.1:0',
    BERTH_ADMIN_PASSWORD: 'bench-password',
    BERTH_LOG_LEVEL: 'silent',
    BERTH_PODMAN_SOCKET: process.env.BERTH_TEST_PODMAN_SOCKET ?? '/tmp/berth-test/podman.sock',
    ...(databaseUrl ? { BERTH_DATABASE_URL: databaseUrl } : {}),
  });
  const server = await buildServer(config, {
    engine: new PodmanEngine({ socketPath: config.podmanSocket }),
    controllers: false,
  });
  const url = await server.start();
  const api = await TestApi.login(url, 'admin', 'bench-password');
  await api.post('/api/v1/teams', { name: 'bench' });
  await api.post('/api/v1/projects', { name: 'bench', team: 'bench' });
  const seeded = await seedServices(server.ctx.db, 'bench', 'test', count);
  const base = '/api/v1/projects/bench/envs/test/services';
  const deep = await api.get<{ nextCursor: string }>(`${base}?limit=500`);
  const cases: [string, string][] = [
    ['first page (50)', `${base}?limit=50`],
    ['page after 500 (cursor)', `${base}?limit=50&cursor=${deep.body.nextCursor}`],
    ['name filter q=99', `${base}?limit=50&q=99`],
  ];
  for (const [label, p] of cases) {
    for (let i = 0; i < 10; i += 1) await api.get(p);
    const times: number[] = [];
    for (let i = 0; i < rounds; i += 1) {
      const s = performance.now();
      const r = await api.get<{ items: unknown[] }>(p);
      times.push(performance.now() - s);
      if (r.status !== 200 || r.body.items.length === 0) throw new Error(`${label}: ${r.status}`);
    }
    console.log(
      `list-services ${dialect.padEnd(8)} ${count} services  ${label.padEnd(24)} p50 ${pct(times, 50).toFixed(2)} ms  p99 ${pct(times, 99).toFixed(2)} ms`,
    );
  }
  console.log(`list-services ${dialect.padEnd(8)} seeded ${count} services in ${seeded} ms`);
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}

await run('sqlite', null);
const pgUrl = process.env.BERTH_TEST_PG_URL;
if (pgUrl) {
  const dbName = `berth_bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const u = new URL(pgUrl);
  u.pathname = `/${dbName}`;
  await run('postgres', u.toString());
  await admin.query(`DROP DATABASE ${dbName} WITH (FORCE)`);
  await admin.end();
} else {
  console.log('list-services postgres: skipped (BERTH_TEST_PG_URL not set)');
}
