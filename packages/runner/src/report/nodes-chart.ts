import type { Plugin } from 'chart.js';
import { axis, colorOf, render, title } from './charts.ts';
import { type MetricRow, OVERALL, type Summary } from './summary.ts';

/** Writes each point's label (the variant) next to it. */
const pointLabels = (labels: string[][]): Plugin => ({
  id: 'trbenchPointLabels',
  afterDatasetsDraw(chart) {
    const { ctx } = chart;
    ctx.save();
    ctx.font = '12px "DejaVu Sans"';
    ctx.fillStyle = '#333';
    chart.data.datasets.forEach((_, i) => {
      const meta = chart.getDatasetMeta(i);
      meta.data.forEach((point, j) => {
        const text = labels[i]?.[j];
        if (text) ctx.fillText(text, point.x + 7, point.y - 5);
      });
    });
    ctx.restore();
  },
});

/**
 * Speedup against nodes verified per step (mean draft size, root included; log scale) for every method of
 * one model × dataset: where each method sits on the cost–acceptance trade-off. Plain decoding is the point
 * (1, 1×). Each point's whisker is its 95 % paired interval.
 */
export function speedupVsNodesChart(summary: Summary, model: string, dataset: string, subtitle?: string): Buffer | null {
  const rows = summary.rows.filter(
    (r: MetricRow) =>
      r.model === model && r.dataset === dataset && r.subtask === OVERALL && r.speedup !== null && r.meanDraftNodes !== null,
  );
  if (rows.length === 0) return null;
  const labels: string[][] = [];
  const datasets = rows.map((r) => {
    labels.push([r.variant]);
    return {
      label: r.variant,
      data: [{ x: r.meanDraftNodes as number, y: r.speedup as number }],
      backgroundColor: colorOf(summary, r.variant),
      borderColor: colorOf(summary, r.variant),
      pointRadius: 6,
    };
  });
  const whiskers: Plugin = {
    id: 'trbenchPointWhiskers',
    afterDatasetsDraw(chart) {
      const { ctx } = chart;
      const y = chart.scales.y;
      ctx.save();
      rows.forEach((r, i) => {
        const ci = r.speedupCi;
        if (!ci || ci.low === null || ci.high === null) return;
        const p = chart.getDatasetMeta(i).data[0];
        ctx.strokeStyle = colorOf(summary, r.variant);
        ctx.beginPath();
        ctx.moveTo(p.x, y.getPixelForValue(ci.low));
        ctx.lineTo(p.x, y.getPixelForValue(ci.high));
        ctx.stroke();
      });
      ctx.restore();
    },
  };
  const maxNodes = Math.max(2, ...rows.map((r) => r.meanDraftNodes as number));
  return render(
    {
      type: 'scatter',
      data: { datasets },
      options: {
        plugins: { ...title(`Speedup vs nodes per step — ${model} · ${dataset}`, subtitle), legend: { display: false } },
        scales: {
          x: axis('nodes verified per step (mean, root included)', { type: 'logarithmic', min: 0.9, max: maxNodes * 1.6 }),
          y: axis('speedup over plain decoding (×)', { min: 0 }),
        },
      },
    },
    [pointLabels(labels), whiskers],
  );
}
