// A uPlot time-series chart that follows its container's width.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color?: string;
}

export const PALETTE = ["#1f5fbf", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0e7490", "#a16207", "#be185d"];

export interface TimeChartProps {
  title: string;
  t: number[];
  series: ChartSeries[];
  /** Formats a y value for the axis and legend. */
  fmt?: (v: number) => string;
  height?: number;
  testid?: string;
}

export function TimeChart({ title, t, series, fmt, height = 170, testid }: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const key = series.map((s) => s.label).join("\u0000");
  const fmtRef = useRef(fmt);
  fmtRef.current = fmt;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const f = (v: number | null) => (v === null || v === undefined ? "–" : fmtRef.current ? fmtRef.current(v) : String(v));
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        { stroke: "#333", grid: { stroke: "#e5e7eb" } },
        { stroke: "#333", grid: { stroke: "#e5e7eb" }, size: 64, values: (_u, vals) => vals.map((v) => f(v)) },
      ],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: s.color ?? PALETTE[i % PALETTE.length],
          width: 1.5,
          value: (_u: uPlot, v: number | null) => f(v),
          spanGaps: false,
        })),
      ],
    };
    const p = new uPlot(opts, [[], ...series.map(() => [])] as unknown as uPlot.AlignedData, el);
    plot.current = p;
    const ro = typeof ResizeObserver === "function" ? new ResizeObserver(() => p.setSize({ width: Math.max(200, el.clientWidth), height })) : null;
    ro?.observe(el);
    return () => {
      ro?.disconnect();
      p.destroy();
      plot.current = null;
    };
    // the series' labels decide the chart's shape; values go through setData
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, height]);

  useEffect(() => {
    plot.current?.setData([t, ...series.map((s) => s.values)] as unknown as uPlot.AlignedData);
  });

  return (
    <figure className="chart" data-testid={testid}>
      <figcaption>{title}</figcaption>
      <div ref={box} className="chart-box" role="img" aria-label={`${title}: time series of ${series.map((s) => s.label).join(", ") || "no data"}`} />
      {series.length === 0 && <p className="muted">No data yet.</p>}
    </figure>
  );
}
