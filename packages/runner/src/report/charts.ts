import { createRequire } from 'node:module';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { Chart, type ChartConfiguration, type Plugin, registerables } from 'chart.js';
import { subtaskLabel } from './report-md.ts';
import { type MetricRow, OVERALL, type Summary, variantLabel } from './summary.ts';

const FONT = 'DejaVu Sans';
const WIDTH = 1000;
const HEIGHT = 560;
/** Tableau 10: distinguishable, also in grey-scale print. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const AR_COLOR = '#8c8c8c';

/** The same colour for a variant in every chart of a run: AR grey, the others in config order. */
export function colorOf(summary: Summary, variant: string): string {
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

/** Every value label of every chart: two decimals (a 0.07× speedup and a 2.81 MAT read the same way). */
const LABEL_DIGITS = 2;

/** `[low, high]` whiskers per bar of each dataset (by dataset index); null where there is no interval. */
type Whiskers = ((readonly [number, number] | null)[] | undefined)[];

/**
 * Draws each bar's 95 % interval as a whisker (an open end with an arrow where it leaves the plot) and
 * prints the bar's value above the bar or whisker, turned upright when the bar is narrower than the text.
 */
function barValues(whiskers: Whiskers = []): Plugin {
  return {
    id: 'trbenchBarValues',
    afterDatasetsDraw(chart) {
      const { ctx, chartArea } = chart;
      const y = chart.scales.y;
      ctx.save();
      ctx.font = `11px "${FONT}"`;
      chart.data.datasets.forEach((ds, i) => {
        const meta = chart.getDatasetMeta(i);
        if (meta.hidden) return;
        meta.data.forEach((el, j) => {
          const v = ds.data[j];
          if (typeof v !== 'number' || !Number.isFinite(v)) return;
          const barWidth = (el as unknown as { width?: number }).width ?? 8;
          let top = el.y;
          const w = whiskers[i]?.[j];
          if (w && y) {
            const lo = Math.min(chartArea.bottom, y.getPixelForValue(w[0]));
            const clipped = y.getPixelForValue(w[1]) < chartArea.top;
            const hi = Math.max(chartArea.top, y.getPixelForValue(w[1]));
            const half = Math.min(6, Math.max(2, barWidth / 4));
            ctx.strokeStyle = '#222';
            ctx.lineWidth = 1.5;
            ctx.beginPath();
            ctx.moveTo(el.x, lo);
            ctx.lineTo(el.x, hi);
            ctx.moveTo(el.x - half, lo);
            ctx.lineTo(el.x + half, lo);
            if (clipped) {
              ctx.moveTo(el.x - half, hi + half);
              ctx.lineTo(el.x, hi);
              ctx.lineTo(el.x + half, hi + half);
            } else {
              ctx.moveTo(el.x - half, hi);
              ctx.lineTo(el.x + half, hi);
            }
            ctx.stroke();
            // a label above a clipped whisker would leave the plot: put it beside the bar's top instead
            if (!clipped) top = Math.min(top, hi);
          }
          const text = v.toFixed(LABEL_DIGITS);
          // a white halo keeps the label readable where a whisker or grid line crosses it
          const label = (x: number, yy: number) => {
            ctx.strokeStyle = '#fff';
            ctx.lineWidth = 3;
            ctx.strokeText(text, x, yy);
            ctx.fillStyle = '#222';
            ctx.fillText(text, x, yy);
          };
          if (ctx.measureText(text).width + 2 <= barWidth) {
            ctx.textAlign = 'center';
            ctx.textBaseline = 'bottom';
            label(el.x, top - 3);
          } else {
            ctx.save();
            ctx.translate(el.x, top - 3);
            ctx.rotate(-Math.PI / 2);
            ctx.textAlign = 'left';
            ctx.textBaseline = 'middle';
            label(0, 0);
            ctx.restore();
          }
        });
      });
      ctx.restore();
    },
  };
}

/** Text in the slot of categories that have no bars (e.g. `skipped: context`), so a gap is not silent. */
function categoryNotes(notes: readonly (string | null)[]): Plugin {
  return {
    id: 'trbenchCategoryNotes',
    afterDatasetsDraw(chart) {
      const x = chart.scales.x;
      if (!x) return;
      const { ctx, chartArea } = chart;
      ctx.save();
      ctx.font = `italic 13px "${FONT}"`;
      ctx.fillStyle = '#666';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      notes.forEach((note, i) => {
        if (note) ctx.fillText(note, x.getPixelForValue(i), chartArea.bottom - 6);
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

/** Draws one chart on a canvas of the given size (the chart stays alive until `destroy`). */
function draw(config: ChartConfiguration, plugins: Plugin[], width: number, height: number) {
  setup();
  const canvas = createCanvas(width, height);
  const chart = new Chart(
    canvas as unknown as ConstructorParameters<typeof Chart>[0],
    {
      ...config,
      options: { ...config.options, responsive: false, animation: false, devicePixelRatio: 1 },
      plugins: [whiteBackground, ...plugins, ...(config.plugins ?? [])],
    } as ChartConfiguration,
  );
  return { canvas, chart };
}

export function render(config: ChartConfiguration, plugins: Plugin[] = []): Buffer {
  const { canvas, chart } = draw(config, plugins, WIDTH, HEIGHT);
  const png = canvas.toBuffer('image/png');
  chart.destroy();
  return png;
}

/** Two charts side by side in one PNG (two panels: one quantity per y-axis). */
function renderPanels(left: [ChartConfiguration, Plugin[]], right: [ChartConfiguration, Plugin[]]): Buffer {
  const width = WIDTH * 1.2;
  const out = createCanvas(width, HEIGHT);
  const ctx = out.getContext('2d');
  [left, right].forEach(([config, plugins], i) => {
    const { canvas, chart } = draw(config, plugins, width / 2, HEIGHT);
    ctx.drawImage(canvas, (i * width) / 2, 0);
    chart.destroy();
  });
  return out.toBuffer('image/png');
}

export function title(text: string, subtitle?: string) {
  return {
    title: { display: true, text, font: { size: 18, weight: 'bold' as const } },
    ...(subtitle ? { subtitle: { display: true, text: subtitle, font: { size: 13 }, padding: { bottom: 10 } } } : {}),
  };
}

export function axis(text: string, extra: Record<string, unknown> = {}) {
  return { title: { display: true, text, font: { size: 14 } }, ...extra };
}

/** A file-name-safe version of an id. */
export function fileSafe(id: string): string {
  return id.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '');
}

/** The 95 % interval of a row's paired speedup, when it has one. */
function whiskerOf(r: MetricRow | undefined): readonly [number, number] | null {
  const ci = r?.speedupCi;
  return ci && ci.low !== null && ci.high !== null ? [ci.low, ci.high] : null;
}

/**
 * Top of a speedup axis: AR's 1× always in view, room for labels above the bars and for whiskers, but a
 * whisker of a subtask with one or two questions (t with 1 degree of freedom is 12.7) cannot squash the
 * bars: it is cut at twice the tallest bar and drawn with an arrow.
 */
export function speedupMax(bars: (number | null)[], whiskers: (readonly [number, number] | null)[]): number {
  let tallest = 1;
  for (const v of bars) if (v !== null && Number.isFinite(v)) tallest = Math.max(tallest, v);
  let top = tallest;
  for (const w of whiskers) if (w) top = Math.max(top, Math.min(w[1], 2 * tallest));
  return top * 1.15;
}

/**
 * What a subtask's empty slot in a chart says: `skipped: context` when no method finished a question of
 * it but some were skipped (the prompts do not fit the model's context); null when it has bars.
 */
export function subtaskNote(rows: readonly MetricRow[], subtask: string): string | null {
  const here = rows.filter((r) => r.subtask === subtask);
  return here.length > 0 && here.every((r) => r.questions === 0) && here.some((r) => r.skipped > 0) ? 'skipped: context' : null;
}

/**
 * Speedup over AR with 95 % intervals. Datasets with several subtasks: bars grouped by subtask (then
 * overall), one colour per method, and subtasks no question of which fit the context labelled as such.
 * A dataset with one subtask: one bar per method (a single "Overall" group would waste the axis).
 */
function speedupChart(summary: Summary, model: string, dataset: string, rows: MetricRow[]): Buffer | null {
  const subtasks = summary.datasets.find((d) => d.id === dataset)?.subtasks ?? [];
  const variants = summary.variants.filter((v) => v.method !== 'ar' && rows.some((r) => r.variant === v.id));
  if (variants.length === 0) return null;
  const row = (variant: string, subtask: string) => rows.find((r) => r.variant === variant && r.subtask === subtask);
  const subtitle = 'geometric mean over questions of tok/s ÷ AR tok/s on the same question; whiskers: 95 % interval; dashed: AR = 1';
  if (subtasks.length <= 1) {
    const overall = variants.map((v) => row(v.id, OVERALL));
    const whiskers = overall.map(whiskerOf);
    return render(
      {
        type: 'bar',
        data: {
          labels: variants.map((v) => variantLabel(summary, model, v.id)),
          datasets: [
            {
              label: 'speedup',
              data: overall.map((r) => r?.speedup ?? null),
              backgroundColor: variants.map((v) => colorOf(summary, v.id)),
            },
          ],
        },
        options: {
          plugins: { ...title(`Speedup over AR — ${model} · ${dataset}`, subtitle), legend: { display: false } },
          scales: {
            x: axis('method'),
            y: axis('speedup (×)', {
              beginAtZero: true,
              suggestedMax: speedupMax(
                overall.map((r) => r?.speedup ?? null),
                whiskers,
              ),
            }),
          },
        },
      },
      [barValues([whiskers]), referenceLine(1, 'AR')],
    );
  }
  const shown = [...subtasks, OVERALL];
  const whiskers = variants.map((v) => shown.map((s) => whiskerOf(row(v.id, s))));
  const values = variants.map((v) => shown.map((s) => row(v.id, s)?.speedup ?? null));
  const notes = shown.map((s) => subtaskNote(rows, s));
  return render(
    {
      type: 'bar',
      data: {
        labels: shown.map((s) => (s === OVERALL ? 'Overall' : subtaskLabel(s))),
        datasets: variants.map((v, i) => ({
          label: variantLabel(summary, model, v.id),
          data: values[i],
          backgroundColor: colorOf(summary, v.id),
        })),
      },
      options: {
        plugins: { ...title(`Speedup over AR by subtask — ${model} · ${dataset}`, subtitle) },
        scales: {
          x: axis('subtask'),
          y: axis('speedup (×)', { beginAtZero: true, suggestedMax: speedupMax(values.flat(), whiskers.flat()) }),
        },
      },
    },
    [barValues(whiskers), referenceLine(1, 'AR'), categoryNotes(notes)],
  );
}

function matChart(summary: Summary, model: string, dataset: string, rows: MetricRow[]): Buffer {
  const overall = summary.variants.map((v) => rows.find((r) => r.variant === v.id && r.subtask === OVERALL)).filter((r) => r !== undefined);
  return render(
    {
      type: 'bar',
      data: {
        labels: overall.map((r) => variantLabel(summary, model, r.variant)),
        datasets: [{ label: 'MAT', data: overall.map((r) => r.mat), backgroundColor: overall.map((r) => colorOf(summary, r.variant)) }],
      },
      options: {
        plugins: {
          ...title(`Mean accepted tokens per step — ${model} · ${dataset}`, 'pooled over all steps, bonus token included (AR = 1)'),
          legend: { display: false },
        },
        scales: { x: axis('method'), y: axis('MAT (tokens / step)', { beginAtZero: true, grace: '8%' }) },
      },
    },
    [barValues()],
  );
}

/** Accepted lengths shown on every accepted-length chart: n = 2 … this (the last point is "n or more" by definition). */
const ACCEPT_MAX = 12;

/**
 * Accepted lengths as a survival curve per method: the share of steps that committed at least n tokens,
 * n = 2 … ACCEPT_MAX on every dataset. One line per method reads where a histogram of 5–7 bar series does
 * not, and "at least n" needs no overflow bin.
 */
function acceptanceChart(summary: Summary, model: string, dataset: string, rows: MetricRow[]): Buffer | null {
  const overall = summary.variants
    .filter((v) => v.method !== 'ar')
    .map((v) => rows.find((r) => r.variant === v.id && r.subtask === OVERALL))
    .filter((r): r is MetricRow => r !== undefined && r.steps > 0);
  if (overall.length === 0) return null;
  const lengths = Array.from({ length: ACCEPT_MAX - 1 }, (_, i) => i + 2);
  const atLeast = (r: MetricRow, n: number) => {
    let count = 0;
    for (let m = n; m < r.acceptHistogram.length; m++) count += r.acceptHistogram[m] ?? 0;
    return (100 * count) / r.steps;
  };
  return render({
    type: 'line',
    data: {
      labels: lengths.map((n) => `≥ ${n}`),
      datasets: overall.map((r) => ({
        label: variantLabel(summary, model, r.variant),
        data: lengths.map((n) => atLeast(r, n)),
        borderColor: colorOf(summary, r.variant),
        backgroundColor: colorOf(summary, r.variant),
        pointRadius: 3,
        borderWidth: 2.5,
      })),
    },
    options: {
      plugins: {
        ...title(
          `Accepted length per step — ${model} · ${dataset}`,
          'share of decoding steps that committed at least n tokens (bonus included; AR: every step commits 1)',
        ),
        legend: { labels: { usePointStyle: true } },
      },
      scales: { x: axis('tokens committed in one step'), y: axis('% of steps', { beginAtZero: true, max: 100 }) },
    },
  });
}

function sortValues(values: unknown[]): unknown[] {
  return values.every((v) => typeof v === 'number') ? [...values].sort((a, b) => (a as number) - (b as number)) : values;
}

function label(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * Two panels for every parameter a method sweeps: MAT (left) and speedup over AR with 95 % intervals and
 * the AR = 1 line (right), as bars grouped by the parameter's values (categories, not a continuous axis:
 * 2.2.2, chain:4, chain:8 have no order), one colour per combination of the other swept parameters.
 */
function sweepCharts(summary: Summary, model: string, dataset: string, rows: MetricRow[]): { name: string; png: Buffer }[] {
  const out: { name: string; png: Buffer }[] = [];
  const overall = rows.filter((r) => r.subtask === OVERALL);
  const methods = [...new Set(overall.map((r) => r.method))];
  for (const method of methods) {
    const mine = overall.filter((r) => r.method === method);
    const keys = [...new Set(mine.flatMap((r) => Object.keys(r.params)))];
    const distinct = (k: string) => [...new Map(mine.map((r) => [JSON.stringify(r.params[k]), r.params[k]])).values()];
    // A parameter is swept when two variants differ in it alone: separate method entries that differ in
    // several parameters at once (a tree template here, a tuning budget there) are no sweep of either.
    const sameExcept = (a: MetricRow, b: MetricRow, k: string) =>
      keys.every((o) => o === k || JSON.stringify(a.params[o]) === JSON.stringify(b.params[o]));
    const swept = keys.filter(
      (k) =>
        distinct(k).length > 1 &&
        mine.some((a) => mine.some((b) => JSON.stringify(a.params[k]) !== JSON.stringify(b.params[k]) && sameExcept(a, b, k))),
    );
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
      const series = [...groups.entries()].map(([g, list], i) => {
        const at = (x: unknown) => list.find((r) => JSON.stringify(r.params[param]) === JSON.stringify(x));
        return {
          label: g || method,
          color: groups.size === 1 ? colorOf(summary, list[0].variant) : PALETTE[i % PALETTE.length],
          rows: xs.map(at),
        };
      });
      const single = groups.size === 1;
      const panel = (metric: 'MAT' | 'speedup'): [ChartConfiguration, Plugin[]] => {
        const speed = metric === 'speedup';
        const values = series.map((s) => s.rows.map((r) => (speed ? r?.speedup : r?.mat) ?? null));
        const whiskers = speed ? series.map((s) => s.rows.map(whiskerOf)) : [];
        return [
          {
            type: 'bar',
            data: {
              labels: xs.map(label),
              datasets: series.map((s, i) => ({ label: s.label, data: values[i], backgroundColor: s.color })),
            },
            options: {
              plugins: {
                ...title(
                  `${method}: sweep of ${param} — ${speed ? 'speedup over AR' : 'MAT'}`,
                  `${model} · ${dataset}; ${speed ? 'whiskers: 95 % interval' : 'tokens per step, pooled over all steps'}; dashed: AR = 1`,
                ),
                legend: { display: !single },
              },
              scales: {
                x: axis(param),
                y: speed
                  ? axis('speedup (×)', { beginAtZero: true, suggestedMax: speedupMax(values.flat(), whiskers.flat()) })
                  : axis('MAT (tokens / step)', { beginAtZero: true, grace: '8%' }),
              },
            },
          },
          [barValues(whiskers), referenceLine(1, 'AR')],
        ];
      };
      const png = renderPanels(panel('MAT'), panel('speedup'));
      out.push({ name: `${fileSafe(model)}__${fileSafe(dataset)}__sweep-${fileSafe(method)}-${fileSafe(param)}.png`, png });
    }
  }
  return out;
}

/**
 * Every chart of a run, as PNG bytes with their file names: per model × dataset, speedup per method (by
 * subtask when the dataset has several), MAT per method, accepted lengths, and two panels (MAT, speedup)
 * per swept parameter.
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
      const accept = acceptanceChart(summary, m.id, d.id, rows);
      if (accept) out.push({ name: `${prefix}accept-length.png`, png: accept });
      out.push(...sweepCharts(summary, m.id, d.id, rows));
    }
  }
  return out;
}
