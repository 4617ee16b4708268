// A node:test reporter for the end of `npm test`: the test files that took longest (the sum of
// their top-level tests' durations, suite hooks included), then one plain closing line
// "N passed, N failed, N skipped" counted like node's own summary (tests, not suites).
// With BERTH_TEST_SUMMARY_JSON set it appends its counts to that file as one JSON line instead,
// and scripts/test.sh prints the runs' sum (`node scripts/slowest-reporter.mjs FILE`): npm test
// runs the app store's files in a second run, after the images they need are built.
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export default async function* slowest(source) {
  const perFile = {};
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const ev of source) {
    if (ev.type !== 'test:pass' && ev.type !== 'test:fail') continue;
    const d = ev.data;
    if (d.details?.type !== 'suite') {
      if (d.skip !== undefined || d.todo !== undefined) skipped += 1;
      else if (ev.type === 'test:pass') passed += 1;
      else failed += 1;
    }
    if (d.nesting === 0 && d.file) perFile[d.file] = (perFile[d.file] ?? 0) + (d.details?.duration_ms ?? 0);
  }
  const run = { perFile, passed, failed, skipped };
  const json = process.env.BERTH_TEST_SUMMARY_JSON;
  if (json) appendFileSync(json, `${JSON.stringify(run)}\n`);
  else yield summaryText([run]);
}

/** The slowest files and the closing line, over one or more runs. */
export function summaryText(runs) {
  const perFile = new Map();
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const r of runs) {
    for (const [file, ms] of Object.entries(r.perFile)) perFile.set(file, (perFile.get(file) ?? 0) + ms);
    passed += r.passed;
    failed += r.failed;
    skipped += r.skipped;
  }
  const rows = [...perFile.entries()].sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((s, [, ms]) => s + ms, 0);
  let text = `\nslowest test files (of ${rows.length}; ${(total / 60000).toFixed(1)} min in tests):\n`;
  for (const [file, ms] of rows.slice(0, 15))
    text += `  ${(ms / 1000).toFixed(1).padStart(7)} s  ${path.relative(process.cwd(), file)}\n`;
  return `${text}\n${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}

/** The files whose own process used the most CPU (scripts/cpu-account.mjs), and the sum. */
export function cpuText(entries) {
  const rows = [...entries].sort((a, b) => b.cpuS - a.cpuS);
  const total = rows.reduce((s, r) => s + r.cpuS, 0);
  let text = `\nmost CPU in the test files' own processes (of ${rows.length}; ${Math.round(total)} CPU-s, without Podman, Chromium and spawned processes):\n`;
  for (const r of rows.slice(0, 10))
    text += `  ${r.cpuS.toFixed(1).padStart(7)} s  ${path.relative(process.cwd(), r.file)}\n`;
  return text;
}

const jsonLines = (file) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

// `node scripts/slowest-reporter.mjs FILE [CPU_FILE]`: the summary of the runs recorded in FILE,
// after the CPU ranking of CPU_FILE when given (and readable).
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  if (process.argv[3]) {
    try {
      process.stdout.write(cpuText(jsonLines(process.argv[3])));
    } catch {
      // no CPU record (a run without the preload): the summary alone
    }
  }
  process.stdout.write(summaryText(jsonLines(process.argv[2])));
}
