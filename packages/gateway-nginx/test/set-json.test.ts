import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDelta, setBytes, setJson, type EndpointSet } from '../src/dynamic-upstreams';

const server = (address: string, weight = 1) => ({ address, weight });

test('setJson writes what JSON.stringify writes, for the set and for the sets derived from it', () => {
  const empty: { address: string; weight: number }[] = [];
  // one empty array under two names: the cached entry must not carry the first name over
  const base: EndpointSet = {
    version: 4,
    pools: { a: [server('127.0.0.1:8080'), server('127.0.0.1:8081', 3)], b: empty, 'c"q': empty },
  };
  assert.equal(setJson(base), JSON.stringify(base));
  assert.equal(setJson(base), JSON.stringify(base), 'the second call answers the same text');
  const next = applyDelta(base, { version: 5, base: 4, pools: { b: [server('127.0.0.1:9000')] } });
  assert.equal(setJson(next), JSON.stringify(next));
  assert.match(setJson(next), /"b":\[\{"address":"127\.0\.0\.1:9000","weight":1\}\]/);
  assert.equal(setJson(base), JSON.stringify(base), 'the base set keeps its own text');
  assert.deepEqual(JSON.parse(setBytes(next).toString('utf8')), next);
  assert.equal(setBytes(next), setBytes(next), 'one buffer per set');
});
