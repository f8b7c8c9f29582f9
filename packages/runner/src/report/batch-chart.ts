import type { ChartConfiguration } from 'chart.js';
import { axis, title as chartTitle, render } from './charts.ts';

/** What the chart reads of a batch report row. */
export interface BatchSpeedupPoint {
  variant: string;
  budget: string;
  batch: number;
  speedup: { estimate: number } | null;
}

const COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f'];

/**
 * Line chart of each variant's speedup over plain decoding against batch size (one line per variant and
 * budget; dashed = shared budget), with the 1× line: where a line crosses it the method stops paying.
 */
export function batchSpeedupChart(rows: readonly BatchSpeedupPoint[], title: string, subtitle: string): Buffer | null {
  const series = [...new Set(rows.filter((r) => r.speedup).map((r) => `${r.variant}\u0000${r.budget}`))];
  if (series.length === 0) return null;
  const batches = [...new Set(rows.map((r) => r.batch))].sort((a, b) => a - b);
  const datasets = series.map((s, i) => {
    const [variant, budget] = s.split('\u0000');
    const points = rows
      .filter((r) => r.variant === variant && r.budget === budget && r.speedup)
      .sort((a, b) => a.batch - b.batch)
      .map((r) => ({ x: r.batch, y: r.speedup?.estimate ?? Number.NaN }));
    return {
      label: `${variant}${budget === 'shared' ? ' (shared budget)' : ''}`,
      data: points,
      borderColor: COLORS[i % COLORS.length],
      backgroundColor: COLORS[i % COLORS.length],
      borderDash: budget === 'shared' ? [6, 4] : [],
      pointRadius: 4,
      borderWidth: 2,
    };
  });
  const ys = datasets.flatMap((d) => d.data.map((p) => p.y)).filter(Number.isFinite);
  const config = {
    type: 'line',
    data: {
      datasets: [
        ...datasets,
        {
          label: 'plain decoding (1×)',
          data: batches.map((b) => ({ x: b, y: 1 })),
          borderColor: '#999999',
          backgroundColor: '#999999',
          borderDash: [2, 3],
          pointRadius: 0,
          borderWidth: 1,
        },
      ],
    },
    options: {
      plugins: { ...chartTitle(title, subtitle), legend: { position: 'top' } },
      scales: {
        x: axis('batch size (requests in flight)', { type: 'logarithmic', ticks: { callback: (v: string | number) => String(v) } }),
        y: axis('speedup vs plain decoding at the same batch', { min: Math.min(0.5, ...ys) * 0.95, max: Math.max(1.5, ...ys) * 1.05 }),
      },
    },
  };
  // The one renderer of charts.ts (font, white background); the offline kit stands it in and draws nothing.
  return render(config as unknown as ChartConfiguration) ?? null;
}
