import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageRefOnCluster, parseImageRef, sameHost } from './image-ref';

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

test('a cluster pulls the embedded registry’s images under its own address of the registry, others as they are', () => {
  const digest = `sha256:${'b'.repeat(64)}`;
  const reg = 'registry.dc1.example.net';
  assert.equal(imageRefOnCluster('127.0.0.1:5000/shop/web:3', '127.0.0.1:5000', reg), `${reg}/shop/web:3`);
  assert.equal(
    imageRefOnCluster(`localhost:5000/shop/web@${digest}`, '127.0.0.1:5000', `${reg}:443`),
    `${reg}:443/shop/web@${digest}`,
  );
  // another registry, a Docker Hub short name, no cluster address, no embedded registry: unchanged
  assert.equal(
    imageRefOnCluster('127.0.0.1:5001/shop/web:3', '127.0.0.1:5000', reg),
    '127.0.0.1:5001/shop/web:3',
  );
  assert.equal(imageRefOnCluster('busybox', '127.0.0.1:5000', reg), 'busybox');
  assert.equal(
    imageRefOnCluster('127.0.0.1:5000/shop/web:3', '127.0.0.1:5000', null),
    '127.0.0.1:5000/shop/web:3',
  );
  assert.equal(imageRefOnCluster('127.0.0.1:5000/shop/web:3', null, reg), '127.0.0.1:5000/shop/web:3');
});
