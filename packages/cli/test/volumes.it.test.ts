/** `berth volumes …` against a real Berth on the real Podman. */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { platformCli } from './platform-support';

describe('berth volumes', () => {
  const cli = platformCli({
    dirPrefix: 'berth-cli-volumes-',
    server: { BERTH_GATEWAY_LISTEN: 'off' },
    setup: 'project',
  });
  const { berth, json } = cli;
  after(async () => {
    for (const v of await cli.platform.engine
      .listVolumes({ 'berth.instance': cli.platform.instanceId })
      .catch(() => []))
      await cli.platform.engine.removeVolume(v.name).catch(() => undefined);
  });

  it('defines a class, creates, lists, exports, imports and deletes a volume', async () => {
    const bad = await berth(['volumes', 'class-set', 'nas', '--kind', 'nfs', '--path', '/exports']);
    assert.equal(bad.code, 1, bad.err);
    assert.match(bad.err, /server: is required for a nfs class/);
    const set = await berth(['volumes', 'class-set', 'fast', '--kind', 'local', '--max-size', '1024']);
    assert.equal(set.code, 0, set.err);
    const classes = await berth(['volumes', 'classes']);
    assert.match(classes.out, /fast\s+local\s+one cluster\s+1024Mi\s+0/);

    const made = await berth(['volumes', 'create', 'data', '--class', 'fast', '--size', '16', '-p', 'web']);
    assert.equal(made.code, 0, made.err);
    assert.match(made.out, /volume data created: 16Mi of fast on local/);
    const list = await berth(['volumes', 'list', '-p', 'web']);
    assert.match(list.out, /data\s+fast \(local\)\s+16Mi\s+(yes|no)\s+\S+\s+local\s+-/);
    const v = await json<{ engineName: string; usedBy: unknown[] }>(['volumes', 'get', 'data', '-p', 'web']);
    assert.deepEqual(v.usedBy, []);

    // import a directory's tar, export it again: the same bytes
    const src = path.join(cli.dir, 'src');
    mkdirSync(path.join(src, 'sub'), { recursive: true });
    writeFileSync(path.join(src, 'sub', 'hello.txt'), 'hello volume\n');
    const tarFile = path.join(cli.dir, 'in.tar');
    assert.equal(spawnSync('tar', ['-cf', tarFile, '-C', src, '.']).status, 0);
    const imp = await berth(['volumes', 'import', 'data', tarFile, '-p', 'web']);
    assert.equal(imp.code, 0, imp.err);
    const outFile = path.join(cli.dir, 'out.tar');
    const exp = await berth(['volumes', 'export', 'data', '--out', outFile, '-p', 'web']);
    assert.equal(exp.code, 0, exp.err);
    const extracted = path.join(cli.dir, 'extracted');
    mkdirSync(extracted);
    assert.equal(spawnSync('tar', ['-xf', outFile, '-C', extracted]).status, 0);
    assert.equal(readFileSync(path.join(extracted, 'sub', 'hello.txt'), 'utf8'), 'hello volume\n');

    const missing = await berth(['volumes', 'import', 'data', path.join(cli.dir, 'nope.tar'), '-p', 'web']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /cannot read/);
    const del = await berth(['volumes', 'delete', 'data', '-p', 'web']);
    assert.equal(del.code, 0, del.err);
    assert.equal(existsSync(outFile), true);
    const gone = await berth(['volumes', 'get', 'data', '-p', 'web']);
    assert.equal(gone.code, 1);
    assert.match(gone.err, /Volume 'data' does not exist/);
    assert.equal((await berth(['volumes', 'class-delete', 'fast'])).code, 0);
  });
});
