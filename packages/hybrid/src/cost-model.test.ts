import { describe, expect, it } from 'vitest';
import { CostModel } from './cost-model.ts';

const cum = (...p: number[]) => {
  const c = new Float64Array(p.length + 1);
  p.forEach((x, i) => {
    c[i + 1] = c[i] + x;
  });
  return c;
};

describe('CostModel', () => {
  it('keeps a plain step when no draft pays for its cost', () => {
    // t(2)/t(1) = 1.9 (llama.cpp's CPU build): one node of p = 0.8 gives 1.8 / 1.9 < 1.
    const m = CostModel.measured({ sizes: [1, 2, 4], ms: [10, 19, 23] }, 4);
    expect(m.bestSize(cum(0.8, 0.2, 0.1), 4)).toBe(1);
    // A long, sure spine pays: (1 + 0.99 + 0.98 + 0.97) / 2.3 > 1.
    expect(m.bestSize(cum(0.99, 0.98, 0.97), 4)).toBe(4);
  });

  it('picks the size that maximises expected tokens per unit of time', () => {
    const m = CostModel.linear(8, 0.1);
    // n = 3: (1 + 0.9 + 0.5) / 1.2 = 2.0; n = 4 adds 0.05 for 0.1 more cost: worse.
    expect(m.bestSize(cum(0.9, 0.5, 0.05, 0.01), 5)).toBe(3);
    expect(m.info).toMatchObject({ kind: 'linear', slope: 0.1 });
  });

  it('a flat model uses every node grown and interpolates measured curves', () => {
    expect(CostModel.flat(81).bestSize(cum(0.5, 0.001, 0.001), 4)).toBe(4);
    const m = CostModel.measured({ sizes: [1, 3], ms: [10, 14] }, 4);
    expect(m.ratio[2]).toBeCloseTo(1.2);
    expect(m.ratio[4]).toBeCloseTo(1.4);
    expect(() => CostModel.measured({ sizes: [2, 3], ms: [1, 2] }, 3)).toThrow(/n = 1/);
  });
});
