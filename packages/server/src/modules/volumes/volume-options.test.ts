import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { directoriesTar, engineOptions, isQuotaUnsupported, volumeDirectory } from './volume-options';

describe('volume class options', () => {
  const place = { project: 'shop', env: 'prod', name: 'data' };

  it('asks a local volume for a quota of its size', () => {
    assert.deepEqual(
      engineOptions({ kind: 'local', server: null, path: null, mountOptions: [] }, { sizeMiB: 512 }),
      {
        o: 'size=512m',
      },
    );
  });

  it("mounts nfs as Podman's local driver type=nfs, o=addr=…, device=:<dir>", () => {
    const cls = {
      kind: 'nfs' as const,
      server: '10.0.0.5',
      path: '/exports/berth/',
      mountOptions: ['nfsvers=4.1', 'soft'],
    };
    const dir = volumeDirectory(cls, place);
    assert.equal(dir, '/exports/berth/shop/prod/data');
    assert.deepEqual(engineOptions(cls, { dir }), {
      type: 'nfs',
      o: 'addr=10.0.0.5,nfsvers=4.1,soft',
      device: ':/exports/berth/shop/prod/data',
    });
    // the class root, where the volume's directory is made
    assert.equal(engineOptions(cls, {}).device, ':/exports/berth/');
  });

  it('mounts cephfs as type=ceph with the monitors in the device', () => {
    const cls = {
      kind: 'cephfs' as const,
      server: 'mon1:6789,mon2:6789',
      path: '/berth',
      mountOptions: ['name=berth'],
    };
    assert.deepEqual(engineOptions(cls, { dir: volumeDirectory(cls, place) }), {
      type: 'ceph',
      device: 'mon1:6789,mon2:6789:/berth/shop/prod/data',
      o: 'name=berth',
    });
  });

  it("recognises Podman's refusal of a size on a filesystem without project quotas", () => {
    assert.ok(
      isQuotaUnsupported(
        'volume options size and inodes not supported. Filesystem does not support Project Quota',
      ),
    );
    assert.ok(!isQuotaUnsupported('volume with name x already exists'));
  });

  it('writes a tar of directories that tar(1) lists', () => {
    const tar = directoriesTar(['shop', 'shop/prod', 'shop/prod/data']);
    const out = spawnSync('tar', ['-tvf', '-'], { input: tar, encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    const lines = out.stdout.trim().split('\n');
    assert.deepEqual(
      lines.map((l) => l.split(/\s+/).pop()),
      ['shop/', 'shop/prod/', 'shop/prod/data/'],
    );
    assert.ok(
      lines.every((l) => l.startsWith('drwxr-xr-x')),
      out.stdout,
    );
  });
});
