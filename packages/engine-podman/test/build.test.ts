/**
 * Builds, image removal, bind mounts and waiting for exit on a real Podman API service
 * (what codeflow uses). Socket: BERTH_TEST_PODMAN_SOCKET; images from scripts/test-images.sh.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { EngineError } from '@berth/shared';
import { PodmanEngine } from '../src/index';

const socketPath = process.env.BERTH_TEST_PODMAN_SOCKET ?? '/tmp/berth-dev/podman.sock';
const engine = new PodmanEngine({ socketPath });
const tag = `localhost/berth-build-test-${randomBytes(3).toString('hex')}:1`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-build-test-'));

function context(dockerfile: string): NodeJS.ReadableStream {
  writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
  return spawn('tar', ['-C', dir, '-c', 'Dockerfile'], { stdio: ['ignore', 'pipe', 'ignore'] }).stdout;
}

async function lines(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of it) out.push(l);
  return out;
}

describe('podman builds', () => {
  after(async () => {
    await engine.removeImage(tag);
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds from a tar context, streaming the output, and caches layers on a rebuild', async () => {
    const df = 'FROM localhost/berth-busybox:1\nRUN echo built > /built.txt\nCMD ["cat", "/built.txt"]\n';
    const first = await lines(engine.buildImage(context(df), { tag, labels: { 'berth.test': 'yes' } }));
    assert.ok(
      first.some((l) => l.includes('STEP 2/')),
      first.join('\n'),
    );
    assert.ok(await engine.inspectImage(tag));
    const again = await lines(engine.buildImage(context(df), { tag }));
    assert.ok(
      again.some((l) => l.includes('Using cache')),
      again.join('\n'),
    );
  });

  it('reports a failing RUN step as an EngineError naming the step', async () => {
    const bad = engine.buildImage(context('FROM localhost/berth-busybox:1\nRUN exit 3\n'), {
      tag: `${tag}-bad`,
    });
    await assert.rejects(
      lines(bad),
      (err: unknown) => err instanceof EngineError && /RUN exit 3/.test(err.message),
    );
  });

  it('binds host directories (read-only when asked), waits for the exit code, drops privileges', async () => {
    const rw = mkdtempSync(path.join(dir, 'rw-'));
    const id = await engine.runContainer({
      name: `berth-build-test-${randomBytes(3).toString('hex')}`,
      image: tag,
      command: [
        '/bin/sh',
        '-c',
        'cat /built.txt > /out/copy; touch /ro/x 2>/dev/null && exit 9; grep CapEff /proc/self/status > /out/caps; exit 4',
      ],
      env: {},
      labels: {},
      ports: [],
      unprivileged: true,
      pidsLimit: 50,
      mounts: [
        { source: rw, destination: '/out' },
        { source: dir, destination: '/ro', readOnly: true },
      ],
    });
    try {
      assert.equal(await engine.waitContainer(id), 4);
      assert.equal(readFileSync(path.join(rw, 'copy'), 'utf8'), 'built\n');
      assert.match(readFileSync(path.join(rw, 'caps'), 'utf8'), /CapEff:\s+0{16}/);
    } finally {
      await engine.removeContainer(id);
    }
  });

  it('leaves an image a container still uses, removes it once unused, and ignores missing ones', async () => {
    const id = await engine.runContainer({
      name: `berth-build-test-${randomBytes(3).toString('hex')}`,
      image: tag,
      command: ['sleep', '60'],
      env: {},
      labels: {},
      ports: [],
    });
    try {
      await engine.removeImage(tag);
      assert.ok(await engine.inspectImage(tag), 'in use: kept');
    } finally {
      await engine.removeContainer(id);
    }
    await engine.removeImage(tag);
    assert.equal(await engine.inspectImage(tag), null);
    await engine.removeImage(tag);
  });
});
