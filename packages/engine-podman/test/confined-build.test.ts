/**
 * Confined builds (podman build + the runtime wrapper) on the real Podman: a RUN step has no
 * capabilities, no-new-privileges, the PID and memory limits, and runs in a user namespace where
 * uid 0 is an unprivileged host uid; what it writes still lands in the image owned by its own ids.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { BuildConfinement } from '@berth/engine-api';
import { EngineError } from '@berth/shared';
import { PodmanEngine } from '../src/index';

const socketPath = process.env.BERTH_TEST_PODMAN_SOCKET ?? '/tmp/berth-dev/podman.sock';
const engine = new PodmanEngine({ socketPath });
const tag = `localhost/berth-confined-test-${randomBytes(3).toString('hex')}:1`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-confined-test-'));
const confine: BuildConfinement = {
  memoryMiB: 256,
  cpu: 1,
  pids: 100,
  uidBase: 2_000_000_000,
  uidCount: 65536,
  stateDir: path.join(dir, 'state'),
};

async function lines(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of it) out.push(l);
  return out;
}

/** Reads a file of an image by running `cat` in a throwaway container. */
async function readFromImage(image: string, file: string): Promise<string> {
  const id = await engine.runContainer({
    name: `berth-confined-read-${randomBytes(3).toString('hex')}`,
    image,
    command: ['cat', file],
    env: {},
    labels: {},
    ports: [],
    unprivileged: true,
  });
  try {
    await engine.waitContainer(id);
    const out: string[] = [];
    for await (const l of engine.logs(id, { follow: false })) out.push(l.text);
    return out.join('\n');
  } finally {
    await engine.removeContainer(id);
  }
}

describe('confined podman builds', () => {
  after(async () => {
    await engine.removeImage(tag);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs RUN steps without privileges, in a user namespace, with limits; files keep their ids', async () => {
    const ctx = path.join(dir, 'ctx');
    mkdirSync(ctx, { recursive: true });
    writeFileSync(
      path.join(ctx, 'Dockerfile'),
      [
        'FROM localhost/berth-busybox:1',
        'USER 0',
        'RUN mkdir -p /tmp/out/m && id -u > /tmp/out/uid && grep Cap /proc/self/status > /tmp/out/caps' +
          ' && cat /proc/self/uid_map > /tmp/out/uid_map && grep NoNewPrivs /proc/self/status > /tmp/out/nnp' +
          ' && cat /sys/fs/cgroup/pids/pids.max > /tmp/out/pids' +
          ' && cat /sys/fs/cgroup/memory/memory.limit_in_bytes > /tmp/out/mem' +
          ' && touch /tmp/out/owned && chmod 4755 /tmp/out/owned',
        'RUN (chown 5:5 /tmp/out/uid && echo allowed || echo denied) > /tmp/out/chown;' +
          ' (mknod /tmp/out/null c 1 3 && echo allowed || echo denied) > /tmp/out/mknod;' +
          ' (mount -t tmpfs none /tmp/out/m && echo allowed || echo denied) > /tmp/out/mount;' +
          ' stat -c "%u:%g %a" /tmp/out/owned > /tmp/out/stat',
        'COPY --chown=1000:1000 data.txt /tmp/out/data.txt',
        '',
      ].join('\n'),
    );
    writeFileSync(path.join(ctx, 'data.txt'), 'one\n');
    const out = await lines(engine.buildDirectory(ctx, { tag, confine }));
    assert.ok(
      out.some((l) => l.includes('STEP 3/')),
      out.join('\n'),
    );
    const read = (f: string) => readFromImage(tag, `/tmp/out/${f}`);
    assert.equal((await read('uid')).trim(), '0', 'root inside the step');
    const caps = await read('caps');
    for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'])
      assert.match(caps, new RegExp(`${set}:\\s+0000000000000000`), caps);
    const uidMap = (await read('uid_map')).trim().split(/\s+/);
    assert.deepEqual(uidMap, ['0', String(confine.uidBase), String(confine.uidCount)]);
    assert.notDeepEqual(uidMap, ['0', '0', '4294967295']);
    assert.match(await read('nnp'), /NoNewPrivs:\s+1/);
    assert.equal((await read('pids')).trim(), '100');
    assert.equal((await read('mem')).trim(), String(256 * 1024 * 1024));
    assert.equal((await read('chown')).trim(), 'denied');
    assert.equal((await read('mknod')).trim(), 'denied');
    assert.equal((await read('mount')).trim(), 'denied');
    assert.equal(
      (await read('stat')).trim(),
      '0:0 4755',
      'inside the step the file is root-owned and setuid',
    );
    // In the image (no user namespace) the file is owned by 0, not by the host uid it had.
    const check = await engine.runContainer({
      name: `berth-confined-stat-${randomBytes(3).toString('hex')}`,
      image: tag,
      command: ['stat', '-c', '%u:%g %a', '/tmp/out/owned', '/tmp/out/uid'],
      env: {},
      labels: {},
      ports: [],
      unprivileged: true,
    });
    try {
      await engine.waitContainer(check);
      const got: string[] = [];
      for await (const l of engine.logs(check, { follow: false })) got.push(l.text.trim());
      assert.deepEqual(got, ['0:0 4755', '0:0 644']);
    } finally {
      await engine.removeContainer(check);
    }
    // What COPY wrote keeps its ids too, and a build FROM the result can change those files.
    const next = path.join(dir, 'next');
    mkdirSync(next, { recursive: true });
    writeFileSync(path.join(next, 'data.txt'), 'two\n');
    writeFileSync(
      path.join(next, 'Dockerfile'),
      `FROM ${tag}\nCOPY --chown=1000:1000 data.txt /tmp/out/data.txt\nUSER 1000\nRUN echo three >> /tmp/out/data.txt && stat -c "%u:%g" /tmp/out/data.txt > /tmp/next\n`,
    );
    await lines(engine.buildDirectory(next, { tag: `${tag}-next`, confine }));
    try {
      assert.equal((await readFromImage(`${tag}-next`, '/tmp/out/data.txt')).trim(), 'two\nthree');
      assert.equal((await readFromImage(`${tag}-next`, '/tmp/next')).trim(), '1000:1000');
      assert.match(
        await readFromImage(`${tag}-next`, '/.berth-finish/busybox'),
        /No such file/,
        'the ownership step leaves no trace in the image',
      );
    } finally {
      await engine.removeImage(`${tag}-next`);
    }
  });

  it('a failing RUN step is an EngineError; the PID limit stops a fork bomb', async () => {
    const ctx = path.join(dir, 'bomb');
    mkdirSync(ctx, { recursive: true });
    writeFileSync(
      path.join(ctx, 'Dockerfile'),
      'FROM localhost/berth-busybox:1\nRUN for i in $(seq 1 300); do sleep 5 & done; wait\n',
    );
    await assert.rejects(
      lines(engine.buildDirectory(ctx, { tag: `${tag}-bomb`, confine })),
      (err: unknown) => err instanceof EngineError && /Image build failed/.test(err.message),
    );
  });

  it('aborting stops the build and the step that is running', async () => {
    const ctx = path.join(dir, 'slow');
    mkdirSync(ctx, { recursive: true });
    writeFileSync(
      path.join(ctx, 'Dockerfile'),
      'FROM localhost/berth-busybox:1\nRUN echo started && sleep 300\n',
    );
    const ac = new AbortController();
    const started = Date.now();
    await assert.rejects(
      (async () => {
        for await (const l of engine.buildDirectory(ctx, { tag: `${tag}-slow`, confine, signal: ac.signal }))
          if (l.includes('started')) ac.abort();
      })(),
    );
    assert.ok(Date.now() - started < 60_000, 'the build stopped well before the sleep ended');
    assert.equal(await engine.inspectImage(`${tag}-slow`), null);
  });
});
