import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDelta, poolOf, setBytes, setJson, type EndpointSet } from '../src/dynamic-upstreams';

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

test('applyDelta keeps the base record and the replaced pools until the record is read; poolOf reads one pool', () => {
  const pools: EndpointSet['pools'] = {};
  for (let i = 0; i < 1000; i += 1) pools[`p${i}`] = [server(`127.0.${i >> 8}.${i & 255}:80`)];
  const base: EndpointSet = { version: 1, pools };
  const copy = structuredClone(pools);
  const plain = (s: EndpointSet) => JSON.parse(JSON.stringify(s)) as EndpointSet;
  const layered = (s: EndpointSet) => typeof Object.getOwnPropertyDescriptor(s, 'pools')?.get === 'function';
  let set = base;
  let want: EndpointSet = plain(base);
  for (let v = 2; v <= 400; v += 1) {
    // the same pool again and again, and a new one each time: past 256 replaced pools the record is copied
    const delta = { version: v, base: v - 1, pools: { p7: [server('10.0.0.1:80', v % 3)], [`q${v}`]: [] } };
    set = applyDelta(set, delta);
    want = { version: v, pools: { ...want.pools, ...delta.pools } };
    assert.deepEqual(poolOf(set, 'p7'), [server('10.0.0.1:80', v % 3)]);
    assert.deepEqual(poolOf(set, `q${v}`), []);
    assert.deepEqual(poolOf(set, 'p999'), pools.p999);
    assert.equal(poolOf(set, 'nope'), undefined);
    if (v === 3) {
      assert.ok(layered(set), 'no record of 1,000 pools built for a change of two');
      assert.equal(poolOf(set, 'p500'), pools.p500, 'unchanged pools are the base arrays');
    }
    if (v % 50 === 0) assert.deepEqual(plain(set), want);
  }
  assert.deepEqual(set.pools, want.pools);
  assert.equal(layered(set), false, 'read once, the record stays');
  assert.equal(set.pools, set.pools);
  assert.deepEqual(pools, copy, 'the base record never changes');
  assert.equal(setJson(set), JSON.stringify(want));
});
