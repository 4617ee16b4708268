import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyDelta, type EndpointDelta, type EndpointSet, type PoolServer } from '@berth/gateway-nginx';
import { AddressIndex, addressesOf, deriveAddresses, unionOf } from './endpoint-addresses';

const ep = (address: string, weight = 1): PoolServer => ({ address, weight });

/** What the index must equal: every address listed with a weight above 0, rebuilt from scratch. */
function rebuilt(set: EndpointSet): Set<string> {
  const out = new Set<string>();
  for (const name in set.pools) for (const e of set.pools[name]!) if (e.weight > 0) out.add(e.address);
  return out;
}

function assertSame(index: ReadonlySet<string>, want: Set<string>, where: string): void {
  assert.equal(index.size, want.size, `${where}: size`);
  assert.deepEqual(new Set(index), want, `${where}: members`);
  for (const a of want) assert.ok(index.has(a), `${where}: has ${a}`);
}

/** The applier's step: publish set `delta.version` from `prev` and derive its index. */
function publish(prev: EndpointSet, delta: EndpointDelta): EndpointSet {
  const next = applyDelta(prev, delta);
  deriveAddresses(prev, next, Object.keys(delta.pools));
  return next;
}

describe('the drain confirmation address index', () => {
  const v1: EndpointSet = {
    version: 1,
    pools: {
      svc_a: [ep('10.0.0.1:80'), ep('10.0.0.2:80'), ep('10.0.0.3:80', 0)],
      svc_b: [ep('10.0.0.4:80')],
      // the same container in a canary pool too
      svc_a_canary: [ep('10.0.0.2:80')],
      svc_c: [],
    },
  };

  it('lists addresses with a weight above 0 in any pool, once', () => {
    const idx = addressesOf(v1);
    assertSame(idx, new Set(['10.0.0.1:80', '10.0.0.2:80', '10.0.0.4:80']), 'v1');
    assert.equal(idx.has('10.0.0.3:80'), false, 'weight 0 is drained, not listed');
    assert.equal(addressesOf(v1), idx, 'built once per set');
  });

  it('follows a delta that removes, adds and moves addresses, and keeps the old version intact', () => {
    const i1 = addressesOf(v1);
    const v2 = publish(v1, {
      version: 2,
      base: 1,
      pools: {
        // 10.0.0.1 removed; 10.0.0.2 leaves svc_a but stays in the canary pool; 10.0.0.3 gets weight
        svc_a: [ep('10.0.0.3:80', 2)],
        // 10.0.0.4 moves from svc_b to svc_c; a new address in svc_b
        svc_b: [ep('10.0.0.9:80')],
        svc_c: [ep('10.0.0.4:80')],
      },
    });
    const i2 = addressesOf(v2);
    assert.ok(i2 instanceof AddressIndex);
    assertSame(i2, new Set(['10.0.0.2:80', '10.0.0.3:80', '10.0.0.4:80', '10.0.0.9:80']), 'v2');
    assert.equal(i2.has('10.0.0.1:80'), false);
    // a view handed out for version 1 still answers for version 1
    assertSame(i1, rebuilt(v1), 'v1 after v2 was derived');

    // the canary ends: the last pool listing 10.0.0.2 drops it; then weight 0 drains 10.0.0.3
    const v3 = publish(v2, { version: 3, base: 2, pools: { svc_a_canary: [] } });
    const v4 = publish(v3, { version: 4, base: 3, pools: { svc_a: [ep('10.0.0.3:80', 0)] } });
    assertSame(addressesOf(v3), rebuilt(v3), 'v3');
    assertSame(addressesOf(v4), new Set(['10.0.0.4:80', '10.0.0.9:80']), 'v4');
    assert.equal(addressesOf(v4).has('10.0.0.2:80'), false);
    assert.equal(addressesOf(v3).has('10.0.0.3:80'), true);
  });

  it('builds a whole set that was not derived (a configuration version, a set read from the file)', () => {
    const v1copy: EndpointSet = JSON.parse(JSON.stringify(v1)) as EndpointSet;
    const reset: EndpointSet = { version: 7, pools: { svc_z: [ep('10.9.9.9:80')], svc_a: [] } };
    // no index of the copy yet: nothing is derived, the new set is built when asked
    deriveAddresses(v1copy, reset, ['svc_z']);
    assertSame(addressesOf(reset), new Set(['10.9.9.9:80']), 'reset');
    assertSame(addressesOf(v1copy), rebuilt(v1), 'the copy, built');
  });

  it('equals a rebuild after many random deltas (through folding the overlay into the base)', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const addr = () => `10.1.${rand(4)}.${rand(50)}:${8000 + rand(3)}`;
    const pool = (): PoolServer[] => {
      const seen = new Map<string, PoolServer>();
      for (let k = rand(5); k > 0; k -= 1) {
        const e = ep(addr(), rand(4));
        seen.set(e.address, e);
      }
      return [...seen.values()];
    };
    let set: EndpointSet = { version: 1, pools: {} };
    for (let p = 0; p < 200; p += 1) set.pools[`p${p}`] = pool();
    const views: [EndpointSet, ReadonlySet<string>][] = [[set, addressesOf(set)]];
    for (let v = 2; v < 400; v += 1) {
      const pools: Record<string, PoolServer[]> = {};
      for (let k = 1 + rand(6); k > 0; k -= 1) pools[`p${rand(200)}`] = pool();
      set = publish(set, { version: v, base: v - 1, pools });
      assertSame(addressesOf(set), rebuilt(set), `v${v}`);
      if (v % 50 === 0) views.push([set, addressesOf(set)]);
    }
    for (const [s, idx] of views) assertSame(idx, rebuilt(s), `kept view of v${s.version}`);
  });

  it('unites the HTTP index with the entry points without copying either', () => {
    const idx = addressesOf(v1);
    assert.equal(unionOf(idx, new Set()), idx);
    const u = unionOf(idx, new Set(['10.0.0.1:80', '10.7.0.1:6379']));
    assert.equal(u.has('10.7.0.1:6379'), true);
    assert.equal(u.has('10.0.0.4:80'), true);
    assert.equal(u.has('10.0.0.3:80'), false);
    assertSame(u, new Set([...rebuilt(v1), '10.7.0.1:6379']), 'union');
  });
});
