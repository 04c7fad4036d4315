/**
 * A small time-series chart (uPlot: canvas, ~50 kB) for the admin page. It follows its container's
 * width, redraws when the data changes, and keeps a text summary for screen readers.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  color: string;
  values: number[];
}

export function TimeChart({
  title,
  times,
  series,
  bars = false,
  testId,
}: {
  title: string;
  times: number[];
  series: ChartSeries[];
  bars?: boolean;
  testId: string;
}) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const chart = new uPlot(
      {
        width: Math.max(240, element.clientWidth),
        height: 180,
        legend: { show: true },
        scales: { x: { time: true } },
        axes: [
          { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.15)' } },
          { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.15)' } },
        ],
        series: [
          {},
          ...series.map((line) => ({
            label: line.label,
            stroke: line.color,
            fill: bars ? line.color : `${line.color}33`,
            width: bars ? 0 : 2,
            ...(bars ? { paths: uPlot.paths.bars!({ size: [0.6, 12] }), points: { show: false } } : {}),
          })),
        ],
      },
      [times, ...series.map((line) => line.values)],
      element,
    );
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(240, element.clientWidth), height: 180 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // Built once per set of series; new points go through setData below.
  }, [series.map((line) => line.label).join('|'), bars]);

  useEffect(() => {
    plot.current?.setData([times, ...series.map((line) => line.values)]);
  }, [times, series]);

  const latest = series.map((line) => `${line.label} ${line.values.at(-1) ?? 0}`).join(', ');
  return (
    <figure className="time-chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <div ref={container} aria-hidden="true" />
      <p className="sr-only">
        {title}: now {latest}.
      </p>
    </figure>
  );
}
