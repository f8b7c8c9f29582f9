/**
 * Spec-Bench's metrics (evaluation/speed.py), computed from our records: per-question tok/s over all
 * turns, macro means over questions, MAT pooled over steps, speedup as a ratio of macro means.
 */

/** Spec-Bench's per-question speed: Σ new tokens / Σ wall seconds over the question's turns. */
export function questionTokensPerSecond(q: { newTokens: number; wallMs: number }): number {
  return q.wallMs > 0 ? (q.newTokens * 1000) / q.wallMs : Number.NaN;
}

/** Unweighted mean (Spec-Bench's subtask tok/s is the mean over questions, not Σ tokens / Σ time); NaN when empty. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** Sample standard deviation (ddof = 1, as Spec-Bench's std over runs); NaN below two values. */
export function sampleStd(values: readonly number[]): number {
  if (values.length < 2) return Number.NaN;
  const m = mean(values);
  let s = 0;
  for (const v of values) s += (v - m) ** 2;
  return Math.sqrt(s / (values.length - 1));
}

/** MAT pooled over every step of every question: Σ committed tokens / Σ steps (step-weighted, bonus included). */
export function pooledMat(items: readonly { newTokens: number; steps: number }[]): number {
  let tokens = 0;
  let steps = 0;
  for (const it of items) {
    tokens += it.newTokens;
    steps += it.steps;
  }
  return steps > 0 ? tokens / steps : Number.NaN;
}

/** Σ tokens / Σ seconds, the aggregate throughput Spec-Bench does not report (logged next to the macro mean). */
export function pooledTokensPerSecond(items: readonly { newTokens: number; wallMs: number }[]): number {
  let tokens = 0;
  let ms = 0;
  for (const it of items) {
    tokens += it.newTokens;
    ms += it.wallMs;
  }
  return ms > 0 ? (tokens * 1000) / ms : Number.NaN;
}

/**
 * Speedup of one run: macro tok/s of the method over macro tok/s of AR, both over the questions that both
 * finished (so a question skipped on one side cannot tilt the ratio). NaN when none is shared.
 */
export function runSpeedup(
  method: ReadonlyMap<string, { newTokens: number; wallMs: number }>,
  baseline: ReadonlyMap<string, { newTokens: number; wallMs: number }>,
): number {
  const shared = [...method.keys()].filter((id) => baseline.has(id));
  if (shared.length === 0) return Number.NaN;
  const m = mean(shared.map((id) => questionTokensPerSecond(method.get(id)!)));
  const b = mean(shared.map((id) => questionTokensPerSecond(baseline.get(id)!)));
  return m / b;
}
