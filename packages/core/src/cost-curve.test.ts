import { describe, expect, it } from 'vitest';
import { costAt, measureCostCurve, nonDecreasing } from './cost-curve.ts';
import { BigramModel } from './testing/bigram-model.ts';

describe('cost curve', () => {
  it('pools adjacent violators into a non-decreasing fit', () => {
    expect(nonDecreasing([1, 3, 2, 4])).toEqual([1, 2.5, 2.5, 4]);
    expect(nonDecreasing([5, 1, 1])).toEqual([7 / 3, 7 / 3, 7 / 3]);
    expect(nonDecreasing([1, 2, 3])).toEqual([1, 2, 3]);
  });

  it('interpolates and clamps', () => {
    const curve = { sizes: [1, 3, 5], ms: [1, 3, 4], contextLength: 0 };
    expect(costAt(curve, 2)).toBe(2);
    expect(costAt(curve, 0)).toBe(1);
    expect(costAt(curve, 9)).toBe(4);
  });

  it('times every requested size on a model', async () => {
    const model = new BigramModel({ vocabSize: 30, next: (t) => (t + 1) % 30 });
    const curve = await measureCostCurve(model, [1, 4, 8], (n) => Int32Array.from({ length: n }, (_, i) => i - 1), {
      contextLength: 5,
      repeats: 3,
    });
    expect(curve.sizes).toEqual([1, 4, 8]);
    expect(curve.ms).toHaveLength(3);
    expect(model.evaluatedSizes.filter((n) => n === 8)).toHaveLength(12); // (1 warm-up + 3 rounds) × 3 back-to-back
  });
});
