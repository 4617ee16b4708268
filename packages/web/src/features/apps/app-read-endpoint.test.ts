import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppConnection } from '@berth/shared';
import { connectionLines } from './app-view';

describe('the connection card of an instance with read replicas', () => {
  const conn: AppConnection = {
    host: '127.0.0.1',
    port: 41234,
    internalHost: 'cache',
    internalPort: 6379,
    user: 'default',
    uri: 'redis://default@127.0.0.1:41234',
    passwordReadable: true,
    readHost: '127.0.0.1',
    readPort: 41299,
    readInternalHost: 'cache-replica',
  };

  it('shows the read endpoint after the write address, published and in-network', () => {
    assert.deepEqual(
      connectionLines(conn).map((l) => [l.id, l.value]),
      [
        ['address', '127.0.0.1:41234'],
        ['host', '127.0.0.1'],
        ['port', '41234'],
        ['internal', 'cache:6379'],
        ['read', '127.0.0.1:41299'],
        ['readInternal', 'cache-replica:6379'],
        ['user', 'default'],
        ['uri', 'redis://default@127.0.0.1:41234'],
      ],
    );
  });

  it('says the read port is not published yet while no replica is ready, and shows no read lines without replicas', () => {
    const pending = connectionLines({ ...conn, readHost: null, readPort: null });
    assert.equal(pending.find((l) => l.id === 'read')?.value, null);
    assert.equal(pending.find((l) => l.id === 'read')?.note, 'apps.conn.notPublished');
    const { readHost: _h, readPort: _p, readInternalHost: _i, ...alone } = conn;
    assert.equal(
      connectionLines(alone).some((l) => l.id === 'read' || l.id === 'readInternal'),
      false,
    );
  });
});
