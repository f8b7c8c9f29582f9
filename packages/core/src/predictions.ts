import { EXP_BLOCK, RankKernel, SCAN_BLOCK } from './rank-kernel.ts';

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

/** Below this vocabulary the plain scalar scan is faster than the SIMD path (its copy and calls dominate). */
const KERNEL_MIN_VOCAB = 2048;
/** Below this vocabulary Math.exp is as fast as the SIMD exp. */
const KERNEL_MIN_VOCAB_EXP = 256;

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
 * How: each row goes through the WebAssembly memory of {@link RankKernel} in 32 KB chunks (copied unless
 * the row already is there; a chunk stays in cache for the scan right after its copy), whose SIMD loop
 * skips every 16-float block with no value above the current k-th logit; the few other blocks go through
 * the scalar insertion. Log-sum-exp (NaN logits excluded; −Infinity for a row without a finite logit) is
 * computed with the f32 SIMD exp and f64 sums, within ~1e-6 relative on Σ exp (rank-kernel.ts). Falls back to the same
 * scan in plain JS where SIMD WebAssembly is missing or the vocabulary is tiny.
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
  const k = Math.min(out.k, vocab);
  const ids = out.topIds;
  const vals = out.topLogits;
  for (let r = 0; r < rows; r++) {
    const row = firstRow + r;
    const base = row * out.k;
    const src = offset + r * vocab;
    selectTopK(logits, src, vocab, k, ids, vals, base);
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
 * Top `k` (≤ vocab) ids of one row in rank order (the tie rule of {@link rankLogitsRows}) into
 * `ids[base…]`, their logits into `vals[base…]`; also for callers with a width of their own (top-k sampling).
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
  const kernel = vocab >= KERNEL_MIN_VOCAB ? RankKernel.get() : null;
  if (kernel === null) {
    selectTopKScalar(logits, offset, 0, vocab, k, ids, vals, base, 0);
    return;
  }
  const inPlace = inKernel(kernel, logits, offset);
  if (inPlace >= 0) {
    selectTopKKernel(kernel, inPlace, 0, vocab, k, ids, vals, base, 0);
    return;
  }
  const chunk = Math.max(CHUNK, Math.ceil(k / SCAN_BLOCK) * SCAN_BLOCK);
  kernel.reserve(chunk * 4);
  for (let c0 = 0; c0 < vocab; c0 += chunk) {
    const c1 = Math.min(vocab, c0 + chunk);
    kernel.floats.set(sourceViews.view(logits, offset + c0, offset + c1), 0);
    // Chunk index i holds token c0 + i: `at` = −c0 keeps ids global.
    selectTopKKernel(kernel, -c0, c0, c1, k, ids, vals, base, c0 === 0 ? 0 : k);
  }
}

/**
 * log Σ exp(logits·invT) of one row whose largest non-NaN logit is `max` (e.g. the top-1 logit of its
 * ranked row): NaN logits are excluded, a row without a finite maximum gives −Infinity (all −Infinity
 * or NaN) or +Infinity. Within ~1e-6 relative on the sum, so ~1e-6 absolute on the result (rank-kernel.ts).
 */
export function logSumExpWithMax(logits: Float32Array, offset: number, vocab: number, max: number, invT: number): number {
  if (!(max > -Infinity)) return -Infinity;
  if (max === Infinity) return Infinity;
  return max * invT + Math.log(expTerms(logits, offset, vocab, max, invT, null));
}

/**
 * `weights[t] = exp((logits[offset + t] − max)·invT)` for the whole row (0 below e⁻⁶⁰ and for NaN); returns
 * their sum. `max` finite. Weights made by {@link kernelWeights} are written in place by the SIMD loop.
 */
export function expWeights(logits: Float32Array, offset: number, vocab: number, max: number, invT: number, weights: Float64Array): number {
  const own = ownKernels.get(weights);
  if (own === undefined) return expTerms(logits, offset, vocab, max, invT, weights);
  let sum = 0;
  const whole = expWhole(vocab);
  for (let c0 = 0; c0 < whole; c0 += CHUNK) {
    const c1 = Math.min(whole, c0 + CHUNK);
    own.floats.set(sourceViews.view(logits, offset + c0, offset + c1), 0);
    sum += own.expInto(0, c1 - c0, max, invT, OWN_WEIGHTS_AT + c0);
  }
  for (let t = whole; t < vocab; t++) {
    const d = (logits[offset + t] - max) * invT;
    const w = d > -60 ? Math.exp(d) : 0;
    weights[t] = w;
    sum += w;
  }
  return sum;
}

/**
 * The largest non-NaN logit of a row (−Infinity if none): what `for (t…) if (x > max) max = x` gives, with
 * the SIMD loop of rank-kernel.ts on whole 16-float blocks.
 */
export function rowMax(logits: Float32Array, offset: number, vocab: number): number {
  const kernel = vocab >= KERNEL_MIN_VOCAB_EXP ? RankKernel.get() : null;
  let max = Number.NEGATIVE_INFINITY;
  let done = 0;
  if (kernel !== null && logits.buffer !== kernel.floats.buffer) {
    const whole = vocab - (vocab % SCAN_BLOCK);
    for (let c0 = 0; c0 < whole; c0 += CHUNK) {
      const c1 = Math.min(whole, c0 + CHUNK);
      kernel.floats.set(sourceViews.view(logits, offset + c0, offset + c1), 0);
      const m = kernel.maxOf(0, c1 - c0);
      if (m > max) max = m;
    }
    done = whole;
  }
  for (let t = done; t < vocab; t++) if (logits[offset + t] > max) max = logits[offset + t];
  return max;
}

/**
 * What {@link expWeights} returns for the same arguments, bit for bit (same chunks, same SIMD sums), without
 * writing any weight: a distribution that needs only its normaliser and a few tokens' weights (the sampling
 * verifier on most rows) skips the 8·V bytes of stores. Null where the SIMD kernel is missing.
 */
export function expWeightsSum(logits: Float32Array, offset: number, vocab: number, max: number, invT: number): number | null {
  const kernel = vocab >= KERNEL_MIN_VOCAB_EXP ? RankKernel.get() : null;
  // A row already in the kernel's memory is summed in one piece by expTerms, not in expWeights' chunks.
  if (kernel === null || logits.buffer === kernel.floats.buffer) return null;
  return expTerms(logits, offset, vocab, max, invT, null);
}

/** The weight {@link expWeights} writes for `token`, bit for bit (valid where {@link expWeightsSum} is not null). */
export function expWeightAt(logits: Float32Array, offset: number, vocab: number, token: number, max: number, invT: number): number {
  const x = logits[offset + token];
  if (token >= expWhole(vocab)) {
    const d = (x - max) * invT;
    return d > -60 ? Math.exp(d) : 0;
  }
  // The SIMD loop's own arithmetic on a block of copies of x: its first term is x's weight.
  const kernel = RankKernel.get() as RankKernel;
  kernel.floats.fill(x, 0, EXP_BLOCK);
  kernel.expInto(0, EXP_BLOCK, max, invT, EXP_AT_SCRATCH);
  return kernel.doubles[EXP_AT_SCRATCH];
}
/** Doubles index of {@link expWeightAt}'s terms: from byte 32, past its eight floats. */
const EXP_AT_SCRATCH = 4;

/** The tokens of a row the SIMD exp covers (a multiple of its block); Math.exp takes the rest. */
const expWhole = (vocab: number) => vocab - (vocab % EXP_BLOCK);

/** Where {@link kernelWeights} puts the weights in its kernel's memory (doubles), past one chunk of floats. */
const OWN_WEIGHTS_AT = 4096;
const ownKernels = new WeakMap<Float64Array, RankKernel>();

/**
 * A zeroed Float64Array of `length` living in a WebAssembly memory of its own, so that {@link expWeights}
 * writes the terms straight into it (no copy); a plain Float64Array where SIMD WebAssembly is missing.
 */
export function kernelWeights(length: number): Float64Array {
  const kernel = length >= KERNEL_MIN_VOCAB_EXP ? RankKernel.create(OWN_WEIGHTS_AT * 8 + Math.ceil(length / 2) * 16) : null;
  if (kernel === null) return new Float64Array(length);
  const weights = kernel.doubles.subarray(OWN_WEIGHTS_AT, OWN_WEIGHTS_AT + length);
  ownKernels.set(weights, kernel);
  return weights;
}

/** Floats per copied chunk: 32 KB, so that the copy is still in L1/L2 when the SIMD loop reads it. */
const CHUNK = 8192;

/**
 * Subarray views by range, kept while their array stays the same, so that copying chunk after chunk
 * allocates nothing in steady state (a backend hands over the same logits buffer step after step).
 */
class ViewCache<A extends Float32Array | Float64Array> {
  private array: A | null = null;
  private readonly views = new Map<number, A>();

  view(array: A, from: number, to: number): A {
    if (to - from >= 1 << 21) return array.subarray(from, to) as A; // beyond the key's range (never for a chunk)
    if (array !== this.array) {
      this.array = array;
      this.views.clear();
    }
    const key = from * (1 << 21) + (to - from);
    let v = this.views.get(key);
    if (v === undefined) {
      // Bounded: a decode step touches at most rows × chunks ranges; start over if something else churns it.
      if (this.views.size > 1 << 16) this.views.clear();
      v = array.subarray(from, to) as A;
      this.views.set(key, v);
    }
    return v;
  }
}
const sourceViews = new ViewCache<Float32Array>();
const termViews = new ViewCache<Float64Array>();

/** Σ exp((x − max)·invT) over a row (terms below e⁻⁶⁰ and NaN dropped), each term also into `weights` if given. */
function expTerms(logits: Float32Array, offset: number, vocab: number, max: number, invT: number, weights: Float64Array | null): number {
  const kernel = vocab >= KERNEL_MIN_VOCAB_EXP ? RankKernel.get() : null;
  let sum = 0;
  let done = 0;
  if (kernel !== null) {
    const inPlace = inKernel(kernel, logits, offset);
    const chunk = inPlace >= 0 ? vocab : CHUNK;
    // Chunk floats at [at, at + chunk), their f64 terms at doubles [dst, dst + chunk), both 16-byte aligned.
    const at = Math.max(inPlace, 0);
    const dst = Math.ceil((at + chunk) / 4) * 2;
    if (weights !== null || inPlace < 0) kernel.reserve(Math.max((at + chunk) * 4, weights !== null ? (dst + chunk) * 8 : 0));
    const whole = expWhole(vocab);
    for (let c0 = 0; c0 < whole; c0 += chunk) {
      const c1 = Math.min(whole, c0 + chunk);
      if (inPlace < 0) kernel.floats.set(sourceViews.view(logits, offset + c0, offset + c1), 0);
      if (weights === null) sum += kernel.sumExp(at, at + c1 - c0, max, invT);
      else {
        sum += kernel.expInto(at, at + c1 - c0, max, invT, dst);
        weights.set(termViews.view(kernel.doubles, dst, dst + c1 - c0), c0);
      }
    }
    done = whole;
  }
  for (let t = done; t < vocab; t++) {
    const d = (logits[offset + t] - max) * invT;
    const w = d > -60 ? Math.exp(d) : 0;
    if (weights !== null) weights[t] = w;
    sum += w;
  }
  return sum;
}

/** Index of `logits[offset]` in the kernel's floats when `logits` is a view of its memory (16-byte aligned), else −1. */
function inKernel(kernel: RankKernel, logits: Float32Array, offset: number): number {
  if (logits.buffer !== kernel.floats.buffer) return -1;
  const at = logits.byteOffset / 4 + offset;
  return (at & 3) === 0 ? at : -1;
}

/** `a` ranks before `b` among values (ids aside): greater, and any number before NaN. */
function before(a: number, b: number): boolean {
  return a > b || (Number.isNaN(b) && !Number.isNaN(a));
}

/**
 * Scalar selection over tokens `[from, to)` of a row whose token t is `x[at + t]`, into `ids/vals[base…]`
 * which already hold `filled` candidates in rank order.
 */
function selectTopKScalar(
  x: Float32Array,
  at: number,
  from: number,
  to: number,
  k: number,
  ids: Int32Array,
  vals: Float32Array,
  base: number,
  filled: number,
): void {
  let kth = filled === k ? vals[base + k - 1] : Number.NaN;
  for (let t = from; t < to; t++) {
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

/**
 * As {@link selectTopKScalar} on data in the kernel's memory (token t at `kernel.floats[at + t]`, `at + from`
 * a multiple of 4): scalar until k are filled, then the SIMD skip over whole 16-float blocks.
 */
function selectTopKKernel(
  kernel: RankKernel,
  at: number,
  from: number,
  to: number,
  k: number,
  ids: Int32Array,
  vals: Float32Array,
  base: number,
  filled: number,
): void {
  const x = kernel.floats;
  let t = from;
  if (filled < k) {
    t = Math.min(to, from + Math.ceil(k / SCAN_BLOCK) * SCAN_BLOCK);
    selectTopKScalar(x, at, from, t, k, ids, vals, base, filled);
  }
  const blockEnd = t + Math.floor((to - t) / SCAN_BLOCK) * SCAN_BLOCK;
  while (t < blockEnd) {
    const kth = vals[base + k - 1];
    if (Number.isNaN(kth)) {
      // A NaN k-th value (fewer than k numbers so far): every number beats it, no block can be skipped.
      selectTopKScalar(x, at, t, blockEnd, k, ids, vals, base, k);
      t = blockEnd;
      break;
    }
    t = kernel.scanAbove(at + t, at + blockEnd, kth) - at;
    if (t >= blockEnd) break;
    selectTopKScalar(x, at, t, t + SCAN_BLOCK, k, ids, vals, base, k);
    t += SCAN_BLOCK;
  }
  selectTopKScalar(x, at, blockEnd, to, k, ids, vals, base, k);
}
