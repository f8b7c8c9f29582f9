import { describe, expect, it } from 'vitest';
import { pairedSpeedup, studentTCdf, studentTQuantile, type Timed } from './paired-speedup.ts';

const rec = (questionId: string, repeat: number, wallMs: number, newTokens = 100): Timed => ({ questionId, repeat, newTokens, wallMs });

describe('studentTQuantile', () => {
  it('matches tabulated 97.5 % quantiles', () => {
    const table: [number, number][] = [
      [1, 12.7062],
      [2, 4.3027],
      [5, 2.5706],
      [7, 2.3646],
      [16, 2.1199],
      [30, 2.0423],
      [1000, 1.9623],
    ];
    for (const [df, t] of table) expect(studentTQuantile(0.975, df)).toBeCloseTo(t, 3);
    expect(studentTCdf(0, 3)).toBeCloseTo(0.5, 12);
    expect(studentTQuantile(0.025, 7)).toBeCloseTo(-2.3646, 3);
  });
});

describe('pairedSpeedup', () => {
  it('is the geometric mean of per-question ratios, paired by question and repeat', () => {
    // q1: 2× in both repeats although the machine was twice as slow in repeat 1; q2: 8×.
    const ar = [rec('q1', 0, 100), rec('q1', 1, 200), rec('q2', 0, 100), rec('q2', 1, 100), rec('q3', 0, 100)];
    const m = [rec('q1', 0, 50), rec('q1', 1, 100), rec('q2', 0, 12.5), rec('q2', 1, 12.5), rec('q4', 0, 10)];
    const s = pairedSpeedup(m, ar)!;
    expect(s.estimate).toBeCloseTo(4, 12);
    expect(s).toMatchObject({ questions: 2, pairs: 4, interval: 'repeats' });
    // no noise between repeats: the interval is the point
    expect(s.low).toBeCloseTo(4, 12);
    expect(s.high).toBeCloseTo(4, 12);
  });

  it('takes the interval from the repeats of each question: t with Σ(n − 1) degrees of freedom', () => {
    const ar = ['a', 'b', 'c'].flatMap((q) => [0, 1].map((r) => rec(q, r, 100)));
    const e = [0.1, -0.1]; // log ratios per question: ln 2 ± 0.1, ln 3 ± 0.1, ln 1 ± 0.1
    const m = (['a', 'b', 'c'] as const).flatMap((q, i) => [0, 1].map((r) => rec(q, r, 100 / Math.exp(Math.log([2, 3, 1][i]) + e[r]))));
    const s = pairedSpeedup(m, ar)!;
    const center = (Math.log(2) + Math.log(3)) / 3;
    // pooled s² = 3 · 2 · 0.01 / 3 = 0.02; Var = s² / 9 · (3 / 2)
    const half = studentTQuantile(0.975, 3) * Math.sqrt((0.02 / 9) * 1.5);
    expect(s.estimate).toBeCloseTo(Math.exp(center), 12);
    expect(s.low).toBeCloseTo(Math.exp(center - half), 10);
    expect(s.high).toBeCloseTo(Math.exp(center + half), 10);
    expect(s.interval).toBe('repeats');
  });

  it('with one repeat, takes the interval from the spread over questions', () => {
    const ar = ['a', 'b', 'c', 'd'].map((q) => rec(q, 0, 100));
    const ratios = [1.1, 1.3, 1.2, 1.5];
    const m = ratios.map((x, i) => rec(ar[i].questionId, 0, 100 / x));
    const s = pairedSpeedup(m, ar)!;
    const logs = ratios.map(Math.log);
    const mu = logs.reduce((a, b) => a + b) / 4;
    const sd = Math.sqrt(logs.reduce((a, x) => a + (x - mu) ** 2, 0) / 3);
    const half = studentTQuantile(0.975, 3) * (sd / 2);
    expect(s).toMatchObject({ interval: 'questions', questions: 4, pairs: 4 });
    expect(s.low).toBeCloseTo(Math.exp(mu - half), 10);
    expect(s.high).toBeCloseTo(Math.exp(mu + half), 10);
    expect(s.low!).toBeLessThan(s.estimate);
  });

  it('has no interval from one pair and nothing without pairs', () => {
    expect(pairedSpeedup([rec('a', 0, 50)], [rec('a', 0, 100)])).toMatchObject({ estimate: 2, low: null, high: null, interval: null });
    expect(pairedSpeedup([rec('a', 0, 50)], [rec('b', 0, 100)])).toBeNull();
    expect(pairedSpeedup([rec('a', 0, 0)], [rec('a', 0, 100)])).toBeNull();
  });
});
