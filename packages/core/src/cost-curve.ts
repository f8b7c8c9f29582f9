import { Draft } from './draft.ts';
import { Pacer } from './interrupt.ts';
import type { TargetModel } from './model.ts';
import { Predictions } from './predictions.ts';

/** Forward time of drafts of n nodes on one model, measured on this machine. */
export interface CostCurve {
  /** Draft sizes (nodes, root included). */
  sizes: number[];
  /** Median milliseconds of one `evaluate` + `commit` at each size. */
  ms: number[];
  /** Committed context length the drafts were evaluated on top of. */
  contextLength: number;
  /**
   * The medians before the non-decreasing fit (present when measured here): a kernel switch that makes a
   * larger batch cheaper (llama.cpp's repacked Q4 gemv → gemm at n = 4 on x86) shows only here.
   */
  rawMs?: number[];
}

/**
 * Measures t(n): evaluates a draft of each size on top of a fixed committed context. Sizes are visited
 * round-robin `repeats` times (after one warm-up round), so a burst of load from other processes spreads
 * over all sizes instead of bending one part of the curve; each visit times the last of three evaluations
 * of the same size (a fixed tree in a decode loop never pays a shape change); each size takes its median, and the curve is
 * then made non-decreasing (pool-adjacent-violators), since a larger draft never costs less to evaluate.
 * `parentsOf(n)` gives the tree shape to time (parent index per node, root = -1), so the curve includes
 * what the shape costs the backend (sequences, masks).
 */
export async function measureCostCurve(
  model: TargetModel,
  sizes: number[],
  parentsOf: (n: number) => ArrayLike<number>,
  options: {
    contextLength: number;
    repeats?: number;
    /** Stops between two sizes (InterruptedError); the event loop gets a turn there every ~50 ms. */
    signal?: AbortSignal;
    /** After each round: rounds done of `repeats` + 1 (the warm-up). */
    onRound?: (done: number, total: number) => void;
  },
): Promise<CostCurve> {
  const repeats = options.repeats ?? 9;
  const maxSize = Math.max(...sizes);
  const draft = new Draft(maxSize);
  const predictions = new Predictions(maxSize, model.topK);
  const vocab = Math.max(1, model.info.vocabSize - 3);
  const prefix = Int32Array.from({ length: options.contextLength }, (_, i) => 3 + ((i * 131) % vocab));
  const rootOnly = Int32Array.of(0);
  const shapes = sizes.map((n) => parentsOf(n));
  const samples = sizes.map(() => new Float64Array(repeats));
  model.reset();
  model.prefill(prefix, null);
  const pacer = new Pacer(options.signal);
  for (let round = -1; round < repeats; round++) {
    for (let visit = 0; visit < sizes.length; visit++) {
      // Between sizes, outside the timed evaluations.
      if (pacer.due()) await pacer.pause();
      // Each round starts at another size, so no size always follows the largest one (cold caches).
      const s = (visit + Math.max(0, round) * 7) % sizes.length;
      const n = sizes[s];
      const parents = shapes[s];
      // Three evaluations back to back, timing the last: engines re-plan their graph when the batch shape
      // changes (llama.cpp does), which a decode loop with a fixed tree never pays after its first step.
      for (let pass = 0; pass < 3; pass++) {
        draft.reset(prefix[prefix.length - 1]);
        for (let i = 1; i < n; i++) draft.add(3 + ((i * 37 + round * 11 + pass) % vocab), parents[i]);
        const t0 = performance.now();
        model.evaluate(draft, predictions);
        model.commit(rootOnly, 1);
        const dt = performance.now() - t0;
        if (round >= 0 && pass === 2) samples[s][round] = dt;
        // Keep the context length fixed: rebuild it once it has grown by a few tokens.
        if (model.committedLength > options.contextLength + 16) {
          model.reset();
          model.prefill(prefix, null);
        }
      }
    }
    options.onRound?.(round + 2, repeats + 1);
  }
  const medians = samples.map((xs) => {
    const sorted = Array.from(xs).sort((a, b) => a - b);
    return sorted[sorted.length >> 1];
  });
  return { sizes: [...sizes], ms: nonDecreasing(medians), contextLength: options.contextLength, rawMs: medians };
}

/** Least-squares non-decreasing fit (pool adjacent violators). */
export function nonDecreasing(values: number[]): number[] {
  const blocks: Array<{ sum: number; count: number }> = [];
  for (const v of values) {
    blocks.push({ sum: v, count: 1 });
    while (blocks.length > 1) {
      const b = blocks[blocks.length - 1];
      const a = blocks[blocks.length - 2];
      if (a.sum / a.count <= b.sum / b.count) break;
      a.sum += b.sum;
      a.count += b.count;
      blocks.pop();
    }
  }
  return blocks.flatMap((b) => new Array<number>(b.count).fill(b.sum / b.count));
}

/** Linear interpolation of a cost curve at n (clamped to its ends). */
export function costAt(curve: CostCurve, n: number): number {
  const { sizes, ms } = curve;
  if (n <= sizes[0]) return ms[0];
  for (let i = 1; i < sizes.length; i++) {
    if (n <= sizes[i]) {
      const f = (n - sizes[i - 1]) / (sizes[i] - sizes[i - 1]);
      return ms[i - 1] + f * (ms[i] - ms[i - 1]);
    }
  }
  return ms[ms.length - 1];
}
