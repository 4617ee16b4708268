import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRecording, recordingCapBytes, ShellRecorder } from '../src/modules/containers/shell-recorder';

function clock(start = 1000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('shell recorder', () => {
  it('records input as entered lines (backspace applied, CR LF once) and output as text, with times', () => {
    const c = clock();
    const rec = new ShellRecorder({ now: c.now });
    c.advance(5);
    rec.input(Buffer.from('lx'));
    rec.input(Buffer.from('\x7fs -l\r'));
    c.advance(10);
    rec.output(Buffer.from('total 0\r\n'));
    rec.input('echo hi\r\n');
    rec.input('exi');
    rec.finish();
    assert.deepEqual(parseRecording(rec.drain()), [
      { t: 5, d: 'i', s: 'ls -l' },
      { t: 15, d: 'o', s: 'total 0\r\n' },
      { t: 15, d: 'i', s: 'echo hi' },
      { t: 15, d: 'i', s: 'exi' },
    ]);
    assert.equal(rec.drain(), '', 'drain hands over each entry once');
  });

  it('decodes UTF-8 split across chunks', () => {
    const rec = new ShellRecorder();
    const bytes = Buffer.from('héllo ✓');
    rec.output(bytes.subarray(0, 2));
    rec.output(bytes.subarray(2, 9));
    rec.output(bytes.subarray(9));
    rec.finish();
    assert.equal(
      parseRecording(rec.drain())
        .map((e) => e.s)
        .join(''),
      'héllo ✓',
    );
  });

  it('never grows past the cap, keeps recording input after output stops, and says where it stopped', () => {
    const rec = new ShellRecorder();
    const chunk = Buffer.alloc(8192, 'x');
    let text = '';
    for (let i = 0; i < 200; i++) {
      rec.output(chunk);
      if (i % 10 === 0) text += rec.drain();
    }
    rec.input('whoami\r');
    for (let i = 0; i < 60_000; i++) rec.input('a-long-typed-line\r');
    rec.finish();
    text += rec.drain();
    assert.ok(Buffer.byteLength(text) <= recordingCapBytes, `size ${Buffer.byteLength(text)}`);
    assert.equal(rec.size, Buffer.byteLength(text));
    const events = parseRecording(text);
    assert.ok(events.some((e) => e.d === 'o' && e.s.startsWith('[output no longer recorded')));
    assert.ok(
      events.some((e) => e.d === 'i' && e.s === 'whoami'),
      'input after the output cap is kept',
    );
    assert.ok(events.some((e) => e.d === 'i' && e.s.startsWith('[input no longer recorded')));
    assert.equal(events.filter((e) => e.s.includes('no longer recorded')).length, 2, 'each marker once');
  });

  it('splits an endless pasted line into pieces', () => {
    const rec = new ShellRecorder();
    rec.input('y'.repeat(10_000));
    rec.finish();
    const lines = parseRecording(rec.drain());
    assert.deepEqual(
      lines.map((l) => l.s.length),
      [4096, 4096, 1808],
    );
  });
});
