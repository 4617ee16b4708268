/**
 * Restricted containers (issue 10): the SpecGenerator fields for the capability allowlist,
 * no-new-privileges and a read-only root filesystem, and reading /etc/passwd out of an image
 * (symbolic links followed) on a real Podman API service.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PodmanEngine } from '../src/index';
import { toSpecGenerator } from '../src/container-spec';

const socketPath = process.env.BERTH_TEST_PODMAN_SOCKET ?? '/tmp/berth-dev/podman.sock';
const engine = new PodmanEngine({ socketPath });
const base = { name: 'x', image: 'localhost/berth-busybox:1', env: {}, labels: {}, ports: [] };

describe('restricted container specs', () => {
  it('drops every capability and adds back only the allowlist', () => {
    const gen = toSpecGenerator({
      ...base,
      capabilities: ['NET_BIND_SERVICE', 'cap_chown'],
      noNewPrivileges: true,
    });
    assert.deepEqual(gen.cap_drop, ['ALL']);
    assert.deepEqual(gen.cap_add, ['CAP_NET_BIND_SERVICE', 'CAP_CHOWN']);
    assert.equal(gen.no_new_privileges, true);
    const none = toSpecGenerator({ ...base, capabilities: [] });
    assert.deepEqual(none.cap_drop, ['ALL']);
    assert.equal(none.cap_add, undefined);
    assert.deepEqual(toSpecGenerator({ ...base, unprivileged: true }).cap_drop, ['ALL']);
  });

  it('mounts the root filesystem read-only with a writable tmpfs /tmp', () => {
    const gen = toSpecGenerator({ ...base, readOnlyRootfs: true, pidsLimit: 100 });
    assert.equal(gen.read_only_filesystem, true);
    assert.deepEqual(
      gen.mounts?.map((m) => [m.Type, m.Destination]),
      [['tmpfs', '/tmp']],
    );
    assert.deepEqual(gen.resource_limits?.pids, { limit: 100 });
  });
});

describe('reading a file from an image', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-imgfile-'));
  const tag = `localhost/berth-imgfile-test-${randomBytes(3).toString('hex')}:1`;
  after(async () => {
    await engine.removeImage(tag);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads /etc/passwd through a symbolic link, and null for a missing file, leaving no container', async () => {
    mkdirSync(path.join(dir, 'etc'));
    writeFileSync(path.join(dir, 'etc', 'passwd.real'), 'toor:x:0:0::/:/bin/sh\n');
    symlinkSync('passwd.real', path.join(dir, 'etc', 'passwd'));
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM localhost/berth-busybox:1\nCOPY etc/ /etc/\n');
    const tar = spawn('tar', ['-C', dir, '-c', 'Dockerfile', 'etc'], { stdio: ['ignore', 'pipe', 'ignore'] });
    for await (const _l of engine.buildImage(tar.stdout, { tag })) void _l;
    const passwd = await engine.readImageFile(tag, '/etc/passwd');
    assert.equal(passwd?.toString('utf8'), 'toor:x:0:0::/:/bin/sh\n');
    assert.equal(await engine.readImageFile(tag, '/etc/nothing-here'), null);
    // only this image's probes: other test files may read another image's files right now
    const probes = await engine.listContainers({ 'berth.file-probe': 'true' });
    assert.deepEqual(
      probes.filter((c) => c.image.endsWith(tag.slice('localhost/'.length))),
      [],
    );
  });
});
