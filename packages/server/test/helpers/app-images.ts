/**
 * The app store's images (scripts/app-images.sh) take minutes to build cold, so `npm test`
 * (scripts/test.sh) builds them beside the first test files and runs the app-store files last.
 * A file that needs them calls this first: under `npm test` it waits until that build has ended
 * (scripts/test.sh writes its exit code to BERTH_TEST_APP_IMAGES_DONE) and fails the file when the
 * build failed, with the end of its log; run alone, it returns at once and the file skips what is
 * not built, saying how to build it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { eventually } from './platform';

export async function appImagesBuilt(): Promise<void> {
  const done = process.env.BERTH_TEST_APP_IMAGES_DONE;
  if (!done) return;
  await eventually(
    () => Promise.resolve(existsSync(done)),
    'the app images build of scripts/test.sh',
    40 * 60_000,
    1000,
  );
  const code = readFileSync(done, 'utf8').trim();
  if (code !== '0') {
    const logFile = process.env.BERTH_TEST_APP_IMAGES_LOG;
    const log = logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-3000) : '';
    throw new Error(`scripts/app-images.sh failed (exit ${code}) in scripts/test.sh:\n${log}`);
  }
}
