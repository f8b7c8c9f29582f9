import { describe, expect, it } from 'vitest';
import { fixtureManifest, fixtureRecord, fixtureRecords } from '../testing/test-fixtures.ts';
import { losslessFailures, OVERALL, summarize } from './summary.ts';

describe('summarize', () => {
  it('computes Spec-Bench metrics per subtask and overall', () => {
    const s = summarize(fixtureManifest(), fixtureRecords());
    expect(s.complete).toBe(true);
    expect(s.rows.map((r) => `${r.variant}/${r.subtask}`)).toEqual([
      'ar/s1',
      'ar/s2',
      `ar/${OVERALL}`,
      'tr[k=8]/s1',
      'tr[k=8]/s2',
      `tr[k=8]/${OVERALL}`,
    ]);
    const tr = (sub: string) => s.rows.find((r) => r.variant === 'tr[k=8]' && r.subtask === sub)!;
    const ar = s.rows.find((r) => r.variant === 'ar' && r.subtask === OVERALL)!;
    expect(ar).toMatchObject({
      questions: 3,
      skipped: 1,
      newTokens: 30,
      steps: 30,
      mat: 1,
      tokensPerSecond: 100,
      speedup: 1,
      speedupCi: null,
      specBenchSpeedup: 1,
      lossless: null,
    });
    expect(tr('s1')).toMatchObject({ questions: 2, mat: 2, tokensPerSecond: 200, speedup: 2, specBenchSpeedup: 2 });
    expect(tr('s1').speedupCi).toMatchObject({ low: 2, high: 2, questions: 2, pairs: 2, interval: 'questions' });
    expect(tr('s2')).toMatchObject({ questions: 1, mat: 2, tokensPerSecond: 400, speedup: 4, specBenchSpeedup: 4 });
    expect(tr('s2').speedupCi).toEqual({ low: null, high: null, questions: 1, pairs: 1, interval: null });
    // overall: macro over the 3 questions (200, 200, 400) / 100
    expect(tr(OVERALL).tokensPerSecond).toBeCloseTo(800 / 3, 10);
    // paired: geometric mean of the per-question ratios 2, 2, 4; Spec-Bench: ratio of the macro means
    expect(tr(OVERALL).speedup).toBeCloseTo(16 ** (1 / 3), 10);
    expect(tr(OVERALL).specBenchSpeedup).toBeCloseTo(8 / 3, 10);
    expect(tr(OVERALL).speedupCi!.low!).toBeLessThan(2);
    expect(tr(OVERALL).speedupCi!.high!).toBeGreaterThan(4);
    expect(tr(OVERALL).pooledTokensPerSecond).toBeCloseTo((30 * 1000) / 125, 10);
    expect(tr(OVERALL).lossless).toEqual({ compared: 3, identical: 3, numeric: 0, divergences: [], firstDivergence: null });
    expect(tr(OVERALL).acceptHistogram).toEqual([0, 6, 3, 6]);
    expect(s.skippedQuestions).toEqual([{ model: 'm', dataset: 'd', subtask: 's2', questionId: 'q4', reason: 'too long' }]);
  });

  it('counts lossless failures and names the first divergence', () => {
    const records = fixtureRecords();
    const bad = records.find((r) => r.variant === 'tr[k=8]' && r.questionId === 'q2')!;
    bad.lossless = { identical: false, turn: 1, index: 5 };
    const row = summarize(fixtureManifest(), records).rows.find((r) => r.variant === 'tr[k=8]' && r.subtask === OVERALL)!;
    expect(row.lossless).toMatchObject({
      compared: 3,
      identical: 2,
      numeric: 0,
      firstDivergence: { questionId: 'q2', repeat: 0, turn: 1, index: 5 },
    });
    // A record made before divergences were diagnosed counts as logic.
    expect(row.lossless?.divergences).toMatchObject([{ questionId: 'q2', kind: 'logic', decidedBy: 'no-data' }]);
    expect(losslessFailures(row.lossless!, false)).toBe(1);
  });

  it('counts numeric tie flips apart: they fail only under strict numerics, and firstDivergence names a logic one', () => {
    const records = fixtureRecords();
    const numeric = records.find((r) => r.variant === 'tr[k=8]' && r.questionId === 'q2')!;
    numeric.lossless = {
      identical: false,
      turn: 1,
      index: 5,
      kind: 'numeric',
      delta: 0.003,
      decidedBy: 'trace',
      plain: { id: 10, logit: 5.001, runnerUp: { id: 20, logit: 4.998 } },
      method: { id: 20, logit: 5.0, runnerUp: { id: 10, logit: 4.999 } },
      reason: 'tie flip',
    };
    const row = summarize(fixtureManifest(), records).rows.find((r) => r.variant === 'tr[k=8]' && r.subtask === OVERALL)!;
    expect(row.lossless).toMatchObject({ compared: 3, identical: 2, numeric: 1, firstDivergence: null });
    expect(row.lossless?.divergences).toMatchObject([{ questionId: 'q2', kind: 'numeric', delta: 0.003, plain: { id: 10 } }]);
    expect(losslessFailures(row.lossless!, false)).toBe(0);
    expect(losslessFailures(row.lossless!, true)).toBe(1);
  });

  it('marks a run with missing records incomplete', () => {
    const s = summarize(fixtureManifest(), fixtureRecords().slice(0, 5));
    expect(s).toMatchObject({ complete: false, records: 5, expectedRecords: 8 });
  });

  it('averages tok/s and per-run speedups over repeats and pools MAT', () => {
    const records = [
      fixtureRecord({ repeat: 0, wallMs: 100, newTokens: 10 }),
      fixtureRecord({ repeat: 1, wallMs: 50, newTokens: 10 }),
      fixtureRecord({ variant: 'tr[k=8]', repeat: 0, wallMs: 50, newTokens: 10, steps: 5 }),
      fixtureRecord({ variant: 'tr[k=8]', repeat: 1, wallMs: 50, newTokens: 10, steps: 2 }),
    ];
    const row = summarize(fixtureManifest(2), records).rows.find((r) => r.variant === 'tr[k=8]' && r.subtask === OVERALL)!;
    expect(row.tokensPerSecond).toBe(200);
    expect(row.tokensPerSecondStd).toBe(0);
    expect(row.specBenchSpeedup).toBe((2 + 1) / 2); // mean of the per-run ratios, as Spec-Bench
    expect(row.speedup).toBeCloseTo(Math.SQRT2, 12); // paired: geometric mean of 2 and 1
    expect(row.speedupCi).toMatchObject({ questions: 1, pairs: 2, interval: 'repeats' });
    expect(row.mat).toBe(20 / 7);
    expect(row.runs).toBe(2);
    expect(row.questions).toBe(1);
  });
});
