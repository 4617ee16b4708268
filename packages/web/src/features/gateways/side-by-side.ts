/** One cell of a side-by-side diff: a line number and its text, or nothing (a gap). */
export interface DiffCell {
  no: number;
  text: string;
}

export type DiffRow =
  | { kind: 'same'; left: DiffCell; right: DiffCell }
  | { kind: 'change'; left: DiffCell | null; right: DiffCell | null }
  | { kind: 'fold'; count: number; rows: DiffRow[] };

/**
 * Turns the API's line diff (`@@ line N @@` then "  ", "- ", "+ " lines) into two-column rows:
 * a run of removed lines is paired with the run of added lines that follows it, so a changed
 * line sits beside its new text. Runs of more than `2 * context + 1` unchanged lines are folded,
 * keeping `context` lines on each side of a change.
 */
export function sideBySide(diff: string, context = 3): DiffRow[] {
  if (!diff) return [];
  const lines = diff.split('\n');
  const header = /^@@ line (\d+) @@$/.exec(lines[0] ?? '');
  const body = header ? lines.slice(1) : lines;
  // The lines before the first change are context before the hunk's first changed line.
  const lead = body.findIndex((l) => !l.startsWith('  '));
  let left = (header ? Number(header[1]) : 1) - (lead < 0 ? 0 : lead);
  let right = left;
  const rows: DiffRow[] = [];
  let removed: DiffCell[] = [];
  let added: DiffCell[] = [];
  const flush = () => {
    for (let i = 0; i < Math.max(removed.length, added.length); i += 1)
      rows.push({ kind: 'change', left: removed[i] ?? null, right: added[i] ?? null });
    removed = [];
    added = [];
  };
  for (const line of body) {
    const text = line.slice(2);
    if (line.startsWith('- ')) {
      if (added.length) flush();
      removed.push({ no: left++, text });
    } else if (line.startsWith('+ ')) added.push({ no: right++, text });
    else {
      flush();
      rows.push({ kind: 'same', left: { no: left++, text }, right: { no: right++, text } });
    }
  }
  flush();
  return fold(rows, context);
}

function fold(rows: DiffRow[], context: number): DiffRow[] {
  const out: DiffRow[] = [];
  let i = 0;
  while (i < rows.length) {
    if (rows[i]!.kind !== 'same') {
      out.push(rows[i]!);
      i += 1;
      continue;
    }
    let j = i;
    while (j < rows.length && rows[j]!.kind === 'same') j += 1;
    const run = rows.slice(i, j);
    const keepHead = i === 0 ? 0 : context;
    const keepTail = j === rows.length ? 0 : context;
    if (run.length > keepHead + keepTail + 1) {
      out.push(...run.slice(0, keepHead));
      const hidden = run.slice(keepHead, run.length - keepTail);
      out.push({ kind: 'fold', count: hidden.length, rows: hidden });
      out.push(...run.slice(run.length - keepTail));
    } else out.push(...run);
    i = j;
  }
  return out;
}

/** How many lines the diff adds and removes. */
export function diffStats(diff: string): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+ ')) added += 1;
    else if (line.startsWith('- ')) removed += 1;
  }
  return { added, removed };
}
