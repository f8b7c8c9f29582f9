import type { Predictions } from './predictions.ts';

/**
 * The target's top-2 (ids and logits) at each committed position of one request, as the evaluation that
 * produced it saw them: what a divergence from plain decoding is diagnosed from (`classifyDivergence`).
 * Position i of `ids`/`logits` is `[2i]` = the argmax, `[2i + 1]` = the runner-up.
 */
export interface CommitTraceData {
  readonly ids: Int32Array;
  readonly logits: Float32Array;
}

/** No runner-up was kept (the model was opened with top-1): its id. */
export const NO_RUNNER_UP = -1;

/**
 * Records {@link CommitTraceData} for the decode loop: 16 bytes per committed token on preallocated,
 * growing typed arrays (nothing is allocated per step once the first request has sized them).
 */
export class CommitTrace {
  private ids = new Int32Array(0);
  private logits = new Float32Array(0);
  /** Positions recorded in this request. */
  length = 0;

  /** Starts a request of at most `maxTokens` committed tokens. */
  begin(maxTokens: number): void {
    this.length = 0;
    if (this.ids.length < 2 * maxTokens) {
      this.ids = new Int32Array(2 * maxTokens);
      this.logits = new Float32Array(2 * maxTokens);
    }
  }

  /** Records the prediction row `row` of `predictions` as the target's view of the next committed token. */
  record(predictions: Predictions, row: number): void {
    const i = 2 * this.length++;
    const base = row * predictions.k;
    this.ids[i] = predictions.topIds[base];
    this.logits[i] = predictions.topLogits[base];
    if (predictions.k >= 2) {
      this.ids[i + 1] = predictions.topIds[base + 1];
      this.logits[i + 1] = predictions.topLogits[base + 1];
    } else {
      this.ids[i + 1] = NO_RUNNER_UP;
      this.logits[i + 1] = Number.NaN;
    }
  }

  /** A copy of what this request recorded. */
  snapshot(): CommitTraceData {
    return { ids: this.ids.slice(0, 2 * this.length), logits: this.logits.slice(0, 2 * this.length) };
  }
}
