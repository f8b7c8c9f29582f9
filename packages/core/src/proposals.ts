/**
 * The distributions a sampling drafter drew its draft tokens from (a draft model's own q), one dense
 * probability row per draft node. Speculative sampling needs them: a node drawn from q is accepted with
 * min(1, p(x)/q(x)) and a rejection leaves the residual max(0, p − q), where p is the target's distribution
 * (rows of nodes without a proposal are point masses: deterministic drafts, as every other method makes).
 *
 * Row c is the distribution node c's token was drawn from, conditioned on everything drawn before it (its
 * earlier siblings included, when siblings are drawn without replacement): that is exactly what the
 * multi-candidate rule needs, whatever the drafting scheme. Storage is preallocated: capacity × vocab.
 */
export class ProposalDistributions {
  readonly capacity: number;
  readonly vocabSize: number;
  /** Row-major `[node * vocabSize + token]`, each marked row sums to 1. */
  readonly probs: Float64Array;
  /** 1 when node c has a proposal row (0 = deterministic: a point mass on its token). */
  readonly marked: Uint8Array;

  constructor(capacity: number, vocabSize: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be an integer >= 1, got ${capacity}`);
    if (!Number.isInteger(vocabSize) || vocabSize < 1) throw new RangeError(`vocabSize must be an integer >= 1, got ${vocabSize}`);
    this.capacity = capacity;
    this.vocabSize = vocabSize;
    this.probs = new Float64Array(capacity * vocabSize);
    this.marked = new Uint8Array(capacity);
  }

  /** Unmarks every row (call when a new draft starts). */
  clear(): void {
    this.marked.fill(0);
  }

  /** Offset of node `c`'s row in `probs`. */
  offset(c: number): number {
    return c * this.vocabSize;
  }

  /** q(token) for node `c` (1 or 0 for an unmarked node, a point mass on `ownToken`). */
  probability(c: number, token: number, ownToken: number): number {
    if (this.marked[c] !== 1) return token === ownToken ? 1 : 0;
    return this.probs[c * this.vocabSize + token];
  }
}
