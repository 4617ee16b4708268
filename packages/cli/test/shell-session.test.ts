import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exitCodeOf } from '../src/shell-session';

test('exitCodeOf reads the exit frame and nothing else', () => {
  assert.equal(exitCodeOf('{"type":"exit","code":3}'), 3);
  assert.equal(exitCodeOf('{"type":"exit","code":0}'), 0);
  assert.equal(exitCodeOf('{"type":"exit"}'), 1);
  assert.equal(exitCodeOf('{"type":"resize","cols":80,"rows":24}'), null);
  assert.equal(exitCodeOf('plain output'), null);
});
