import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dueUntil, timeline } from './replay';

void describe('shell recording replay timeline', () => {
  void it('keeps the rhythm of output, cuts long idle gaps and lists input lines apart', () => {
    const tl = timeline([
      { t: 0, d: 'o', s: '$ ' },
      { t: 500, d: 'i', s: 'id -u' },
      { t: 520, d: 'o', s: 'id -u\r\n65534\r\n$ ' },
      { t: 3_600_000, d: 'i', s: 'exit' },
      { t: 3_600_010, d: 'o', s: 'exit\r\n' },
    ]);
    assert.deepEqual(
      tl.frames.map((f) => f.at),
      [0, 520, 2530],
    );
    assert.deepEqual(tl.inputs, [
      { at: 500, text: 'id -u' },
      { at: 2520, text: 'exit' },
    ]);
    assert.equal(tl.durationMs, 2530, 'an idle hour replays as two seconds');
  });

  void it('tells which frames are due at a position, from where the last step stopped', () => {
    const { frames } = timeline([
      { t: 0, d: 'o', s: 'a' },
      { t: 100, d: 'o', s: 'b' },
      { t: 200, d: 'o', s: 'c' },
    ]);
    assert.equal(dueUntil(frames, 0, 150), 2);
    assert.equal(dueUntil(frames, 2, 150), 2);
    assert.equal(dueUntil(frames, 2, 10_000), 3);
  });

  void it('survives out-of-order timestamps (clock steps) without going backwards', () => {
    const tl = timeline([
      { t: 100, d: 'o', s: 'x' },
      { t: 50, d: 'o', s: 'y' },
    ]);
    assert.deepEqual(
      tl.frames.map((f) => f.at),
      [100, 100],
    );
  });
});
