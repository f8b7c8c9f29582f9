import { createRequire } from 'node:module';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { Chart, type ChartConfiguration, type Plugin, registerables } from 'chart.js';

const FONT = 'DejaVu Sans';
let ready = false;
/** The same set-up as charts.ts (kept separate so that file's owner can change it freely): a bundled font. */
function setup(): void {
  if (ready) return;
  const require = createRequire(import.meta.url);
  GlobalFonts.registerFromPath(require.resolve('@fontsource/dejavu-sans/files/dejavu-sans-latin-400-normal.woff2'), FONT);
  GlobalFonts.registerFromPath(require.resolve('@fontsource/dejavu-sans/files/dejavu-sans-latin-700-normal.woff2'), FONT);
  Chart.register(...registerables);
  Chart.defaults.font.family = FONT; // the value charts.ts sets too
  ready = true;
}

const whiteBackground: Plugin = {
  id: 'trbenchCostWhiteBackground',
  beforeDraw(chart) {
    chart.ctx.save();
    chart.ctx.fillStyle = '#ffffff';
    chart.ctx.fillRect(0, 0, chart.width, chart.height);
    chart.ctx.restore();
  },
};

function render(config: ChartConfiguration<'line', { x: number; y: number }[]>): Buffer {
  setup();
  const canvas = createCanvas(1000, 560);
  const chart = new Chart(
    canvas as unknown as ConstructorParameters<typeof Chart>[0],
    {
      ...config,
      options: { ...config.options, responsive: false, animation: false, devicePixelRatio: 1 },
      plugins: [whiteBackground],
    } as unknown as ChartConfiguration,
  );
  const png = canvas.toBuffer('image/png');
  chart.destroy();
  return png;
}

/** One backend's measured forward time t(n) of a draft of n nodes. */
export interface CostCurveSeries {
  label: string;
  sizes: number[];
  ms: number[];
}

const COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f'];

/**
 * Line chart of t(n)/t(1) per backend: how much verifying n tokens costs relative to one. A flat curve
 * is where tree drafting turns acceptance into speed (memory-bound LLM inference); a line through
 * n = t(n)/t(1) is the compute-bound opposite, where nothing beats plain decoding.
 */
export function costCurveChart(series: CostCurveSeries[], title: string, subtitle: string): Buffer {
  const sizes = [...new Set(series.flatMap((s) => s.sizes))].sort((a, b) => a - b);
  return render({
    type: 'line',
    data: {
      datasets: [
        ...series.map((s, i) => ({
          label: s.label,
          data: s.sizes.map((n, j) => ({ x: n, y: s.ms[j] / s.ms[0] })),
          borderColor: COLORS[i % COLORS.length],
          backgroundColor: COLORS[i % COLORS.length],
          pointRadius: 4,
          borderWidth: 2,
        })),
        {
          label: 't(n)/t(1) = n (compute-bound)',
          data: sizes.map((n) => ({ x: n, y: n })),
          borderColor: '#bbbbbb',
          backgroundColor: '#bbbbbb',
          borderDash: [6, 4],
          pointRadius: 0,
          borderWidth: 1,
        },
      ],
    },
    options: {
      plugins: {
        title: { display: true, text: title, font: { size: 18, weight: 'bold' } },
        subtitle: { display: true, text: subtitle, font: { size: 13 }, padding: { bottom: 10 } },
        legend: { position: 'top' },
      },
      scales: {
        x: {
          type: 'logarithmic',
          title: { display: true, text: 'n (tokens verified in one forward)' },
          ticks: { callback: (v: string | number) => String(v) },
        },
        y: {
          type: 'logarithmic',
          min: 0.8,
          max: Math.ceil(Math.max(2, ...series.flatMap((s) => s.ms.map((t) => (t / s.ms[0]) * 1.2)))),
          title: { display: true, text: 't(n) / t(1)' },
          ticks: { callback: (v: string | number) => String(v) },
        },
      },
    },
  });
}
