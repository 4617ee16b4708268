import { test } from 'node:test';
import assert from 'node:assert/strict';
import { numericUser } from './debug';

const passwd = 'root:x:0:0::/:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n';

test('numericUser: the uid:gid a debug container runs as, to match the target process', () => {
  assert.equal(numericUser('app', passwd), '1000:1001', 'a name: uid and gid from passwd');
  assert.equal(numericUser('app:50', passwd), '1000:50', 'an explicit gid wins');
  assert.equal(numericUser('1000', passwd), '1000:1001', "a bare uid takes its passwd entry's gid");
  assert.equal(
    numericUser('4242', passwd),
    '4242:0',
    'a bare uid without an entry runs with gid 0, as podman does',
  );
  assert.equal(numericUser('4242:7', null), '4242:7');
  assert.equal(numericUser('ghost', passwd), null, 'a name the image does not know');
  assert.equal(numericUser('app', null), null, 'no passwd to look it up in');
});
