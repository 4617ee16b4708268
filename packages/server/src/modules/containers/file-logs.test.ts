import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compileGlob, FileTail, LineSplitter, normalisePath, pathProblem } from './container-files';
import { RotatingWriter } from './log-collector';
import { readTar } from './tar-reader';

/** One ustar header block plus content, padded; `type` '0' file, '5' directory, 'x' pax. */
function entry(name: string, content: Buffer | string, type = '0'): Buffer {
  const data = Buffer.from(content);
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0);
  h.write('0000644\0', 100);
  h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
  h.write('14712345670\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return Buffer.concat([h, data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

function pax(records: Record<string, string>): string {
  return Object.entries(records)
    .map(([k, v]) => {
      const body = ` ${k}=${v}\n`;
      let len = body.length + 1;
      while (`${len}${body}`.length !== len) len += 1;
      return `${len}${body}`;
    })
    .join('');
}

/** Yields `buf` in chunks of `size` bytes (to cross header and content boundaries). */
async function* chunked(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

describe('file logs: tar reading, paths, globs, lines and rotation', () => {
  it('reads a tar in any chunking, with pax long names, skipping unread content', async () => {
    const long = `logs/${'x'.repeat(150)}.log`;
    const tar = Buffer.concat([
      entry('logs', '', '5'),
      entry('logs/a.log', 'hello\n'.repeat(200)),
      entry('PaxHeaders/x', pax({ path: long }), 'x'),
      entry('short-name', 'long one\n'),
      entry('logs/b.bin', Buffer.from([0, 1, 2])),
      Buffer.alloc(1024),
    ]);
    for (const size of [1, 7, 512, 100_000]) {
      const seen: Array<[string, string, number, string]> = [];
      for await (const e of readTar(chunked(tar, size))) {
        let text = '';
        // read only the entries whose name ends in .log; the rest is skipped by the reader
        if (e.header.name.endsWith('.log')) for await (const c of e.content) text += c.toString();
        seen.push([e.header.name, e.header.type, e.header.size, text.slice(0, 9)]);
      }
      assert.deepEqual(
        seen,
        [
          ['logs', 'directory', 0, ''],
          ['logs/a.log', 'file', 1200, 'hello\nhel'],
          [long, 'file', 9, 'long one\n'],
          ['logs/b.bin', 'file', 3, ''],
        ],
        `chunks of ${size}`,
      );
    }
  });

  it('checks and normalises container paths', () => {
    assert.equal(pathProblem('/var/log'), null);
    assert.match(pathProblem('var/log')!, /absolute/);
    assert.match(pathProblem('/var/../etc')!, /\.\./);
    assert.match(pathProblem('/var/\0x')!, /NUL/);
    assert.equal(normalisePath('//var//log/./app/'), '/var/log/app');
    assert.equal(normalisePath('/'), '/');
  });

  it('turns spec.logFiles globs into a base directory and a matcher', () => {
    const g = compileGlob('/var/log/**/*.log');
    assert.equal(g.base, '/var/log');
    assert.ok(g.regex.test('/var/log/a.log') && g.regex.test('/var/log/x/y/b.log'));
    assert.ok(!g.regex.test('/var/log/a.log.1') && !g.regex.test('/var/logs/a.log'));
    const s = compileGlob('/app/log?.txt');
    assert.equal(s.base, '/app');
    assert.ok(
      s.regex.test('/app/log1.txt') && !s.regex.test('/app/log12.txt') && !s.regex.test('/app/x/log1.txt'),
    );
    assert.deepEqual(
      { ...compileGlob('/tmp/a.log'), regex: undefined },
      { base: '/tmp/a.log', literal: true, regex: undefined },
    );
  });

  it('splits lines across chunks and keeps the unfinished one', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push(Buffer.from('a\nb')), ['a']);
    assert.deepEqual(s.push(Buffer.from('c\r\nd')), ['bc']);
    assert.deepEqual(s.flush(), ['d']);
  });

  it('tails a growing file, and notices truncation and replacement by its first bytes', async () => {
    let content = Buffer.from('one\ntwo\n');
    let mtime = 1;
    const archive = {
      cluster: 'local',
      statPath: () =>
        Promise.resolve({
          name: 'f',
          size: content.length,
          mode: 0o100644,
          mtime: String(mtime),
          linkTarget: '',
        }),
      getArchive: () =>
        Promise.resolve(
          chunked(
            Buffer.concat([entry('f', content), Buffer.alloc(1024)]),
            300,
          ) as unknown as NodeJS.ReadableStream,
        ),
    };
    const tail = new FileTail(archive, 'c', '/f');
    const read = async () => {
      const out: Buffer[] = [];
      const events = await tail.poll((b) => {
        out.push(Buffer.from(b));
      });
      return [events, Buffer.concat(out).toString()];
    };
    assert.deepEqual(await read(), [[], 'one\ntwo\n']);
    assert.deepEqual(await read(), [[], ''], 'nothing new: no read');
    content = Buffer.from('one\ntwo\nthree\n');
    mtime = 2;
    assert.deepEqual(await read(), [[], 'three\n']);
    content = Buffer.from('x\n');
    mtime = 3;
    assert.deepEqual(await read(), [['rotated'], 'x\n'], 'truncated');
    // replaced by a new file already longer than what was read: the first bytes differ
    content = Buffer.from('new file line 1\nnew file line 2\n');
    mtime = 4;
    assert.deepEqual(await read(), [['rotated'], 'new file line 1\nnew file line 2\n']);
  });

  it('rotates a collected file at its size bound and keeps maxFiles files', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-rotate-'));
    try {
      const file = path.join(dir, 'app.log');
      const w = new RotatingWriter(file, 100, 3);
      for (let i = 0; i < 10; i += 1)
        await w.write(Buffer.from(`${String(i).padStart(2, '0')}${'.'.repeat(37)}\n`));
      await w.close();
      // 400 bytes in 100-byte files: the live file and two older ones are kept, the oldest dropped
      assert.deepEqual(readdirSync(dir).sort(), ['app.log', 'app.log.1', 'app.log.2']);
      for (const f of readdirSync(dir)) assert.ok(statSync(path.join(dir, f)).size <= 100, f);
      assert.ok(readFileSync(file, 'utf8').endsWith(`09${'.'.repeat(37)}\n`));
      assert.ok(readFileSync(`${file}.1`, 'utf8').length === 100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
