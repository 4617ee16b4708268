import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onLoopbackRegistry, registryAuthHeader } from '../src/images';

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

test('plain HTTP only for registries on loopback; every other pull keeps TLS', () => {
  for (const ref of ['127.0.0.1:5000/a/b:1', 'localhost:5000/a/b', '127.3.4.5:80/x', '[::1]:5000/a/b:1'])
    assert.ok(onLoopbackRegistry(ref), ref);
  for (const ref of [
    'registry.dc1.example.net/a/b:1',
    '10.0.0.5:5000/a/b',
    'busybox',
    'library/busybox:1',
    'docker.io/library/busybox',
    '127.0.0.1.example.net/a/b',
    'localhost.example.net:5000/a',
  ])
    assert.ok(!onLoopbackRegistry(ref), ref);
});
