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

/**
 * Fills row `row` of `out` from one row of logits. Runs in O(V + inserts·k) with no allocation.
 * Implements the tie rule of {@link Predictions}.
 */
export function rankLogitsRow(
  logits: Float32Array,
  offset: number,
  vocab: number,
  out: Predictions,
  row: number,
  withLogSumExp: boolean,
): void {
  const k = Math.min(out.k, vocab);
  const ids = out.topIds;
  const vals = out.topLogits;
  const base = row * out.k;
  let filled = 0;
  let kthValue = -Infinity;
  for (let t = 0; t < vocab; t++) {
    const v = logits[offset + t];
    // Strictly greater: an equal logit seen later has a higher id, so it ranks after the one stored.
    if (filled === k && !(v > kthValue)) continue;
    let pos = filled === k ? k - 1 : filled;
    while (pos > 0 && v > vals[base + pos - 1]) {
      vals[base + pos] = vals[base + pos - 1];
      ids[base + pos] = ids[base + pos - 1];
      pos--;
    }
    vals[base + pos] = v;
    ids[base + pos] = t;
    if (filled < k) filled++;
    kthValue = vals[base + filled - 1];
  }
  for (let r = k; r < out.k; r++) {
    // Vocabulary smaller than k: pad with the best candidate so rows stay well-formed.
    ids[base + r] = ids[base];
    vals[base + r] = -Infinity;
  }
  out.argmax[row] = ids[base];
  if (withLogSumExp) {
    const max = vals[base];
    let sum = 0;
    for (let t = 0; t < vocab; t++) sum += Math.exp(logits[offset + t] - max);
    out.logSumExp[row] = max + Math.log(sum);
  }
}
