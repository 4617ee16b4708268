/**
 * The warnings of a saved cluster (issue 11): an ssh:// cluster on another host that publishes on
 * a loopback address is accepted (the test fleet's ssh:// cluster is this host) but warned about,
 * since no gateway node nor Berth's prober reaches its containers there.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clusterWarnings } from '../src/modules/clusters/clusters.service';

const sock = '/run/podman/podman.sock';

describe('cluster warnings: a loopback publish address on another host', () => {
  it('warns for an ssh:// cluster on another host publishing on a loopback address, naming the fix', () => {
    for (const [host, publishAddress] of [
      ['dc2-podman.example.net', '127.0.0.1'],
      ['10.0.3.12', '127.0.0.1'],
      ['10.0.3.12:2222', '127.0.0.5'],
      ['[2001:db8::5]', '127.0.0.1'],
    ] as const) {
      const warnings = clusterWarnings({
        name: 'dc2',
        endpoint: `ssh://core@${host}${sock}`,
        publishAddress,
      });
      assert.equal(warnings.length, 1, `${host} publishing on ${publishAddress}`);
      assert.match(
        warnings[0]!,
        new RegExp(`publishes container ports on ${publishAddress.replace(/\./g, '\\.')}`),
      );
      assert.match(warnings[0]!, /gateways and Berth's prober cannot reach its containers/);
      assert.ok(warnings[0]!.includes('berth clusters update dc2 --publish-address IP'), warnings[0]);
    }
  });

  it('is quiet when the address is the host’s, the host is this one, or the cluster is a local socket', () => {
    for (const [endpoint, publishAddress] of [
      [`ssh://core@10.0.3.12${sock}`, '10.0.3.12'],
      [`ssh://root@127.0.0.1:2222${sock}`, '127.0.0.1'],
      [`ssh://root@localhost${sock}`, '127.0.0.1'],
      [`ssh://root@[::1]${sock}`, '127.0.0.1'],
      [`unix://${sock}`, '127.0.0.1'],
      [null, '127.0.0.1'],
      ['ssh://nobody', '127.0.0.1'],
    ] as const) {
      assert.deepEqual(clusterWarnings({ name: 'c', endpoint, publishAddress }), [], `${endpoint}`);
    }
  });
});
