/** Per-step measurements of one request, in growable typed arrays (amortised: no allocation per step). */
export class StepLog {
  steps = 0;
  acceptLengths: Int32Array;
  /** Draft tokens the verifier accepted per step (bonus excluded; the final step may commit fewer, cut at the stop). */
  acceptedDrafts: Int32Array;
  draftNodes: Int32Array;
  draftMs: Float64Array;
  forwardMs: Float64Array;
  verifyMs: Float64Array;
  updateMs: Float64Array;
  otherMs: Float64Array;

  constructor(capacity = 1024) {
    this.acceptLengths = new Int32Array(capacity);
    this.acceptedDrafts = new Int32Array(capacity);
    this.draftNodes = new Int32Array(capacity);
    this.draftMs = new Float64Array(capacity);
    this.forwardMs = new Float64Array(capacity);
    this.verifyMs = new Float64Array(capacity);
    this.updateMs = new Float64Array(capacity);
    this.otherMs = new Float64Array(capacity);
  }

  clear(): void {
    this.steps = 0;
  }

  /** Ensures room for `n` steps. */
  reserve(n: number): void {
    if (n <= this.acceptLengths.length) return;
    const grow = <T extends Int32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.acceptLengths = grow(this.acceptLengths);
    this.acceptedDrafts = grow(this.acceptedDrafts);
    this.draftNodes = grow(this.draftNodes);
    this.draftMs = grow(this.draftMs);
    this.forwardMs = grow(this.forwardMs);
    this.verifyMs = grow(this.verifyMs);
    this.updateMs = grow(this.updateMs);
    this.otherMs = grow(this.otherMs);
  }
}

/** Histogram of accepted lengths: index = tokens committed in a step (bonus included). */
export function acceptHistogram(acceptLengths: ArrayLike<number>): number[] {
  const hist: number[] = [];
  for (let i = 0; i < acceptLengths.length; i++) {
    const a = acceptLengths[i];
    while (hist.length <= a) hist.push(0);
    hist[a]++;
  }
  return hist;
}

/** Sum of a numeric array. */
export function sum(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s;
}

/**
 * Mean accepted tokens per step pooled over all steps (Spec-Bench's MAT: step-weighted, bonus included,
 * AR = 1). Returns 0 for no steps.
 */
export function meanAcceptedTokens(acceptLengths: ArrayLike<number>): number {
  return acceptLengths.length === 0 ? 0 : sum(acceptLengths) / acceptLengths.length;
}
