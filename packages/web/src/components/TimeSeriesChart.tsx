import { useEffect, useRef, useState, type MouseEvent } from 'react';
import { Empty } from 'antd';
import { linear, linePath, niceCeil, ticks, type Point } from './chart-math';
import './charts.css';

export interface Series {
  name: string;
  /** [epoch ms, value], oldest first. */
  points: readonly Point[];
}

const palette = ['#1677ff', '#52c41a', '#fa8c16', '#eb2f96', '#722ed1', '#13c2c2', '#fadb14', '#a0d911'];
const pad = { left: 64, right: 12, top: 10, bottom: 24 };

/** Hours and minutes; with seconds when the chart spans less than ten minutes. */
function timeLabel(ms: number, lang: string, spanMs: number): string {
  return new Date(ms).toLocaleTimeString(lang, {
    hour: '2-digit',
    minute: '2-digit',
    ...(spanMs < 600_000 ? { second: '2-digit' } : {}),
    hour12: false,
  });
}

/**
 * A line chart over time in plain SVG (no chart library: the bundle stays small). It fills its
 * container's width; hovering shows every series' value at the nearest sample time.
 */
export function TimeSeriesChart(props: {
  series: readonly Series[];
  format: (v: number) => string;
  lang: string;
  emptyText: string;
  height?: number;
  testId?: string;
}) {
  const { series, format, lang, emptyText, height = 180, testId } = props;
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(600);
  const [hover, setHover] = useState<number | null>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidth(Math.max(240, el.clientWidth)));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const all = series.flatMap((s) => s.points);
  const times = all.map((p) => p[0]);
  if (all.length === 0)
    return (
      <div ref={box} data-testid={testId} data-empty="true">
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={emptyText} />
      </div>
    );
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  // Four intervals of a nice step, so every axis label is a round number.
  const step = niceCeil(Math.max(0, ...all.map((p) => (Number.isFinite(p[1]) ? p[1] : 0))) / 4);
  const max = step * 4;
  const x = linear(t0, t1, pad.left, width - pad.right);
  const y = linear(0, max, height - pad.bottom, pad.top);
  const xTime = linear(pad.left, width - pad.right, t0, t1);

  const onMove = (e: MouseEvent<SVGSVGElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const at = xTime(e.clientX - rect.left);
    let best = times[0]!;
    for (const t of times) if (Math.abs(t - at) < Math.abs(best - at)) best = t;
    setHover(best);
  };
  const hovered =
    hover === null
      ? []
      : series.flatMap((s, i) => {
          const p = s.points.find((q) => q[0] === hover);
          return p && Number.isFinite(p[1])
            ? [{ name: s.name, value: p[1], color: palette[i % palette.length]! }]
            : [];
        });

  return (
    <div ref={box} className="ts-chart" data-testid={testId} data-series={series.length}>
      <svg width={width} height={height} onMouseMove={onMove} onMouseLeave={() => setHover(null)} role="img">
        {ticks(0, max, 5).map((v) => (
          <g key={v}>
            <line x1={pad.left} x2={width - pad.right} y1={y(v)} y2={y(v)} stroke="#f0f0f0" />
            <text x={pad.left - 6} y={y(v) + 4} textAnchor="end" fontSize={11} fill="#8c8c8c">
              {format(v)}
            </text>
          </g>
        ))}
        {ticks(t0, t1, t1 > t0 ? 5 : 1).map((t) => (
          <text key={t} x={x(t)} y={height - 6} textAnchor="middle" fontSize={11} fill="#8c8c8c">
            {timeLabel(t, lang, t1 - t0)}
          </text>
        ))}
        {series.map((s, i) => (
          <path
            key={s.name}
            d={linePath(s.points, x, y)}
            fill="none"
            stroke={palette[i % palette.length]}
            strokeWidth={1.6}
            className="ts-line"
          />
        ))}
        {hover !== null ? (
          <line x1={x(hover)} x2={x(hover)} y1={pad.top} y2={height - pad.bottom} stroke="#bfbfbf" />
        ) : null}
      </svg>
      {hover !== null && hovered.length ? (
        <div className="ts-tooltip" style={{ left: Math.min(x(hover) + 8, width - 220) }}>
          <div>{new Date(hover).toLocaleTimeString(lang, { hour12: false })}</div>
          {hovered.map((h) => (
            <div key={h.name} className="ts-legend-item">
              <span className="ts-dot" style={{ background: h.color }} />
              <span className="ts-name">{h.name}</span> {format(h.value)}
            </div>
          ))}
        </div>
      ) : null}
      <div className="ts-legend">
        {series.map((s, i) => (
          <span key={s.name} className="ts-legend-item" title={s.name}>
            <span className="ts-dot" style={{ background: palette[i % palette.length] }} />
            <span className="ts-name">{s.name}</span>
          </span>
        ))}
      </div>
    </div>
  );
}
