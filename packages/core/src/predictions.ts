import { RankKernel, SCAN_BLOCK } from './rank-kernel.ts';

/**
 * What the target model predicted after each evaluated node: the argmax and the top-k token ids
 * with their raw logits, and optionally the log-sum-exp of the row so that log-probabilities can be
 * recovered as `logit - logSumExp`.
 *
 * Ordering rule (the project's one tie-break): higher logit first; equal logits, lower token id first.
 * The argmax is therefore the lowest token id among the maximal logits.
 */
export class Predictions {
  /** Rows this buffer can hold. */
  readonly capacity: number;
  /** Top-k width stored per row (>= 1). */
  readonly k: number;
  /** Rows filled by the last evaluation. */
  count = 0;
  /** Whether `logSumExp` was filled by the last evaluation. */
  hasLogSumExp = false;
  readonly argmax: Int32Array;
  /** Row-major `[row * k + rank]`. */
  readonly topIds: Int32Array;
  /** Logits of `topIds`, same layout. */
  readonly topLogits: Float32Array;
  /** log Σ exp(logits) per row, when requested. */
  readonly logSumExp: Float64Array;

  constructor(capacity: number, k: number) {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`top-k width must be an integer >= 1, got ${k}`);
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be an integer >= 1, got ${capacity}`);
    this.capacity = capacity;
    this.k = k;
    this.argmax = new Int32Array(capacity);
    this.topIds = new Int32Array(capacity * k);
    this.topLogits = new Float32Array(capacity * k);
    this.logSumExp = new Float64Array(capacity);
  }

  /** Log-probability of the `rank`-th candidate of `row` (requires `hasLogSumExp`). */
  logProb(row: number, rank: number): number {
    if (!this.hasLogSumExp) throw new Error('log-probabilities were not requested for this evaluation');
    return this.topLogits[row * this.k + rank] - this.logSumExp[row];
  }
}

/** Below this vocabulary the plain scalar scan is as fast as the SIMD path (and needs no copy). */
const KERNEL_MIN_VOCAB = 256;

/**
 * Fills row `row` of `out` from one row of logits: the top-k ids and their logits (bit for bit), the
 * argmax, and with `withLogSumExp` the row's log Σ exp. No allocation. See {@link rankLogitsRows}.
 */
export function rankLogitsRow(
  logits: Float32Array,
  offset: number,
  vocab: number,
  out: Predictions,
  row: number,
  withLogSumExp: boolean,
): void {
  rankLogitsRows(logits, offset, vocab, 1, out, row, withLogSumExp);
}

/**
 * Ranks `rows` consecutive logits rows (row r at `offset + r·vocab`) into rows `firstRow…` of `out`; the
 * decode loop's host ranking (the llama.cpp backend calls it on llama.cpp's own logits buffer).
 *
 * Order: higher logit first, equal logits lower id first; −0 and +0 are equal (the stored value keeps its
 * sign bit); NaN ranks after every number, −Infinity included (so it appears only in a row with fewer
 * than k other values). When `vocab < k` the remaining ranks repeat the best id with logit −Infinity.
 *
 * How: each row is copied into the WebAssembly memory of {@link RankKernel} (unless it is already there),
 * whose SIMD loop skips every 16-float block with no value above the current k-th logit; the few other
 * blocks go through the scalar insertion. Log-sum-exp (NaN logits excluded; −Infinity for a row without
 * a finite logit) is computed in f64 with an error below 1e-9 relative on Σ exp (rank-kernel.ts).
 * Falls back to the same scan in plain JS where SIMD WebAssembly is missing or the vocabulary is tiny.
 */
export function rankLogitsRows(
  logits: Float32Array,
  offset: number,
  vocab: number,
  rows: number,
  out: Predictions,
  firstRow: number,
  withLogSumExp = false,
): void {
  const kernel = vocab >= KERNEL_MIN_VOCAB ? RankKernel.get() : null;
  for (let r = 0; r < rows; r++) {
    const row = firstRow + r;
    const base = row * out.k;
    const k = Math.min(out.k, vocab);
    const src = offset + r * vocab;
    if (kernel === null) {
      selectTopKScalar(logits, src, 0, vocab, k, out.topIds, out.topLogits, base, 0);
    } else {
      const at = kernelRow(kernel, logits, src, vocab);
      selectTopKKernel(kernel, at, vocab, k, out.topIds, out.topLogits, base);
    }
    const ids = out.topIds;
    const vals = out.topLogits;
    for (let i = k; i < out.k; i++) {
      // Vocabulary smaller than k: pad with the best candidate so rows stay well-formed.
      ids[base + i] = ids[base];
      vals[base + i] = -Infinity;
    }
    out.argmax[row] = ids[base];
    if (withLogSumExp) out.logSumExp[row] = logSumExpWithMax(logits, src, vocab, vals[base], 1);
  }
}

/**
 * log Σ exp(logits·invT) of one row whose largest non-NaN logit is `max` (e.g. the top-1 logit of its
 * ranked row): NaN logits are excluded, a row without a finite maximum gives −Infinity (all −Infinity
 * or NaN) or +Infinity. Error below 1e-9 relative on the sum (rank-kernel.ts).
 */
export function logSumExpWithMax(logits: Float32Array, offset: number, vocab: number, max: number, invT: number): number {
  if (!(max > -Infinity)) return -Infinity;
  if (max === Infinity) return Infinity;
  return max * invT + Math.log(sumExpWithMax(logits, offset, vocab, max, invT));
}

/** Σ exp((x − max)·invT) over a row (terms below e⁻⁶⁰ and NaN dropped); `max` finite. */
export function sumExpWithMax(logits: Float32Array, offset: number, vocab: number, max: number, invT: number): number {
  const kernel = vocab >= KERNEL_MIN_VOCAB ? RankKernel.get() : null;
  let sum = 0;
  let from = 0;
  if (kernel !== null) {
    const at = kernelRow(kernel, logits, offset, vocab);
    from = vocab - (vocab & 3);
    sum = kernel.sumExp(at, at + from, max, invT);
  }
  for (let t = from; t < vocab; t++) {
    const d = (logits[offset + t] - max) * invT;
    if (d > -60) sum += Math.exp(d);
  }
  return sum;
}

/**
 * Where row `[offset, offset + vocab)` of `logits` sits in the kernel's memory: in place when `logits`
 * already is a view of it (and 16-byte aligned), else copied to the start of the kernel's memory.
 */
function kernelRow(kernel: RankKernel, logits: Float32Array, offset: number, vocab: number): number {
  if (logits.buffer === kernel.floats.buffer) {
    const at = logits.byteOffset / 4 + offset;
    if ((at & 3) === 0) return at;
  }
  kernel.reserve(vocab * 4);
  kernel.floats.set(logits.subarray(offset, offset + vocab), 0);
  return 0;
}

/** `a` ranks before `b` among values (ids aside): greater, and any number before NaN. */
function before(a: number, b: number): boolean {
  return a > b || (Number.isNaN(b) && !Number.isNaN(a));
}

/**
 * Scalar selection of the top `k` of `x[at + from … at + vocab)` into `ids/vals[base…]`, given `filled`
 * candidates already there (ids relative to `at`). Returns nothing; leaves `k` filled when vocab ≥ k.
 */
function selectTopKScalar(
  x: Float32Array,
  at: number,
  from: number,
  vocab: number,
  k: number,
  ids: Int32Array,
  vals: Float32Array,
  base: number,
  filled: number,
): void {
  let kth = filled === k ? vals[base + k - 1] : Number.NaN;
  for (let t = from; t < vocab; t++) {
    const v = x[at + t];
    // Strictly before: an equal logit seen later has a higher id, so it ranks after the one stored.
    if (filled === k && !before(v, kth)) continue;
    let pos = filled === k ? k - 1 : filled;
    while (pos > 0 && before(v, vals[base + pos - 1])) {
      vals[base + pos] = vals[base + pos - 1];
      ids[base + pos] = ids[base + pos - 1];
      pos--;
    }
    vals[base + pos] = v;
    ids[base + pos] = t;
    if (filled < k) filled++;
    kth = vals[base + filled - 1];
  }
}

/** Top-k of the `vocab` floats at `kernel.floats[at…]`: SIMD skip of blocks that cannot enter the top-k. */
function selectTopKKernel(
  kernel: RankKernel,
  at: number,
  vocab: number,
  k: number,
  ids: Int32Array,
  vals: Float32Array,
  base: number,
): void {
  const x = kernel.floats;
  // The first k fill the list; scalar up to the first block boundary (relative to the row start).
  const blockStart = Math.min(vocab, Math.ceil(k / SCAN_BLOCK) * SCAN_BLOCK);
  selectTopKScalar(x, at, 0, blockStart, k, ids, vals, base, 0);
  const blockEnd = blockStart + Math.floor((vocab - blockStart) / SCAN_BLOCK) * SCAN_BLOCK;
  let t = blockStart;
  while (t < blockEnd) {
    const kth = vals[base + k - 1];
    if (Number.isNaN(kth)) {
      // A NaN k-th value (a row with fewer than k numbers so far): every number beats it, no block skips.
      selectTopKScalar(x, at, t, blockEnd, k, ids, vals, base, k);
      t = blockEnd;
      break;
    }
    t = kernel.scanAbove(at + t, at + blockEnd, kth) - at;
    if (t >= blockEnd) break;
    selectTopKScalar(x, at, t, t + SCAN_BLOCK, k, ids, vals, base, k);
    t += SCAN_BLOCK;
  }
  selectTopKScalar(x, at, blockEnd, vocab, k, ids, vals, base, k);
}

/**
 * Top `k` ids of one row in rank order (the tie rule of {@link Predictions}) into `ids[base…]`, their
 * logits into `vals[base…]`; for callers that need a top-k of their own width (top-k sampling).
 */
export function selectTopK(
  logits: Float32Array,
  offset: number,
  vocab: number,
  k: number,
  ids: Int32Array,
  vals: Float32Array,
  base: number,
): void {
  const kernel = vocab >= KERNEL_MIN_VOCAB && k <= 64 ? RankKernel.get() : null;
  if (kernel === null) selectTopKScalar(logits, offset, 0, vocab, k, ids, vals, base, 0);
  else selectTopKKernel(kernel, kernelRow(kernel, logits, offset, vocab), vocab, k, ids, vals, base);
}

/**
 * `weights[t] = exp((logits[offset + t] − max)·invT)` for the whole row (0 below e⁻⁶⁰ and for NaN); returns
 * their sum. `max` finite.
 */
export function expWeights(logits: Float32Array, offset: number, vocab: number, max: number, invT: number, weights: Float64Array): number {
  const kernel = vocab >= KERNEL_MIN_VOCAB ? RankKernel.get() : null;
  let sum = 0;
  let from = 0;
  if (kernel !== null) {
    const at = kernelRow(kernel, logits, offset, vocab);
    const dst = Math.ceil((at + vocab) / 4) * 2; // doubles, past the row, 16-byte aligned
    kernel.reserve((dst + vocab) * 8);
    from = vocab - (vocab & 3);
    sum = kernel.expInto(at, at + from, max, invT, dst);
    weights.set(kernel.doubles.subarray(dst, dst + from), 0);
  }
  for (let t = from; t < vocab; t++) {
    const d = (logits[offset + t] - max) * invT;
    const w = d > -60 ? Math.exp(d) : 0;
    weights[t] = w;
    sum += w;
  }
  return sum;
}
