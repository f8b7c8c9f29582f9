import { describe, expect, it } from 'vitest';
import { mean, pooledMat, pooledTokensPerSecond, questionTokensPerSecond, runSpeedup, sampleStd } from './spec-bench-metrics.ts';

describe('Spec-Bench metrics', () => {
  const a = { newTokens: 100, wallMs: 1000, steps: 50 }; // 100 tok/s, MAT 2
  const b = { newTokens: 10, wallMs: 50, steps: 10 }; // 200 tok/s, MAT 1

  it('macro tok/s is the mean of per-question speeds, unlike Σ tokens / Σ time', () => {
    expect(questionTokensPerSecond(a)).toBe(100);
    expect(mean([a, b].map(questionTokensPerSecond))).toBe(150);
    expect(pooledTokensPerSecond([a, b])).toBeCloseTo((110 * 1000) / 1050, 10);
  });

  it('MAT is pooled over steps (step-weighted), not the mean of per-question MATs', () => {
    expect(pooledMat([a, b])).toBeCloseTo(110 / 60, 12);
    expect(pooledMat([a, b])).not.toBeCloseTo(1.5, 3);
    expect(pooledMat([])).toBeNaN();
  });

  it('speedup compares macro means over the questions both sides finished', () => {
    const method = new Map([
      ['q1', { newTokens: 100, wallMs: 500 }], // 200 tok/s
      ['q2', { newTokens: 100, wallMs: 250 }], // 400 tok/s
    ]);
    const ar = new Map([
      ['q1', { newTokens: 100, wallMs: 1000 }], // 100 tok/s
      ['q2', { newTokens: 100, wallMs: 1000 }], // 100 tok/s
      ['q3', { newTokens: 1, wallMs: 1000 }], // AR only: ignored
    ]);
    expect(runSpeedup(method, ar)).toBe(3);
    expect(runSpeedup(new Map(), ar)).toBeNaN();
  });

  it('std over runs uses ddof = 1', () => {
    expect(sampleStd([1, 3])).toBeCloseTo(Math.SQRT2, 12);
    expect(sampleStd([5])).toBeNaN();
  });
});
