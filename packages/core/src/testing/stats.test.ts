import { describe, expect, it } from 'vitest';
import { chiSquareSurvival, gTestHomogeneity } from './stats.ts';

describe('chi-square survival', () => {
  it('matches table values', () => {
    expect(chiSquareSurvival(3.841458820694124, 1)).toBeCloseTo(0.05, 6);
    expect(chiSquareSurvival(18.307038053275146, 10)).toBeCloseTo(0.05, 6);
    expect(chiSquareSurvival(6.634896601021214, 1)).toBeCloseTo(0.01, 6);
    expect(chiSquareSurvival(124.34211340400407, 100)).toBeCloseTo(0.05, 5);
  });
});

describe('gTestHomogeneity', () => {
  it('does not reject identical samples and rejects clearly different ones', () => {
    const a = new Map([
      ['x', 500],
      ['y', 300],
      ['z', 200],
    ]);
    expect(gTestHomogeneity(a, new Map(a)).pValue).toBeCloseTo(1, 6);
    const b = new Map([
      ['x', 300],
      ['y', 300],
      ['z', 400],
    ]);
    expect(gTestHomogeneity(a, b).pValue).toBeLessThan(1e-6);
  });
});
