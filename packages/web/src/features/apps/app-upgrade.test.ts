import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppConnection } from '@berth/shared';
import { connectionLines, newerVersions } from './app-view';

describe('app upgrade and ensemble connection views', () => {
  it('offers the versions after the instance’s (the catalog lists them oldest first)', () => {
    const app = { versions: [{ version: '3.8' }, { version: '3.8-2' }] };
    assert.deepEqual(newerVersions(app as never, '3.8'), ['3.8-2']);
    assert.deepEqual(newerVersions(app as never, '3.8-2'), []);
    assert.deepEqual(newerVersions(app as never, 'gone'), []);
  });

  it('shows an ensemble’s every member: published addresses and the in-network connect string', () => {
    const conn: AppConnection = {
      host: '127.0.0.1',
      port: 41001,
      internalHost: 'zk-1',
      internalPort: 2181,
      user: '',
      uri: 'zk://127.0.0.1:41001,127.0.0.1:41002',
      passwordReadable: true,
      members: [
        { service: 'zk-1', host: '127.0.0.1', port: 41001 },
        { service: 'zk-2', host: '127.0.0.1', port: 41002 },
      ],
      connectString: 'zk-1:2181,zk-2:2181',
    };
    const lines = Object.fromEntries(connectionLines(conn).map((l) => [l.id, l.value]));
    assert.equal(lines.address, '127.0.0.1:41001,127.0.0.1:41002');
    assert.equal(lines.internal, 'zk-1:2181,zk-2:2181');
    // a member without a published port yet: the first member's address alone
    const partial = { ...conn, members: [conn.members![0]!, { service: 'zk-2', host: null, port: null }] };
    assert.equal(connectionLines(partial).find((l) => l.id === 'address')!.value, '127.0.0.1:41001');
  });
});
