import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseImageRef, sameHost } from './image-ref';

const digest = `sha256:${'a'.repeat(64)}`;

test('image references split into host, repository, tag and digest', () => {
  assert.deepEqual(parseImageRef('127.0.0.1:5000/shop/web:1'), {
    host: '127.0.0.1:5000',
    repository: 'shop/web',
    tag: '1',
    digest: null,
  });
  assert.deepEqual(parseImageRef(`localhost/berth-busybox@${digest}`), {
    host: 'localhost',
    repository: 'berth-busybox',
    tag: null,
    digest,
  });
  assert.deepEqual(parseImageRef('busybox'), {
    host: 'docker.io',
    repository: 'library/busybox',
    tag: 'latest',
    digest: null,
  });
  assert.equal(parseImageRef('UPPER/case:1'), null);
  assert.equal(parseImageRef('a b'), null);
  assert.ok(sameHost('localhost:5000', '127.0.0.1:5000'));
  assert.ok(!sameHost('localhost:5001', '127.0.0.1:5000'));
});
