import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { combineConfirmations, decideDrain, noGateways } from './controller/rollout-drain';
import { EndpointWatchers } from './endpoint-watchers';

const leaving = { addresses: ['127.0.0.1:4001'], leftAt: new Date().toISOString(), gates: {} };

async function decide(w: EndpointWatchers, env = 'test') {
  return decideDrain(leaving, await w.views(env), Date.now(), 30_000);
}

describe('endpoint watches hold drains until they were written a list without the container', () => {
  it('waits for a watch that has not been written the removal, confirms once it has', async () => {
    const w = new EndpointWatchers();
    let changes = 0;
    w.onChange(() => (changes += 1));
    const a = w.watch('test');
    assert.equal((await decide(w)).outcome, 'waiting', 'a watch that was written nothing yet');
    a.published(['127.0.0.1:4001', '127.0.0.1:4002']);
    const held = await decide(w);
    assert.equal(held.outcome, 'waiting', 'the last list written still holds the container');
    assert.match(held.pending.join(), /removal not yet published/);
    a.published(['127.0.0.1:4002']);
    assert.equal((await decide(w)).outcome, 'confirmed');
    assert.equal(changes, 2, 'every write wakes the confirmation');
  });

  it('ignores watches of other environments and closed watches; times out like a gateway node', async () => {
    const w = new EndpointWatchers();
    w.watch('prod').published(['127.0.0.1:4001']);
    const b = w.watch('test');
    b.published(['127.0.0.1:4001']);
    assert.equal((await decide(w)).outcome, 'waiting');
    const late = decideDrain(
      { ...leaving, leftAt: new Date(Date.now() - 31_000).toISOString() },
      await w.views('test'),
      Date.now(),
      30_000,
    );
    assert.equal(late.outcome, 'timeout', 'a stuck client cannot hold a container forever');
    b.close();
    assert.equal(w.size, 1);
    assert.equal((await decide(w)).outcome, 'confirmed', 'a closed watch holds nothing');
  });

  it('combines with the gateways: views of both, a change in either wakes', async () => {
    const w = new EndpointWatchers();
    w.watch('test').published(['127.0.0.1:4001']);
    const both = combineConfirmations(noGateways, w);
    let woken = 0;
    const off = both.onChange(() => (woken += 1));
    assert.equal((await both.views('test')).length, 1);
    const c = w.watch('test');
    assert.equal(woken, 0, 'opening a watch is not a change');
    c.published([]);
    assert.equal(woken, 1, 'a write wakes through the combined port');
    off();
    c.published(['127.0.0.1:4002']);
    assert.equal(woken, 1, 'unsubscribed from every port');
  });
});
