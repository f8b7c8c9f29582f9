import type { Predictions } from '@trbench/core';

/**
 * Probabilities of the top-k candidates of one prediction row, written to `out[base…base+k)`.
 *
 * With the row's log-sum-exp (`predictions.hasLogSumExp`) they are the verify distribution's own
 * probabilities, exp(logit − lse). The decode loop does not ask engines for it (a log-sum-exp over V costs a
 * pass over every row), so otherwise they are the softmax over the kept top-k alone: an upper bound of the
 * true probability (the mass outside the top-k is left out), which the online calibration corrects.
 * Ranks past the row's width (a vocabulary smaller than k) get probability 0. No allocation.
 */
export function rowProbabilities(predictions: Predictions, row: number, k: number, out: Float32Array, base: number): void {
  const stride = predictions.k;
  const logits = predictions.topLogits;
  const at = row * stride;
  const width = Math.min(k, stride);
  const top = logits[at];
  if (predictions.hasLogSumExp) {
    const lse = predictions.logSumExp[row];
    for (let r = 0; r < width; r++) out[base + r] = Math.exp(logits[at + r] - lse);
  } else {
    let sum = 0;
    for (let r = 0; r < width; r++) {
      const e = Math.exp(logits[at + r] - top);
      out[base + r] = e;
      sum += e;
    }
    const inv = sum > 0 ? 1 / sum : 0;
    for (let r = 0; r < width; r++) out[base + r] *= inv;
  }
  for (let r = width; r < k; r++) out[base + r] = 0;
  // A rank that only pads a tiny vocabulary (logit −Infinity) is no candidate.
  for (let r = 0; r < width; r++) if (!(out[base + r] > 0)) out[base + r] = 0;
}
