import { useEffect, useLayoutEffect, useRef, useState, type CSSProperties, type ReactNode } from 'react';
import './virtual-table.css';

export interface VirtualColumn<T> {
  key: string;
  title: ReactNode;
  /** A CSS width for the column (px or %); the columns without one share what is left. */
  width?: number | string;
  render: (row: T) => ReactNode;
  /** Cut long text with an ellipsis (the cell's title shows it whole when `text` gives it). */
  text?: (row: T) => string;
}

interface Props<T> {
  rows: readonly T[];
  columns: ReadonlyArray<VirtualColumn<T>>;
  rowKey: (row: T) => string;
  /** Every row has this height in px (cells never wrap), which is what makes windowing exact. */
  rowHeight?: number;
  /** Rows rendered beyond the visible ones on each side, so fast scrolling shows no gap. */
  overscan?: number;
  /** The table's narrowest width; narrower screens scroll the table sideways, not the page. */
  minWidth?: number;
  /**
   * Called when the window comes near the last loaded row once the user scrolled (again whenever
   * it changes identity while still near: a new callback after a page arrived asks for the next).
   */
  onNearEnd?: () => void;
  /** A last row under the data, e.g. "loading more". */
  footer?: ReactNode;
  /** The number of rows there are in all, when known (for assistive technology); -1 if not. */
  totalRows?: number;
  label: string;
  testId?: string;
  style?: CSSProperties;
}

/** How close (in rows) the window must come to the end before onNearEnd is called. */
const nearEnd = 100;

/**
 * A table that renders only the rows in view (plus `overscan`), between two spacer rows that
 * keep the scroll height of the whole list: 10,000 rows cost the DOM about forty. A real
 * <table> with a sticky header, so rows are rows to tests and screen readers alike; the rows it
 * holds carry aria-rowindex and the table aria-rowcount.
 */
export function VirtualTable<T>({
  rows,
  columns,
  rowKey,
  rowHeight = 44,
  overscan = 10,
  minWidth = 960,
  onNearEnd,
  footer,
  totalRows,
  label,
  testId,
  style,
}: Props<T>) {
  const scroller = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 800 });

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    let frame = 0;
    const read = () => {
      frame = 0;
      setView((v) =>
        v.top === el.scrollTop && v.height === el.clientHeight
          ? v
          : { top: el.scrollTop, height: el.clientHeight },
      );
    };
    // One state update per frame however many scroll events arrive.
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(read);
    };
    read();
    el.addEventListener('scroll', schedule, { passive: true });
    const resize = new ResizeObserver(schedule);
    resize.observe(el);
    return () => {
      el.removeEventListener('scroll', schedule);
      resize.disconnect();
      if (frame) cancelAnimationFrame(frame);
    };
  }, []);

  const first = Math.max(0, Math.floor(view.top / rowHeight) - overscan);
  const last = Math.min(rows.length, Math.ceil((view.top + view.height) / rowHeight) + overscan);
  // Not before the user scrolls (unless all loaded rows fit): the next page would compete with
  // the first screen for the network and the main thread.
  const near = last >= rows.length - nearEnd && (view.top > 0 || last === rows.length);
  useEffect(() => {
    if (near) onNearEnd?.();
  }, [near, rows.length, onNearEnd]);

  const span = columns.length;
  const visible = rows.slice(first, last);
  return (
    <div ref={scroller} className="vtable-scroll" tabIndex={0} style={style} data-testid={testId}>
      <table
        className="vtable"
        style={{ minWidth }}
        aria-label={label}
        aria-rowcount={totalRows ?? -1}
        data-first-row={first}
      >
        <colgroup>
          {columns.map((c) => (
            <col key={c.key} style={c.width === undefined ? undefined : { width: c.width }} />
          ))}
        </colgroup>
        <thead>
          <tr aria-rowindex={1}>
            {columns.map((c) => (
              <th key={c.key} scope="col">
                {c.title}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {first > 0 ? (
            <tr aria-hidden className="vtable-spacer">
              <td colSpan={span} style={{ height: first * rowHeight }} />
            </tr>
          ) : null}
          {visible.map((row, i) => (
            <tr
              key={rowKey(row)}
              className="vtable-row"
              aria-rowindex={first + i + 2}
              style={{ height: rowHeight }}
            >
              {columns.map((c) => (
                <td key={c.key} title={c.text?.(row)}>
                  {c.render(row)}
                </td>
              ))}
            </tr>
          ))}
          {last < rows.length ? (
            <tr aria-hidden className="vtable-spacer">
              <td colSpan={span} style={{ height: (rows.length - last) * rowHeight }} />
            </tr>
          ) : null}
          {footer ? (
            <tr className="vtable-footer">
              <td colSpan={span}>{footer}</td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </div>
  );
}
