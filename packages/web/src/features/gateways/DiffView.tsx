import { useMemo, useState } from 'react';
import { Button, Empty } from 'antd';
import { useI18n } from '../../i18n/I18nProvider';
import { sideBySide, type DiffCell, type DiffRow } from './side-by-side';
import './gateways.css';

function Cell({ cell, side, changed }: { cell: DiffCell | null; side: 'left' | 'right'; changed: boolean }) {
  const kind = !changed ? 'same' : !cell ? 'gap' : side === 'left' ? 'removed' : 'added';
  return (
    <>
      <td className="diff-no">{cell?.no ?? ''}</td>
      <td className={`diff-text diff-${kind}`} data-diff={kind}>
        {cell ? (kind === 'removed' ? '- ' : kind === 'added' ? '+ ' : '  ') + cell.text : ''}
      </td>
    </>
  );
}

function Rows({ rows }: { rows: DiffRow[] }) {
  const { t } = useI18n();
  const [open, setOpen] = useState<Set<number>>(new Set());
  return rows.map((row, i) => {
    if (row.kind === 'fold') {
      if (open.has(i)) return <Rows key={i} rows={row.rows} />;
      return (
        <tr key={i} className="diff-fold">
          <td colSpan={4}>
            <Button type="link" size="small" onClick={() => setOpen((s) => new Set(s).add(i))}>
              {t('gateways.diff.unfold', { count: row.count })}
            </Button>
          </td>
        </tr>
      );
    }
    const changed = row.kind === 'change';
    return (
      <tr key={i}>
        <Cell cell={row.left} side="left" changed={changed} />
        <Cell cell={row.right} side="right" changed={changed} />
      </tr>
    );
  });
}

/**
 * A line diff as two columns: version A on the left (removed lines red), version B on the right
 * (added lines green), unchanged runs folded. The text is rendered as text, never as HTML.
 */
export function DiffView({ diff, from, to }: { diff: string; from: string; to: string }) {
  const { t } = useI18n();
  const rows = useMemo(() => sideBySide(diff), [diff]);
  if (!rows.length) return <Empty description={t('gateways.diff.same')} data-testid="diff-empty" />;
  return (
    <div className="diff-scroll">
      <table className="diff-table" data-testid="diff-table">
        <colgroup>
          <col className="diff-no-col" />
          <col />
          <col className="diff-no-col" />
          <col />
        </colgroup>
        <thead>
          <tr>
            <th colSpan={2}>{from}</th>
            <th colSpan={2}>{to}</th>
          </tr>
        </thead>
        <tbody>
          <Rows rows={rows} />
        </tbody>
      </table>
    </div>
  );
}
