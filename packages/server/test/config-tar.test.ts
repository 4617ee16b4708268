/** The config volume archive (config-tar.ts) read back by GNU tar, and the file-name limits that keep it valid. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configFilesSchema } from '@berth/shared';
import { configArchive, servedVersion } from '../src/modules/configs/config-tar';

describe('config volume archive', () => {
  it('extracts with GNU tar to ..v<N>/ files, top-level links through ..data, and ..data last', () => {
    const long = ['a'.repeat(90), 'b'.repeat(49)].join('/');
    assert.equal(long.length, 140);
    const files = { [long]: 'deep\n', 'top.conf': 'x = 1\n', 'conf.d/site.conf': 'é ü\n' };
    assert.ok(configFilesSchema.safeParse(files).success);
    const tar = configArchive(files, 123456);
    assert.equal(servedVersion(tar), 123456);
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-cfg-tar-'));
    try {
      writeFileSync(path.join(dir, 'a.tar'), tar);
      execFileSync('tar', ['-x', '-f', path.join(dir, 'a.tar'), '-C', dir]);
      assert.equal(readlinkSync(path.join(dir, '..data')), '..v123456');
      assert.equal(readlinkSync(path.join(dir, 'top.conf')), '..data/top.conf');
      assert.equal(readFileSync(path.join(dir, long), 'utf8'), 'deep\n');
      assert.equal(readFileSync(path.join(dir, 'conf.d', 'site.conf'), 'utf8'), 'é ü\n');
      const listing = execFileSync('tar', ['-t', '-f', path.join(dir, 'a.tar')])
        .toString()
        .trim()
        .split('\n');
      assert.equal(listing.at(-1), '..data');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses names a tar header could not hold, and Berth’s own ..data names', () => {
    for (const bad of [
      'c'.repeat(91),
      `${'d'.repeat(80)}/${'e'.repeat(60)}`,
      '..data',
      'x/..v1/y',
      './a',
      'a//b',
    ])
      assert.equal(configFilesSchema.safeParse({ [bad]: 'x' }).success, false, bad);
    assert.equal(configFilesSchema.safeParse({ '.hidden': 'x' }).success, true);
  });
});
