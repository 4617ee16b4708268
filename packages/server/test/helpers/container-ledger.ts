import type { FakePlatform } from './fake-engine';
import type { ServiceRow } from '../../src/modules/services/services.repository';

/**
 * Service `web` of project `web` with four containers in its ledger: `web-a` (ready), `web-b`
 * (running, not ready), `web-old` (removed) and `web-exited` (exited the day before).
 */
export async function webWithLedger(p: FakePlatform): Promise<ServiceRow> {
  const web = await p.createService('web');
  await p.addContainer(web, 'web-a', { created_at: '2025-01-01T00:00:01.000Z' });
  await p.addContainer(web, 'web-b', {
    created_at: '2025-01-01T00:00:01.000Z',
    state: 'running',
    ready: 0,
  });
  await p.addContainer(web, 'web-old', {
    created_at: '2025-01-01T00:00:00.000Z',
    state: 'removed',
    stopped_at: '2025-01-01T00:00:05.000Z',
  });
  await p.addContainer(web, 'web-exited', {
    created_at: '2024-12-31T00:00:00.000Z',
    state: 'exited',
    stopped_at: '2024-12-31T01:00:00.000Z',
  });
  return web;
}
