import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffStats, sideBySide } from './side-by-side';

describe('side-by-side diff', () => {
  it('pairs removed lines with the added lines that follow, with line numbers on both sides', () => {
    const diff = [
      '@@ line 5 @@',
      '  a',
      '  b',
      '- old 1',
      '- old 2',
      '+ new 1',
      '  c',
      '+ extra',
      '  d',
    ].join('\n');
    const rows = sideBySide(diff);
    assert.deepEqual(rows, [
      { kind: 'same', left: { no: 3, text: 'a' }, right: { no: 3, text: 'a' } },
      { kind: 'same', left: { no: 4, text: 'b' }, right: { no: 4, text: 'b' } },
      { kind: 'change', left: { no: 5, text: 'old 1' }, right: { no: 5, text: 'new 1' } },
      { kind: 'change', left: { no: 6, text: 'old 2' }, right: null },
      { kind: 'same', left: { no: 7, text: 'c' }, right: { no: 6, text: 'c' } },
      { kind: 'change', left: null, right: { no: 7, text: 'extra' } },
      { kind: 'same', left: { no: 8, text: 'd' }, right: { no: 8, text: 'd' } },
    ]);
    assert.deepEqual(diffStats(diff), { added: 2, removed: 2 });
  });

  it('folds long unchanged runs between changes, keeping context around them', () => {
    const same = Array.from({ length: 20 }, (_, i) => `  s${i}`);
    const rows = sideBySide(['@@ line 1 @@', '- x', ...same, '+ y'].join('\n'), 2);
    assert.equal(rows.length, 1 + 2 + 1 + 2 + 1);
    const fold = rows[3];
    assert.ok(fold && fold.kind === 'fold');
    assert.equal(fold.count, 16);
    assert.equal(fold.rows.length, 16);
  });

  it('shows nothing for identical versions', () => {
    assert.deepEqual(sideBySide(''), []);
  });
});
