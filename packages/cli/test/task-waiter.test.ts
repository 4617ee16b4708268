import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Task } from '@berth/shared';
import { progressLine } from '../src/task-waiter';

const task = (progress: Task['progress']): Task => ({
  id: 't',
  kind: 'deploy',
  target: 'p/e/s',
  state: 'running',
  progress,
  createdAt: '',
  createdBy: '',
  startedAt: null,
  finishedAt: null,
  error: null,
});

test('progressLine shows a counter unless the message already has it', () => {
  assert.equal(
    progressLine(task({ done: 1, total: 3, message: 'creating containers' })),
    '[1/3] creating containers',
  );
  assert.equal(
    progressLine(task({ done: 1, total: 3, message: '1/3 containers ready' })),
    '1/3 containers ready',
  );
  assert.equal(progressLine(task({ done: 0, total: 0, message: '' })), 'running');
  assert.equal(progressLine(task({ done: 0, total: 0, message: 'a\u001b[2Jb' })), 'a?[2Jb');
});
