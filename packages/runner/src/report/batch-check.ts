import { existsSync, readFileSync } from 'node:fs';
import { TrbenchError } from '@trbench/core';
import type { BatchRow, BatchSummary } from './batch-report.ts';
import type { SpeedupMetric, Tolerances } from './check.ts';

/** One check of a batched run, per batch size (and budget, variant, model, dataset). */
export interface BatchCheckLine {
  row: string;
  check: 'lossless' | 'mat' | 'speedup';
  ok: boolean;
  detail: string;
}

/** Reads a batch-summary.json (a batched run's summary, or a baseline made from one); null when the file is another kind. */
export function readBatchSummary(file: string): BatchSummary | null {
  if (!existsSync(file)) throw new TrbenchError(`${file}: no such file`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new TrbenchError(`${file}: not JSON`);
  }
  const d = data as Partial<BatchSummary>;
  if (!Array.isArray(d.rows) || !Array.isArray(d.curves)) return null;
  if (d.rows.some((r) => typeof (r as Partial<BatchRow>).batch !== 'number'))
    throw new TrbenchError(`${file}: rows without a batch size; expected a batch-summary.json`);
  return d as BatchSummary;
}

const rowKey = (r: BatchRow) => `${r.model}/${r.dataset}/B=${r.batch}/${r.budget}/${r.variant}`;

/**
 * `trbench check` of a batched run, per batch size: every request lossless against plain decoding at the
 * same batch (a logic divergence fails, a numeric one only with `strict`); with a baseline (an earlier
 * batch-summary.json), MAT may not drop by more than `tolerances.mat`, and a speedup fails when its whole 95 %
 * interval lies below the baseline's estimate × (1 − `tolerances.speedup`). Rows missing from the baseline are
 * checked for lossless only.
 */
export function checkBatchSummary(
  summary: BatchSummary,
  baseline: BatchSummary | null,
  tolerances: Tolerances,
  metric: SpeedupMetric,
  strict: boolean,
): BatchCheckLine[] {
  const base = new Map((baseline?.rows ?? []).map((r) => [rowKey(r), r]));
  const lines: BatchCheckLine[] = [];
  for (const r of summary.rows) {
    const row = rowKey(r);
    if (r.lossless) {
      const bad = r.lossless.logic + (strict ? r.lossless.numeric : 0);
      lines.push({
        row,
        check: 'lossless',
        ok: bad === 0,
        detail: `${r.lossless.identical}/${r.lossless.checked} identical, ${r.lossless.numeric} numeric, ${r.lossless.logic} logic`,
      });
    }
    const b = base.get(row);
    if (!b) continue;
    const matFloor = b.mat * (1 - tolerances.mat);
    lines.push({ row, check: 'mat', ok: r.mat >= matFloor, detail: `${r.mat.toFixed(3)} vs baseline ${b.mat.toFixed(3)}` });
    const s = metric === 'cpu' ? r.cpuSpeedup : r.speedup;
    const bs = metric === 'cpu' ? b.cpuSpeedup : b.speedup;
    if (s && bs) {
      const floor = bs.estimate * (1 - tolerances.speedup);
      const high = s.high ?? s.estimate;
      lines.push({
        row,
        check: 'speedup',
        ok: high >= floor,
        detail: `${s.estimate.toFixed(2)}× [${s.low?.toFixed(2) ?? '-'}, ${s.high?.toFixed(2) ?? '-'}] vs baseline ${bs.estimate.toFixed(2)}× (${metric})`,
      });
    }
  }
  return lines;
}
