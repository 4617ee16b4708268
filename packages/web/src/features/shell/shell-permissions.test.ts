import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Me, RoleBinding } from '@berth/shared';
import { canExecRoot } from './shell-permissions';

const me = (...bindings: Array<Pick<RoleBinding, 'role' | 'scope'>>) =>
  ({
    bindings: bindings.map((b, i) => ({ ...b, id: String(i), user: 'u', createdAt: '', createdBy: '' })),
  }) as Me;

describe('root shell permission', () => {
  it('follows the roles and scopes that hold services:exec-root', () => {
    assert.equal(
      canExecRoot(me({ role: 'platform-admin', scope: { kind: 'platform' } }), 'web', undefined),
      true,
    );
    assert.equal(
      canExecRoot(me({ role: 'team-admin', scope: { kind: 'team', name: 'shop' } }), 'web', 'shop'),
      true,
    );
    assert.equal(
      canExecRoot(me({ role: 'team-admin', scope: { kind: 'team', name: 'shop' } }), 'web', 'ads'),
      false,
    );
    assert.equal(
      canExecRoot(me({ role: 'team-admin', scope: { kind: 'project', name: 'web' } }), 'web', 'x'),
      true,
    );
    assert.equal(
      canExecRoot(me({ role: 'developer', scope: { kind: 'project', name: 'web' } }), 'web', 'x'),
      false,
    );
    assert.equal(canExecRoot(null, 'web', 'shop'), false);
  });
});
