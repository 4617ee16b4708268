import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Caller } from './helpers/db';
import { adminServer, type AdminServer } from './helpers/admin-server';

const adminPassword = 'admin-password-for-idempotency-tests';

/*
 * A POST sent with an Idempotency-Key keeps its answer for 24 hours so that a retry replays it
 * (http/idempotency-store.ts). Some answers carry a secret shown once: an API token, a gateway
 * node's token, an app instance's generated password. The kept answer must be sealed at rest like
 * every other secret Berth stores, not a plaintext copy in the database.
 */
describe('idempotent answers that carry a secret', () => {
  let s: AdminServer;
  let admin: Caller;
  adminServer('sqlite', adminPassword, (x) => ((s = x), (admin = x.admin)));

  it('keeps the answer sealed in the store and replays it to the same caller', async () => {
    const key = { 'Idempotency-Key': 'token-once-1' };
    const first = await admin.call('POST', '/api/v1/me/tokens', { name: 'ci' }, key);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const secret = first.body.token as string;
    assert.ok(typeof secret === 'string' && secret.length >= 20, JSON.stringify(first.body));

    const rows = await s.server.ctx.db.selectFrom('idempotency_keys').select('body').execute();
    assert.equal(rows.length, 1);
    assert.ok(!rows[0]!.body.includes(secret), `the token is in the store as it is: ${rows[0]!.body}`);

    const again = await admin.call('POST', '/api/v1/me/tokens', { name: 'ci' }, key);
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.body.token, secret);
    // one token was made: the replay made none
    const list = await admin.get('/api/v1/me/tokens');
    assert.equal(list.body.items.length, 1, JSON.stringify(list.body));
  });
});
