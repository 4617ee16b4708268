/**
 * `berth apps images` and `berth apps build-images` (docs/apps.md "Images") against a real
 * server without an embedded registry: the build task runs scripts/app-images.sh and the image
 * stays in the local store. Nothing real is rebuilt: a throwaway prefix and a test directory
 * whose redis/Containerfile starts FROM the real localhost/berth-apps/redis:7.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { AppImagesView } from '@berth/shared';
import { platformCli } from './platform-support';
import { appImagesBuilt } from '../../server/test/helpers/app-images';

// under npm test the real images are built beside the first test files (helpers/app-images.ts)
await appImagesBuilt();

const run = promisify(execFile);
const suffix = randomBytes(3).toString('hex');
const prefix = `localhost/berth-apps-c${suffix}`;
const images = mkdtempSync(path.join(tmpdir(), 'berth-cli-app-images-'));
mkdirSync(path.join(images, 'redis'));
writeFileSync(
  path.join(images, 'redis', 'Containerfile'),
  `FROM localhost/berth-apps/redis:7\nLABEL io.berth.test=${suffix}\n`,
);

describe('berth apps images / build-images', () => {
  const cli = platformCli({
    dirPrefix: 'berth-cli-app-images-',
    server: {
      BERTH_GATEWAY_LISTEN: 'off',
      BERTH_REGISTRY_LISTEN: 'off',
      BERTH_APP_IMAGES_PREFIX: prefix,
      BERTH_APP_IMAGES_BASE: 'localhost/berth-apps/debian:12',
      BERTH_APP_IMAGES_DIR: images,
    },
    setup: 'admin',
  });
  const { berth, json } = cli;
  after(async () => {
    await run('podman', ['rmi', '--ignore', `${prefix}/redis:7`]).catch(() => undefined);
    rmSync(images, { recursive: true, force: true });
  });

  it('names an app it cannot build, and exits 1', async () => {
    const bad = await berth(['apps', 'build-images', 'redis', 'nope']);
    assert.equal(bad.code, 1, bad.out + bad.err);
    assert.match(bad.err, /apps\.1/);
  });

  it('builds an image as a task and lists it in the local store', async (t) => {
    const real = await cli.platform.engine.inspectImage('localhost/berth-apps/redis:7').catch(() => null);
    if (!real) return t.skip('localhost/berth-apps/redis:7 is not built: run scripts/app-images.sh redis');
    const before = await json<AppImagesView>(['apps', 'images']);
    assert.equal(before.items.find((i) => i.name === 'redis')?.state, 'missing');
    const built = await berth(['apps', 'build-images', 'redis']);
    assert.equal(built.code, 0, built.out + built.err);
    assert.match(built.out, /images built and pushed: built redis/);
    const list = await berth(['apps', 'images']);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, new RegExp(`redis\\s+redis\\s+local\\s+${prefix}/redis:7`));
  });
});
