import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manifestSize, nextLast, parseBearerChallenge } from './registry-client';

test('a Bearer challenge gives the realm, service and scope; other schemes give null', () => {
  assert.deepEqual(
    parseBearerChallenge(
      'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:shop/web:pull"',
    ),
    {
      realm: 'https://auth.example.com/token',
      service: 'registry.example.com',
      scope: 'repository:shop/web:pull',
    },
  );
  assert.equal(parseBearerChallenge('Basic realm="registry"'), null);
  assert.equal(parseBearerChallenge(null), null);
});

test('the Link header of a catalog or tags page names where the next page starts', () => {
  // distribution 2.8's header, verbatim
  assert.equal(nextLast('</v2/_catalog?last=a%2Fweb&n=1>; rel="next"'), 'a/web');
  assert.equal(nextLast('</v2/shop/web/tags/list?last=2&n=2>; rel="next"'), '2');
  assert.equal(nextLast(null), null);
});

test('an image size is its config plus its layers; an index has none of its own', () => {
  const d = (size: number) => ({ mediaType: 'x', digest: 'sha256:x', size });
  assert.equal(
    manifestSize({ mediaType: 'm', digest: 'd', config: d(446), layers: [d(1_088_117), d(10)] }),
    1_088_573,
  );
  assert.equal(manifestSize({ mediaType: 'i', digest: 'd', manifests: [d(1)] }), null);
});
