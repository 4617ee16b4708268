// Preloaded into every test file's process by scripts/test.sh (`--import`): at exit, appends the
// process's own CPU time (user + system: its tests and the Berth servers it runs in-process; not
// Podman, Chromium or the processes it spawns) to $BERTH_TEST_CPU_JSON as one JSON line. The suite
// is CPU-bound on two cores (docs/testing.md), so this ranks where its Node time goes.
import { appendFileSync } from 'node:fs';

const out = process.env.BERTH_TEST_CPU_JSON;
const file = process.argv[1];
if (out && file && /\.test\.ts$/.test(file)) {
  process.on('exit', () => {
    const { user, system } = process.cpuUsage();
    appendFileSync(out, `${JSON.stringify({ file, cpuS: Math.round((user + system) / 1e4) / 100 })}\n`);
  });
}
