import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AppContext } from '../../../http/context';
import type { Engines } from '../../../runtime/engines';
import { buildNetwork, EnvNetworkSweep, envNetworkName } from './env-networks';

/** A store whose reads fail (a PostgreSQL restart, a dropped connection). */
function failingStore(warned: string[]): AppContext {
  const execute = () => Promise.reject(new Error('Connection terminated unexpectedly'));
  const query = { select: () => query, distinct: () => query, execute };
  return {
    config: { instanceId: 'i1', reconcileIntervalMs: 1000 },
    db: { selectFrom: () => query },
    log: {
      info: () => undefined,
      warn: (_o: unknown, msg: string) => warned.push(msg),
    },
  } as unknown as AppContext;
}

describe('EnvNetworkSweep', () => {
  it('logs a store that fails during a background sweep instead of crashing the server', async () => {
    const warned: string[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => unhandled.push(err);
    // node's default for an unhandled rejection is to end the process: the server would go down
    process.on('unhandledRejection', onUnhandled);
    try {
      const engines = { get: () => Promise.reject(new Error('not reached')) } as unknown as Engines;
      const sweep = new EnvNetworkSweep(failingStore(warned), engines, 0);
      sweep.sweepSoon(['local']);
      await sweep.stop();
      // a rejection is reported once the microtasks have run: give it a macrotask turn
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(unhandled, []);
      assert.equal(warned.length, 1);
      assert.match(warned[0]!, /env networks/);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('keeps the networks of envs with services or cron jobs and the build networks of projects with pipelines; removes the rest', async () => {
    const tables: Record<string, object[]> = {
      services: [{ project: 'shop', env: 'test' }],
      cronjobs: [{ project: 'ops', env: 'prod' }],
      pipelines: [{ project: 'shop' }],
    };
    const store = (table: string) => {
      const query = { select: () => query, distinct: () => query, execute: async () => tables[table] };
      return query;
    };
    const db = { selectFrom: store, withTables: () => db };
    const ctx = {
      config: { instanceId: 'i1', reconcileIntervalMs: 1000 },
      db,
      log: { info: () => undefined, warn: () => undefined },
    } as unknown as AppContext;
    const names = [
      envNetworkName('i1', 'local', 'shop', 'test'),
      envNetworkName('i1', 'local', 'ops', 'prod'),
      buildNetwork('i1', 'local', 'shop').name,
      // a deleted project's: its env network and its build network
      envNetworkName('i1', 'local', 'gone', 'test'),
      buildNetwork('i1', 'local', 'gone').name,
      // ops has cron jobs but no pipeline
      buildNetwork('i1', 'local', 'ops').name,
    ];
    const removed: string[] = [];
    const engine = {
      listNetworks: async () => names.map((name) => ({ name, labels: {}, createdAt: '' })),
      removeNetwork: async (name: string) => {
        removed.push(name);
        return 'removed';
      },
    };
    const engines = { get: async () => engine } as unknown as Engines;
    await new EnvNetworkSweep(ctx, engines, 0).sweep(['local']);
    assert.deepEqual(removed, ['berth-i1.local.gone.test', 'berth-i1.local.gone', 'berth-i1.local.ops']);
  });
});
