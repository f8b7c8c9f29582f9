import { costAt } from '@trbench/core';

/** Where a cost model's t(n)/t(1) came from; recorded with every run's parameters. */
export interface CostModelInfo {
  /** `measured` (a backend curve), `flat` (t(n) = t(1), a GPU-like budget) or `linear` (t(n)/t(1) = 1 + slope·(n − 1)). */
  kind: 'measured' | 'flat' | 'linear';
  /** The slope of a linear model. */
  slope?: number;
  /** The cache file a measured curve was read from or written to. */
  file?: string;
  /** t(n)/t(1) at a few sizes, for the record. */
  ratios: Record<string, number>;
}

/**
 * Relative forward cost r(n) = t(n)/t(1) for drafts of n = 1 … maxNodes nodes (root included), and the size
 * that maximises expected tokens per unit of time: (1 + Σ path probabilities of the first n − 1 nodes) / r(n).
 */
export class CostModel {
  readonly maxNodes: number;
  /** r(n) at index n (index 0 unused). */
  readonly ratio: Float64Array;
  readonly info: CostModelInfo;

  private constructor(maxNodes: number, ratio: Float64Array, info: Omit<CostModelInfo, 'ratios'>) {
    this.maxNodes = maxNodes;
    this.ratio = ratio;
    const ratios: Record<string, number> = {};
    for (const n of [2, 4, 8, 16, 32, 64, 81, 128]) if (n <= maxNodes) ratios[n] = Math.round(ratio[n] * 1000) / 1000;
    this.info = { ...info, ratios };
  }

  /** From a measured curve t(n) (sizes ascending, interpolated linearly between them, clamped at the ends). */
  static measured(curve: { sizes: number[]; ms: number[] }, maxNodes: number, file?: string): CostModel {
    if (curve.sizes.length === 0 || curve.sizes[0] !== 1) throw new RangeError('a cost curve must start at n = 1');
    const full = { ...curve, contextLength: 0 };
    const t1 = costAt(full, 1);
    const ratio = new Float64Array(maxNodes + 1);
    for (let n = 1; n <= maxNodes; n++) ratio[n] = Math.max(1, costAt(full, n) / t1);
    return new CostModel(maxNodes, ratio, { kind: 'measured', ...(file ? { file } : {}) });
  }

  /** Every draft up to maxNodes costs one forward (a GPU at batch 1): the node budget alone limits the tree. */
  static flat(maxNodes: number): CostModel {
    return new CostModel(maxNodes, new Float64Array(maxNodes + 1).fill(1), { kind: 'flat' });
  }

  /** t(n)/t(1) = 1 + slope·(n − 1): the explicit default when nothing is measured. */
  static linear(maxNodes: number, slope: number): CostModel {
    if (!(slope >= 0) || !Number.isFinite(slope)) throw new RangeError(`linear cost slope must be a finite number >= 0, got ${slope}`);
    const ratio = new Float64Array(maxNodes + 1);
    for (let n = 1; n <= maxNodes; n++) ratio[n] = 1 + slope * (n - 1);
    return new CostModel(maxNodes, ratio, { kind: 'linear', slope });
  }

  /**
   * The n in 1 … available that maximises (1 + cumulative[n − 1]) / r(n), where cumulative[i] is the sum of
   * the path probabilities of the first i drafted nodes (cumulative[0] = 0). Ties keep the smaller draft.
   */
  bestSize(cumulative: Float64Array, available: number): number {
    let best = 1;
    let bestValue = 1;
    const last = Math.min(available, this.maxNodes);
    for (let n = 2; n <= last; n++) {
      const v = (1 + cumulative[n - 1]) / this.ratio[n];
      if (v > bestValue * (1 + 1e-12)) {
        best = n;
        bestValue = v;
      }
    }
    return best;
  }
}
