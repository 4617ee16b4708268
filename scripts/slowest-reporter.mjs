// A node:test reporter for the end of `npm test`: the test files that took longest (the sum of
// their top-level tests' durations, suite hooks included), then one plain closing line
// "N passed, N failed, N skipped" counted like node's own summary (tests, not suites).
import path from 'node:path';

export default async function* slowest(source) {
  const perFile = new Map();
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
    if (d.nesting === 0 && d.file)
      perFile.set(d.file, (perFile.get(d.file) ?? 0) + (d.details?.duration_ms ?? 0));
  }
  const rows = [...perFile.entries()].sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((s, [, ms]) => s + ms, 0);
  yield `\nslowest test files (of ${rows.length}; ${(total / 60000).toFixed(1)} min in tests):\n`;
  for (const [file, ms] of rows.slice(0, 15))
    yield `  ${(ms / 1000).toFixed(1).padStart(7)} s  ${path.relative(process.cwd(), file)}\n`;
  yield `\n${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}
