/** `berth files ls|cat|get|collected` against a real Berth. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { platformCli } from './platform-support';

describe('berth files', () => {
  const cli = platformCli({
    dirPrefix: 'berth-cli-files-',
    server: { BERTH_GATEWAY_LISTEN: 'off' },
    setup: 'project',
  });
  const { berth, json } = cli;

  it('lists, prints, tails and downloads a file of a container, and lists collected logs', async () => {
    await cli.createSleeper('sleeper', 1);
    const container = await (async () => {
      for (let i = 0; i < 300; i += 1) {
        const c = await json<{ items: Array<{ name: string; state: string }> }>([
          'containers',
          'sleeper',
          '-p',
          'web',
        ]);
        const running = c.items.find((x) => x.state === 'running' || x.state === 'ready');
        if (running) return running.name;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error('no running container');
    })();
    const ls = await berth(['files', 'ls', 'sleeper', container, '/www', '-p', 'web']);
    assert.equal(ls.code, 0, ls.err);
    assert.match(ls.out, /-0644\s+15B\s+.*index\.html/);
    const cat = await berth(['files', 'cat', 'sleeper', container, '/www/index.html', '-p', 'web']);
    assert.equal(cat.out, '<h1>hello</h1>\n', cat.err);
    const tail = await berth(['files', 'cat', 'sleeper', container, '/etc/passwd', '-n', '1', '-p', 'web']);
    assert.equal(tail.out, 'app:x:1000:1000:app:/home/app:/bin/sh\n');
    const out = path.join(cli.dir, 'passwd');
    const get = await berth(['files', 'get', 'sleeper', container, '/etc/passwd', '--to', out, '-p', 'web']);
    assert.equal(get.code, 0, get.err);
    assert.match(readFileSync(out, 'utf8'), /^root:x:0:0/);
    const bad = await berth(['files', 'ls', 'sleeper', container, '/etc/../root', '-p', 'web']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /\.\./);
    const collected = await berth(['files', 'collected', 'sleeper', container, '-p', 'web']);
    assert.equal(collected.code, 0, collected.err);
    assert.match(collected.err, /no collected log files/);
  });
});
