import { describe, expect, it } from 'vitest';
import { checkBatchSummary } from './batch-check.ts';
import { type BatchRow, summarizeBatch } from './batch-report.ts';

const row = (over: Partial<BatchRow>): BatchRow => ({
  model: 'm',
  dataset: 'd',
  batch: 4,
  budget: 'per-request',
  variant: 'tr',
  method: 'tr',
  repeats: 3,
  tokensPerSecond: 100,
  latencyMs: 10,
  speedup: { estimate: 1.2, low: 1.1, high: 1.3 },
  cpuSpeedup: { estimate: 1.2, low: 1.1, high: 1.3 },
  mat: 2,
  nodesPerForward: 10,
  forwardsPerRound: 1,
  droppedDrafts: 0,
  lossless: { identical: 8, numeric: 0, logic: 0, checked: 8 },
  ...over,
});

describe('checkBatchSummary', () => {
  const tol = { mat: 0.01, speedup: 0.1 };
  it('passes an unchanged run and fails logic divergences, MAT drops and speedups wholly below the baseline, per batch size', () => {
    const base = { rows: [row({}), row({ batch: 8 })], curves: [] };
    expect(checkBatchSummary(base, base, tol, 'wall', false).every((l) => l.ok)).toBe(true);
    const now = {
      rows: [
        row({ lossless: { identical: 7, numeric: 0, logic: 1, checked: 8 } }),
        row({ batch: 8, mat: 1.9, speedup: { estimate: 0.9, low: 0.85, high: 0.95 } }),
      ],
      curves: [],
    };
    const failed = checkBatchSummary(now, base, tol, 'wall', false).filter((l) => !l.ok);
    expect(failed.map((l) => `${l.row} ${l.check}`)).toEqual([
      'm/d/B=4/per-request/tr lossless',
      'm/d/B=8/per-request/tr mat',
      'm/d/B=8/per-request/tr speedup',
    ]);
    // A numeric tie flip fails only when strict.
    const numeric = { rows: [row({ lossless: { identical: 7, numeric: 1, logic: 0, checked: 8 } })], curves: [] };
    expect(checkBatchSummary(numeric, null, tol, 'wall', false).every((l) => l.ok)).toBe(true);
    expect(checkBatchSummary(numeric, null, tol, 'wall', true).some((l) => !l.ok)).toBe(true);
  });
});

describe('summarizeBatch', () => {
  it('pairs each variant with AR at the same batch and budget, per repeat', () => {
    const unit = (variant: string, method: string, batch: number, repeat: number, wallMs: number) => ({
      model: 'm',
      dataset: 'd',
      batch,
      budget: 'per-request' as const,
      repeat,
      variant,
      method,
      params: {},
      questions: 4,
      newTokens: 100,
      wallMs,
      cpuMs: wallMs,
      rounds: 10,
      forwards: batch === 8 ? 20 : 10,
      meanNodesPerForward: 5,
      meanActivePerForward: 4,
      droppedDrafts: 0,
      mat: method === 'ar' ? 1 : 2,
    });
    const units = [
      unit('ar', 'ar', 4, 0, 100),
      unit('tr', 'tr', 4, 0, 50),
      unit('ar', 'ar', 4, 1, 110),
      unit('tr', 'tr', 4, 1, 55),
      unit('ar', 'ar', 8, 0, 100),
      unit('tr', 'tr', 8, 0, 200),
    ];
    const s = summarizeBatch(units, [], []);
    const tr4 = s.rows.find((r) => r.variant === 'tr' && r.batch === 4);
    const tr8 = s.rows.find((r) => r.variant === 'tr' && r.batch === 8);
    expect(tr4?.speedup?.estimate).toBeCloseTo(2, 10);
    expect(tr8?.speedup?.estimate).toBeCloseTo(0.5, 10);
    expect(tr8?.forwardsPerRound).toBe(2);
    expect(s.rows.find((r) => r.variant === 'ar')?.speedup).toBeNull();
  });
});
