import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Translate } from '../../i18n/I18nProvider';
import { gatewayZh } from './messages.zh';
import { snippetFieldFor, fromRows } from './snippet-rows';
import { authorText, reasonText } from './version-reason';

/** The Chinese dictionary of these pages, with the portal's `{name}` placeholders. */
const t = ((key: keyof typeof gatewayZh, vars?: Record<string, string | number>) =>
  gatewayZh[key].replace(/\{(\w+)\}/g, (_, n: string) => String(vars?.[n] ?? ''))) as Translate;

describe('gateway pages view helpers', () => {
  it('translates the reasons and the author Berth writes itself, and keeps what users typed', () => {
    assert.equal(reasonText(t, 'endpoints changed'), '后端地址变更');
    assert.equal(reasonText(t, 'rollback to version 12'), '回滚到版本 12');
    assert.equal(reasonText(t, 'update route shop/api'), '修改路由 shop/api');
    assert.equal(reasonText(t, 'move /api to the new backend'), 'move /api to the new backend');
    assert.equal(reasonText(t, 'endpoints changed twice'), 'endpoints changed twice');
    assert.equal(authorText(t, 'system'), '系统');
    assert.equal(authorText(t, 'alice'), 'alice');
  });

  it('maps snippet error paths to their rows and drops empty rows', () => {
    assert.deepEqual(snippetFieldFor('server.2'), ['server', 2, 'directive']);
    assert.deepEqual(snippetFieldFor('http.0.args.1'), ['http', 0, 'args']);
    assert.equal(snippetFieldFor('version'), null);
    assert.deepEqual(fromRows([{ directive: ' gzip ', args: [' on ', ''] }, { args: ['x'] }]), [
      { directive: 'gzip', args: ['on'] },
    ]);
  });
});
