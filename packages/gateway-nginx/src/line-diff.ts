/**
 * A unified-style line diff ("-" removed, "+" added, two lines of context) of two rendered
 * configurations. The common head and tail are trimmed first; the middle uses an LCS table when
 * it is small and falls back to "all removed, all added" when it is not, so that diffing two
 * 10,000-route files never costs quadratic memory.
 */
export function lineDiff(before: string, after: string, maxCells = 4_000_000): string {
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head += 1;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail += 1;
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  if (am.length === 0 && bm.length === 0) return '';
  const ops: string[] = [];
  if (am.length * bm.length <= maxCells) {
    const n = am.length;
    const m = bm.length;
    const t = new Uint32Array((n + 1) * (m + 1));
    for (let i = n - 1; i >= 0; i -= 1)
      for (let j = m - 1; j >= 0; j -= 1)
        t[i * (m + 1) + j] =
          am[i] === bm[j]
            ? t[(i + 1) * (m + 1) + j + 1]! + 1
            : Math.max(t[(i + 1) * (m + 1) + j]!, t[i * (m + 1) + j + 1]!);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        ops.push(`  ${am[i]}`);
        i += 1;
        j += 1;
      } else if (i < n && (j === m || t[(i + 1) * (m + 1) + j]! >= t[i * (m + 1) + j + 1]!)) {
        ops.push(`- ${am[i]}`);
        i += 1;
      } else {
        ops.push(`+ ${bm[j]}`);
        j += 1;
      }
    }
  } else {
    for (const l of am) ops.push(`- ${l}`);
    for (const l of bm) ops.push(`+ ${l}`);
  }
  const before2 = a.slice(Math.max(0, head - 2), head).map((l) => `  ${l}`);
  const after2 = a.slice(a.length - tail, a.length - tail + 2).map((l) => `  ${l}`);
  return [`@@ line ${head + 1} @@`, ...before2, ...ops, ...after2].join('\n');
}
