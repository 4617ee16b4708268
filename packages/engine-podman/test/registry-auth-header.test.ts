import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registryAuthHeader } from '../src/images';

test('X-Registry-Auth is Go URL-safe base64 with padding, and absent without a credential', () => {
  assert.deepEqual(registryAuthHeader(undefined), {});
  // Lengths that need one and two padding characters: Go's base64.URLEncoding rejects them unpadded.
  for (const password of ['a', 'ab', 'abc', 'x.y-z_?>~']) {
    const value = registryAuthHeader({ username: 'berth-credential', password })['X-Registry-Auth']!;
    assert.equal(value.length % 4, 0, value);
    assert.match(value, /^[A-Za-z0-9_-]+={0,2}$/);
    const decoded = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Record<string, string>;
    assert.deepEqual(decoded, { username: 'berth-credential', password });
  }
});
