import type { BatchTargetModel } from './batch-model.ts';
import { type CostCurve, nonDecreasing } from './cost-curve.ts';
import { Draft } from './draft.ts';
import { Pacer } from './interrupt.ts';
import { Predictions } from './predictions.ts';

/**
 * Measures t(N) of a batched forward: every slot of `model` in flight on a fixed context of `contextLength`
 * tokens, N nodes in all (each slot a draft of `parentsOf(n)` with n = N / slots, so N runs over slots × n).
 * Visits are round-robin over the sizes, `repeats` times after a warm-up round, each timing the last of three
 * evaluations of the same shape; each size takes its median and the curve is made non-decreasing, as
 * {@link measureCostCurve} does for one request. `sizes` are per-slot draft sizes; the curve's are totals.
 */
export async function measureBatchCostCurve(
  model: BatchTargetModel,
  perSlotSizes: number[],
  parentsOf: (n: number) => ArrayLike<number>,
  options: { contextLength: number; repeats?: number; signal?: AbortSignal },
): Promise<CostCurve> {
  const B = model.slots;
  const repeats = options.repeats ?? 7;
  const maxSize = Math.max(...perSlotSizes);
  const drafts = Array.from({ length: B }, () => new Draft(maxSize));
  const outs = Array.from({ length: B }, () => new Predictions(maxSize, model.topK));
  const vocab = Math.max(1, model.info.vocabSize - 3);
  const prefixes = Array.from({ length: B }, (_, s) =>
    Int32Array.from({ length: options.contextLength }, (_, i) => 3 + ((i * 131 + s * 17) % vocab)),
  );
  const rootOnly = Int32Array.of(0);
  const samples = perSlotSizes.map(() => new Float64Array(repeats));
  const rebuild = (s: number) => {
    model.resetSlot(s);
    model.prefillSlot(s, prefixes[s], null);
  };
  for (let s = 0; s < B; s++) rebuild(s);
  const pacer = new Pacer(options.signal);
  for (let round = -1; round < repeats; round++) {
    for (let visit = 0; visit < perSlotSizes.length; visit++) {
      if (pacer.due()) await pacer.pause();
      const k = (visit + Math.max(0, round) * 7) % perSlotSizes.length;
      const n = perSlotSizes[k];
      const parents = parentsOf(n);
      for (let pass = 0; pass < 3; pass++) {
        for (let s = 0; s < B; s++) {
          const d = drafts[s];
          d.reset(prefixes[s][prefixes[s].length - 1]);
          for (let i = 1; i < n; i++) d.add(3 + ((i * 37 + round * 11 + pass + s * 5) % vocab), parents[i]);
        }
        const t0 = performance.now();
        model.evaluateBatch(drafts, outs);
        for (let s = 0; s < B; s++) model.commitSlot(s, rootOnly, 1);
        const dt = performance.now() - t0;
        if (round >= 0 && pass === 2) samples[k][round] = dt;
        for (let s = 0; s < B; s++) if (model.committedLength(s) > options.contextLength + 16) rebuild(s);
      }
    }
  }
  const medians = samples.map((xs) => {
    const sorted = Array.from(xs).sort((a, b) => a - b);
    return sorted[sorted.length >> 1];
  });
  return { sizes: perSlotSizes.map((n) => n * B), ms: nonDecreasing(medians), contextLength: options.contextLength };
}
