import { linear, linePath, niceCeil } from './chart-math';
import './charts.css';

/**
 * A tiny inline trend (no axes): the values left to right, scaled to `max` (default: a nice
 * ceiling of the largest value), with the latest value as the accessible label.
 */
export function Sparkline(props: {
  values: readonly number[];
  label: string;
  max?: number;
  width?: number;
  height?: number;
  color?: string;
}) {
  const { values, label, width = 96, height = 22, color = '#1677ff' } = props;
  const max = props.max ?? niceCeil(Math.max(0, ...values));
  const x = linear(0, Math.max(1, values.length - 1), 1, width - 1);
  const y = linear(0, max, height - 2, 2);
  const line = linePath(
    values.map((v, i) => [i, v] as const),
    x,
    y,
  );
  return (
    <svg
      width={width}
      height={height}
      role="img"
      aria-label={label}
      className="sparkline"
      data-points={values.length}
    >
      <title>{label}</title>
      {values.length > 1 ? (
        <>
          <path
            d={`${line}L${x(values.length - 1)},${height}L${x(0)},${height}Z`}
            fill={color}
            opacity={0.12}
          />
          <path d={line} fill="none" stroke={color} strokeWidth={1.5} />
        </>
      ) : (
        <line x1={0} x2={width} y1={height - 1} y2={height - 1} stroke="#d9d9d9" />
      )}
    </svg>
  );
}
