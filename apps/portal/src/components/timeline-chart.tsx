import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

export interface Series {
  label: string;
  values: (number | null)[];
  color: string;
  /** Formats a value for the axis and the legend. */
  format: (value: number) => string;
}

/** A small time-series chart (uPlot, drawn on a canvas); `times` are epoch seconds. */
export function TimelineChart({
  title,
  times,
  series,
  height = 200,
}: {
  title: string;
  times: number[];
  series: Series[];
  height?: number;
}) {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const format = series[0].format;
    const plot = new uPlot(
      {
        width: Math.max(320, element.clientWidth),
        height,
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            spanGaps: false,
            points: { show: true, size: 4 },
            value: (_: uPlot, v: number | null) => (v === null ? '—' : s.format(v)),
          })),
        ],
        axes: [{}, { values: (_: uPlot, ticks: number[]) => ticks.map(format), size: 60 }],
        scales: { y: { range: (_: uPlot, min: number, max: number) => [Math.min(0, min), Math.max(max, 1)] } },
        cursor: { drag: { x: false, y: false } },
      },
      [times, ...series.map((s) => s.values)] as uPlot.AlignedData,
      element,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(320, element.clientWidth), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [times, series, height]);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={container} role="img" aria-label={`${title}: ${describe(series)}`} />
    </figure>
  );
}

/** A text summary of the chart for screen readers. */
function describe(series: Series[]): string {
  return series
    .map((s) => {
      const known = s.values.filter((v): v is number => v !== null);
      return known.length
        ? `${s.label} from ${s.format(Math.min(...known))} to ${s.format(Math.max(...known))}`
        : `${s.label}: no data`;
    })
    .join('; ');
}
