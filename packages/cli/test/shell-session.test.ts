import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exitCodeOf, RemoteEof } from '../src/shell-session';

test('exitCodeOf reads the exit frame and nothing else', () => {
  assert.equal(exitCodeOf('{"type":"exit","code":3}'), 3);
  assert.equal(exitCodeOf('{"type":"exit","code":0}'), 0);
  assert.equal(exitCodeOf('{"type":"exit"}'), 1);
  assert.equal(exitCodeOf('{"type":"resize","cols":80,"rows":24}'), null);
  assert.equal(exitCodeOf('plain output'), null);
});

test('RemoteEof sends ^D once output has gone quiet after input ended, finishing a partial line first', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const sent: string[] = [];
  const eof = new RemoteEof((d) => sent.push(d.toString('latin1')), 300);
  eof.input(Buffer.from('id -u'));
  eof.output();
  t.mock.timers.tick(1000);
  assert.deepEqual(sent, [], 'nothing is sent while input goes on');
  eof.end();
  assert.deepEqual(sent, ['\n']);
  t.mock.timers.tick(200);
  eof.output();
  t.mock.timers.tick(200);
  assert.deepEqual(sent, ['\n'], 'output resets the quiet period');
  t.mock.timers.tick(100);
  assert.deepEqual(sent, ['\n', '\u0004']);
  eof.output();
  t.mock.timers.tick(300);
  assert.deepEqual(
    sent,
    ['\n', '\u0004', '\u0004'],
    'a ^D typed ahead and lost is sent again after the next prompt',
  );
  eof.stop();
  eof.output();
  eof.stop();
  t.mock.timers.tick(1000);
  assert.equal(sent.length, 3);
});

test('RemoteEof sends no newline when the input ended with one', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const sent: string[] = [];
  const eof = new RemoteEof((d) => sent.push(d.toString('latin1')), 300);
  eof.input(Buffer.from('exit 3\n'));
  eof.end();
  t.mock.timers.tick(300);
  assert.deepEqual(sent, ['\u0004']);
});
