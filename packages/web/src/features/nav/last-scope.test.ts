import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { scopeOfPath } from './last-scope';

describe('scopeOfPath', () => {
  const last = { project: 'shop', env: 'prod' };

  it('reads the project and environment of an environment page', () => {
    assert.deepEqual(scopeOfPath('/p/shop/test/s/web/overview', null), { project: 'shop', env: 'test' });
    assert.deepEqual(scopeOfPath('/p/shop/test', last), { project: 'shop', env: 'test' });
  });

  it("keeps the last scope on the project's quota page and on pages outside a project", () => {
    // the menus of the quota page linked to /p/shop/quota/routes, an environment that is not there
    assert.deepEqual(scopeOfPath('/p/shop/quota', last), last);
    assert.deepEqual(scopeOfPath('/clusters', last), last);
    assert.equal(scopeOfPath('/audit', null), null);
    assert.deepEqual(scopeOfPath('/p/shop/%E0%A4%A', last), last, 'a malformed escape');
  });
});
