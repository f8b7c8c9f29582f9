import { createRequire } from 'node:module';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { Chart, type ChartConfiguration, type Plugin, registerables } from 'chart.js';
import { subtaskLabel } from './report-md.ts';
import { type MetricRow, OVERALL, type Summary } from './summary.ts';

const FONT = 'DejaVu Sans';
const WIDTH = 1000;
const HEIGHT = 560;
/** Tableau 10: distinguishable, also in grey-scale print. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const AR_COLOR = '#8c8c8c';
/** Share of each variant's steps the accepted-length histogram shows before lumping the rest into one `n+` bar. */
const HISTOGRAM_COVERAGE = 0.97;

/** The same colour for a variant in every chart of a run: AR grey, the others in config order. */
function colorOf(summary: Summary, variant: string): string {
  const others = summary.variants.filter((v) => v.method !== 'ar');
  const i = others.findIndex((v) => v.id === variant);
  return i < 0 ? AR_COLOR : PALETTE[i % PALETTE.length];
}

let ready = false;
/**
 * @napi-rs/canvas draws no text at all when no font is installed, so a font that ships with the package
 * is registered explicitly (dependencies.md §4).
 */
function setup(): void {
  if (ready) return;
  const require = createRequire(import.meta.url);
  GlobalFonts.registerFromPath(require.resolve('@fontsource/dejavu-sans/files/dejavu-sans-latin-400-normal.woff2'), FONT);
  GlobalFonts.registerFromPath(require.resolve('@fontsource/dejavu-sans/files/dejavu-sans-latin-700-normal.woff2'), FONT);
  Chart.register(...registerables);
  Chart.defaults.font.family = FONT;
  Chart.defaults.font.size = 14;
  Chart.defaults.color = '#222';
  ready = true;
}

/** The canvas is transparent; PNG viewers would show black or checkerboard behind the text. */
const whiteBackground: Plugin = {
  id: 'trbenchWhiteBackground',
  beforeDraw(chart) {
    const { ctx } = chart;
    ctx.save();
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

/** Prints each bar's value above it, so numbers can be read without the grid. */
function barValues(digits: number): Plugin {
  return {
    id: 'trbenchBarValues',
    afterDatasetsDraw(chart) {
      const { ctx } = chart;
      ctx.save();
      ctx.font = `11px "${FONT}"`;
      ctx.fillStyle = '#222';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      chart.data.datasets.forEach((ds, i) => {
        const meta = chart.getDatasetMeta(i);
        if (meta.hidden) return;
        meta.data.forEach((el, j) => {
          const v = ds.data[j];
          if (typeof v !== 'number' || !Number.isFinite(v)) return;
          // Small values keep two significant digits (a 0.07× speedup must not print as 0.1).
          ctx.fillText(Math.abs(v) < 0.1 && v !== 0 ? v.toPrecision(2) : v.toFixed(digits), el.x, el.y - 3);
        });
      });
      ctx.restore();
    },
  };
}

/** A dashed horizontal line (AR's speedup of 1). */
function referenceLine(value: number, label: string): Plugin {
  return {
    id: 'trbenchReferenceLine',
    afterDatasetsDraw(chart) {
      const y = chart.scales.y?.getPixelForValue(value);
      if (y === undefined || !Number.isFinite(y)) return;
      const { ctx, chartArea } = chart;
      ctx.save();
      ctx.strokeStyle = '#555';
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(chartArea.left, y);
      ctx.lineTo(chartArea.right, y);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.font = `12px "${FONT}"`;
      ctx.fillStyle = '#555';
      ctx.textAlign = 'right';
      ctx.textBaseline = 'bottom';
      ctx.fillText(label, chartArea.right - 4, y - 2);
      ctx.restore();
    },
  };
}

function render(config: ChartConfiguration, plugins: Plugin[] = []): Buffer {
  setup();
  const canvas = createCanvas(WIDTH, HEIGHT);
  const chart = new Chart(
    canvas as unknown as ConstructorParameters<typeof Chart>[0],
    {
      ...config,
      options: { ...config.options, responsive: false, animation: false, devicePixelRatio: 1 },
      plugins: [whiteBackground, ...plugins, ...(config.plugins ?? [])],
    } as ChartConfiguration,
  );
  const png = canvas.toBuffer('image/png');
  chart.destroy();
  return png;
}

function title(text: string, subtitle?: string) {
  return {
    title: { display: true, text, font: { size: 18, weight: 'bold' as const } },
    ...(subtitle ? { subtitle: { display: true, text: subtitle, font: { size: 13 }, padding: { bottom: 10 } } } : {}),
  };
}

function axis(text: string, extra: Record<string, unknown> = {}) {
  return { title: { display: true, text, font: { size: 14 } }, ...extra };
}

/** A file-name-safe version of an id. */
export function fileSafe(id: string): string {
  return id.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '');
}

function speedupChart(summary: Summary, model: string, dataset: string, rows: MetricRow[]): Buffer | null {
  const subtasks = [...(summary.datasets.find((d) => d.id === dataset)?.subtasks ?? []), OVERALL];
  const shown = subtasks.length > 2 ? subtasks : [OVERALL];
  const variants = summary.variants.filter((v) => v.method !== 'ar' && rows.some((r) => r.variant === v.id));
  if (variants.length === 0) return null;
  return render(
    {
      type: 'bar',
      data: {
        labels: shown.map((s) => (s === OVERALL ? 'Overall' : subtaskLabel(s))),
        datasets: variants.map((v) => ({
          label: v.id,
          data: shown.map((s) => rows.find((r) => r.variant === v.id && r.subtask === s)?.speedup ?? null),
          backgroundColor: colorOf(summary, v.id),
        })),
      },
      options: {
        plugins: {
          ...title(
            `Speedup over AR by subtask — ${model} · ${dataset}`,
            'Spec-Bench tok/s ÷ AR tok/s on the same questions (dashed: AR = 1)',
          ),
        },
        // The axis always reaches AR's 1×, so a slowdown looks like one.
        scales: { x: axis('subtask'), y: axis('speedup (×)', { beginAtZero: true, suggestedMax: 1.1 }) },
      },
    },
    [barValues(2), referenceLine(1, 'AR')],
  );
}

function matChart(summary: Summary, model: string, dataset: string, rows: MetricRow[]): Buffer {
  const overall = summary.variants.map((v) => rows.find((r) => r.variant === v.id && r.subtask === OVERALL)).filter((r) => r !== undefined);
  return render(
    {
      type: 'bar',
      data: {
        labels: overall.map((r) => r.variant),
        datasets: [{ label: 'MAT', data: overall.map((r) => r.mat), backgroundColor: overall.map((r) => colorOf(summary, r.variant)) }],
      },
      options: {
        plugins: {
          ...title(`Mean accepted tokens per step — ${model} · ${dataset}`, 'pooled over all steps, bonus token included (AR = 1)'),
          legend: { display: false },
        },
        scales: { x: axis('method'), y: axis('MAT (tokens / step)', { beginAtZero: true }) },
      },
    },
    [barValues(2)],
  );
}

function histogramChart(summary: Summary, model: string, dataset: string, rows: MetricRow[]): Buffer | null {
  const overall = summary.variants
    .filter((v) => v.method !== 'ar')
    .map((v) => rows.find((r) => r.variant === v.id && r.subtask === OVERALL))
    .filter((r): r is MetricRow => r !== undefined && r.steps > 0);
  if (overall.length === 0) return null;
  // Long tails (a 33-token suffix match once) would shrink every bar: show the lengths that cover 97 % of
  // each variant's steps and lump the rest into the last bar.
  const coverAt = (r: MetricRow) => {
    let seen = 0;
    for (let n = 1; n < r.acceptHistogram.length; n++) {
      seen += r.acceptHistogram[n] ?? 0;
      if (seen >= HISTOGRAM_COVERAGE * r.steps) return n;
    }
    return r.acceptHistogram.length - 1;
  };
  const longest = Math.max(...overall.map((r) => r.acceptHistogram.length - 1));
  const shown = Math.max(...overall.map(coverAt)) + 1;
  const last = Math.min(longest, shown);
  const lengths = Array.from({ length: last }, (_, i) => i + 1);
  const share = (r: MetricRow, n: number) => {
    let count = r.acceptHistogram[n] ?? 0;
    if (n === last) for (let m = n + 1; m < r.acceptHistogram.length; m++) count += r.acceptHistogram[m];
    return (100 * count) / r.steps;
  };
  return render({
    type: 'bar',
    data: {
      labels: lengths.map((n) => (n === last && last < longest ? `${n}+` : String(n))),
      datasets: overall.map((r) => ({
        label: r.variant,
        data: lengths.map((n) => share(r, n)),
        backgroundColor: colorOf(summary, r.variant),
      })),
    },
    options: {
      plugins: title(
        `Accepted length per step — ${model} · ${dataset}`,
        `share of decoding steps that committed n tokens (bonus included)${last < longest ? `; ${last}+ = ${last} or more` : ''}`,
      ),
      scales: { x: axis('tokens committed in one step'), y: axis('% of steps', { beginAtZero: true }) },
    },
  });
}

function sortValues(values: unknown[]): unknown[] {
  return values.every((v) => typeof v === 'number') ? [...values].sort((a, b) => (a as number) - (b as number)) : values;
}

function label(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Line charts for every parameter a method sweeps: x = value, y = MAT (left) and speedup (right). */
function sweepCharts(summary: Summary, model: string, dataset: string, rows: MetricRow[]): { name: string; png: Buffer }[] {
  const out: { name: string; png: Buffer }[] = [];
  const overall = rows.filter((r) => r.subtask === OVERALL);
  const methods = [...new Set(overall.map((r) => r.method))];
  for (const method of methods) {
    const mine = overall.filter((r) => r.method === method);
    const keys = [...new Set(mine.flatMap((r) => Object.keys(r.params)))];
    const distinct = (k: string) => [...new Map(mine.map((r) => [JSON.stringify(r.params[k]), r.params[k]])).values()];
    const swept = keys.filter((k) => distinct(k).length > 1);
    for (const param of swept) {
      const xs = sortValues(distinct(param));
      const others = swept.filter((k) => k !== param);
      const groups = new Map<string, MetricRow[]>();
      for (const r of mine) {
        const g = others.map((k) => `${k}=${label(r.params[k])}`).join(', ');
        let list = groups.get(g);
        if (!list) groups.set(g, (list = []));
        list.push(r);
      }
      const datasets: ChartConfiguration<'line'>['data']['datasets'] = [];
      [...groups.entries()].forEach(([g, list], i) => {
        const at = (x: unknown) => list.find((r) => JSON.stringify(r.params[param]) === JSON.stringify(x));
        const color = groups.size === 1 ? colorOf(summary, list[0].variant) : PALETTE[i % PALETTE.length];
        const suffix = g ? ` (${g})` : '';
        datasets.push({
          label: `MAT${suffix}`,
          data: xs.map((x) => at(x)?.mat ?? null),
          borderColor: color,
          backgroundColor: color,
          yAxisID: 'y',
          pointRadius: 5,
        });
        datasets.push({
          label: `speedup${suffix}`,
          data: xs.map((x) => at(x)?.speedup ?? null),
          borderColor: color,
          backgroundColor: color,
          borderDash: [6, 4],
          pointStyle: 'rectRot',
          yAxisID: 'y1',
          pointRadius: 6,
        });
      });
      const png = render({
        type: 'line',
        data: { labels: xs.map(label), datasets },
        options: {
          plugins: {
            ...title(
              `${method}: sweep of ${param} — ${model} · ${dataset}`,
              'solid: MAT (left axis); dashed: speedup over AR (right axis)',
            ),
            legend: { labels: { usePointStyle: true } },
          },
          scales: {
            x: axis(param),
            y: axis('MAT (tokens / step)', { position: 'left', beginAtZero: true }),
            y1: axis('speedup (×)', { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false } }),
          },
        },
      });
      out.push({ name: `${fileSafe(model)}__${fileSafe(dataset)}__sweep-${fileSafe(method)}-${fileSafe(param)}.png`, png });
    }
  }
  return out;
}

/**
 * Every chart of a run, as PNG bytes with their file names: per model × dataset, speedup by subtask per
 * method, MAT per method, the accepted-length histogram, and one line chart per swept parameter.
 */
export function renderCharts(summary: Summary): { name: string; png: Buffer }[] {
  const out: { name: string; png: Buffer }[] = [];
  for (const m of summary.models) {
    for (const d of summary.datasets) {
      const rows = summary.rows.filter((r) => r.model === m.id && r.dataset === d.id);
      if (!rows.some((r) => r.steps > 0)) continue;
      const prefix = `${fileSafe(m.id)}__${fileSafe(d.id)}__`;
      const speedup = speedupChart(summary, m.id, d.id, rows);
      if (speedup) out.push({ name: `${prefix}speedup.png`, png: speedup });
      out.push({ name: `${prefix}mat.png`, png: matChart(summary, m.id, d.id, rows) });
      const hist = histogramChart(summary, m.id, d.id, rows);
      if (hist) out.push({ name: `${prefix}accept-hist.png`, png: hist });
      out.push(...sweepCharts(summary, m.id, d.id, rows));
    }
  }
  return out;
}
