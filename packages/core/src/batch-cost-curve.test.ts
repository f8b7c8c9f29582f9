import { describe, expect, it } from 'vitest';
import { measureBatchCostCurve } from './batch-cost-curve.ts';
import { BigramModel } from './testing/bigram-model.ts';
import { SequentialBatchModel } from './testing/sequential-batch-model.ts';

describe('measureBatchCostCurve', () => {
  it('times forwards of every slot at each per-request size: totals B·n, non-decreasing, every slot evaluated', async () => {
    const model = new SequentialBatchModel(Array.from({ length: 3 }, () => new BigramModel({ vocabSize: 40, next: (t) => (t + 1) % 40 })));
    const chain = Int32Array.from({ length: 8 }, (_, i) => i - 1);
    const curve = await measureBatchCostCurve(model, [1, 2, 8], () => chain, { contextLength: 10, repeats: 2 });
    expect(curve.sizes).toEqual([3, 6, 24]);
    for (let i = 1; i < curve.ms.length; i++) expect(curve.ms[i]).toBeGreaterThanOrEqual(curve.ms[i - 1]);
    // (1 warm-up + 2 rounds) × 3 sizes × 3 passes, every slot in each.
    expect(model.forwards.length).toBe(27);
    expect(model.forwards.every((f) => f.every((n) => n > 0))).toBe(true);
    expect(new Set(model.forwards.map((f) => f[0]))).toEqual(new Set([1, 2, 8]));
  });
});
