import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '@trbench/assets';
import { costAt, pairedSpeedup } from '@trbench/core';
import type { BatchCurveRecord, BatchQuestionRecord, BatchRun, BatchUnitRecord } from '../sweep/batch-sweep.ts';
import { batchSpeedupChart } from './batch-chart.ts';

/** One row of the batch report: a variant at one batch size and budget on one model and dataset. */
export interface BatchRow {
  model: string;
  dataset: string;
  batch: number;
  budget: 'per-request' | 'shared';
  variant: string;
  method: string;
  repeats: number;
  /** All requests' tokens ÷ the run's wall time, mean over repeats. */
  tokensPerSecond: number;
  /** Mean per-request latency (entering a slot to the last token), ms. */
  latencyMs: number;
  /** Paired per repeat against AR at the same batch and budget: geometric mean, 95 % interval. */
  speedup: { estimate: number; low: number | null; high: number | null } | null;
  cpuSpeedup: { estimate: number; low: number | null; high: number | null } | null;
  mat: number;
  nodesPerForward: number;
  forwardsPerRound: number;
  droppedDrafts: number;
  /** Requests identical to AR at this batch / checked; numeric and logic divergences. */
  lossless: { identical: number; numeric: number; logic: number; checked: number } | null;
}

export interface BatchSummary {
  rows: BatchRow[];
  curves: BatchCurveRecord[];
}

const mean = (xs: number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

/** Rows from a batched run's records: every (model, dataset, batch, budget, variant), in run order. */
export function summarizeBatch(units: BatchUnitRecord[], questions: BatchQuestionRecord[], curves: BatchCurveRecord[]): BatchSummary {
  const key = (u: { model: string; dataset: string; batch: number; budget: string; variant: string }) =>
    JSON.stringify([u.model, u.dataset, u.batch, u.budget, u.variant]);
  const groups = new Map<string, BatchUnitRecord[]>();
  for (const u of units) {
    const k = key(u);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(u);
  }
  const qs = new Map<string, BatchQuestionRecord[]>();
  for (const q of questions) {
    const k = key(q);
    let g = qs.get(k);
    if (!g) qs.set(k, (g = []));
    g.push(q);
  }
  const rows: BatchRow[] = [];
  for (const [k, g] of groups) {
    const u0 = g[0];
    const ar = groups.get(key({ ...u0, variant: units.find((u) => u.method === 'ar')?.variant ?? 'ar' })) ?? [];
    const timed = (list: BatchUnitRecord[], cpu: boolean) =>
      list.map((u) => ({ questionId: 'run', repeat: u.repeat, newTokens: u.newTokens, wallMs: cpu ? u.cpuMs : u.wallMs }));
    const pick = (p: ReturnType<typeof pairedSpeedup>) => (p ? { estimate: p.estimate, low: p.low, high: p.high } : null);
    const q = qs.get(k) ?? [];
    const checked = q.filter((x) => x.lossless !== null);
    rows.push({
      model: u0.model,
      dataset: u0.dataset,
      batch: u0.batch,
      budget: u0.budget,
      variant: u0.variant,
      method: u0.method,
      repeats: g.length,
      tokensPerSecond: mean(g.map((u) => (u.newTokens * 1000) / u.wallMs)),
      latencyMs: mean(q.map((x) => x.latencyMs)),
      speedup: u0.method === 'ar' ? null : pick(pairedSpeedup(timed(g, false), timed(ar, false))),
      cpuSpeedup: u0.method === 'ar' ? null : pick(pairedSpeedup(timed(g, true), timed(ar, true))),
      mat: mean(g.map((u) => u.mat)),
      nodesPerForward: mean(g.map((u) => u.meanNodesPerForward)),
      forwardsPerRound: mean(g.map((u) => u.forwards / Math.max(1, u.rounds))),
      droppedDrafts: mean(g.map((u) => u.droppedDrafts)),
      lossless:
        u0.method === 'ar'
          ? null
          : {
              identical: checked.filter((x) => x.lossless?.identical).length,
              numeric: checked.filter((x) => x.lossless && !x.lossless.identical && x.lossless.kind === 'numeric').length,
              logic: checked.filter((x) => x.lossless && !x.lossless.identical && x.lossless.kind !== 'numeric').length,
              checked: checked.length,
            },
    });
  }
  return { rows, curves };
}

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const interval = (s: BatchRow['speedup']) =>
  s ? `${f(s.estimate)}×${s.low !== null && s.high !== null ? ` [${f(s.low)}, ${f(s.high)}]` : ''}` : '1 (baseline)';

/** The batch report: one table per model and dataset, and t(B·n)/t(B) beside it. */
export function renderBatchMarkdown(summary: BatchSummary, run: Pick<BatchRun, 'name' | 'config' | 'environment' | 'backend'>): string {
  const lines: string[] = [];
  lines.push(`# ${run.name}: speculation under load`, '');
  lines.push(
    `Config \`${run.config.file}\` (hash ${run.config.hash.slice(0, 12)}). ${run.environment.cpu}, ${run.environment.cores} cores; backend ${String(run.backend.name)} ${String(run.backend.version)}.`,
    'Speedups are paired per repeat against plain decoding (AR) at the same batch size and budget; CPU speedups use process CPU time.',
    '',
  );
  const pairs = [...new Set(summary.rows.map((r) => JSON.stringify([r.model, r.dataset])))].map((s) => JSON.parse(s) as [string, string]);
  for (const [model, dataset] of pairs) {
    lines.push(`## ${model} · ${dataset}`, '');
    lines.push(
      '| batch | budget | variant | agg tok/s | latency ms | speedup | CPU speedup | MAT | nodes/round | forwards/round | lossless |',
    );
    lines.push('|---:|---|---|---:|---:|---|---|---:|---:|---:|---|');
    for (const r of summary.rows.filter((x) => x.model === model && x.dataset === dataset)) {
      const l = r.lossless
        ? `${r.lossless.identical}/${r.lossless.checked}${r.lossless.numeric ? ` (${r.lossless.numeric} numeric)` : ''}${r.lossless.logic ? ` **${r.lossless.logic} logic**` : ''}`
        : '-';
      lines.push(
        `| ${r.batch} | ${r.budget} | ${r.variant} | ${f(r.tokensPerSecond, 0)} | ${f(r.latencyMs, 0)} | ${interval(r.speedup)} | ${interval(r.cpuSpeedup)} | ${f(r.mat)} | ${f(r.nodesPerForward, 1)} | ${f(r.forwardsPerRound)} | ${l} |`,
      );
    }
    lines.push('');
    const curves = summary.curves.filter((c) => c.model === model);
    if (curves.length > 0) {
      const per = curves[0].sizes.map((n) => n / curves[0].batch);
      lines.push(`t(B·n)/t(B) on ${model} (one forward of B requests with n nodes each, relative to B requests with 1 node each):`, '');
      lines.push(`| B | ${per.map((n) => `n=${n}`).join(' | ')} | t(B) ms |`);
      lines.push(`|---:|${per.map(() => '---:').join('|')}|---:|`);
      for (const c of curves) lines.push(`| ${c.batch} | ${c.ms.map((t) => f(t / c.ms[0])).join(' | ')} | ${f(c.ms[0], 3)} |`);
      lines.push('');
      const b1 = curves.find((c) => c.batch === 1);
      if (b1) {
        lines.push(
          `t(B)/t(1), the cost of plain decoding at batch B relative to batch 1: ${curves.map((c) => `B=${c.batch}: ${f(costAt({ ...c, contextLength: 0 }, c.batch) / b1.ms[0])}`).join(', ')}.`,
          '',
        );
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Writes batch-summary.json, batch-report.md and the speedup-vs-batch charts; returns the files written. */
export function writeBatchReport(run: BatchRun): string[] {
  const summary = summarizeBatch(run.units, run.questions, run.curves);
  const files: string[] = [];
  const out = (name: string, data: string | Buffer) => {
    const file = path.join(run.dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic(file, data);
    files.push(file);
  };
  out('batch-summary.json', `${JSON.stringify(summary, null, 2)}\n`);
  out('batch-report.md', renderBatchMarkdown(summary, run));
  const pairs = [...new Set(summary.rows.map((r) => JSON.stringify([r.model, r.dataset])))].map((s) => JSON.parse(s) as [string, string]);
  for (const [model, dataset] of pairs) {
    const rows = summary.rows.filter((r) => r.model === model && r.dataset === dataset);
    const png = batchSpeedupChart(
      rows,
      `Speedup vs batch size: ${model} · ${dataset}`,
      'paired against plain decoding at the same batch size',
    );
    if (png) out(path.join('charts', `batch-speedup-${model}-${dataset}.png`.replace(/[^\w.+-/]/g, '_')), png);
  }
  return files;
}
