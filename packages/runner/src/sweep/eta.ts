/**
 * Time left in a sweep, from what it measured: each method variant's milliseconds per generated token so
 * far, times the tokens its remaining questions will generate. Every method generates the same tokens for
 * a question (they are lossless), so the tokens still to do are estimated by the mean tokens per question
 * recorded so far. Counting questions instead would weigh a 0.06× method like AR and jump when it starts.
 */
export class EtaEstimator {
  private readonly remaining = new Map<string, number>();
  private readonly ms = new Map<string, number>();
  private readonly tokens = new Map<string, number>();
  private recordedTokens = 0;
  private recordedQuestions = 0;

  /** `remaining`: questions still to record, per variant. */
  constructor(remaining: ReadonlyMap<string, number>) {
    for (const [variant, n] of remaining) this.remaining.set(variant, n);
  }

  /** A question recorded for `variant`: `tokens` generated in `ms` of decoding. */
  record(variant: string, tokens: number, ms: number): void {
    this.remaining.set(variant, Math.max(0, (this.remaining.get(variant) ?? 0) - 1));
    this.ms.set(variant, (this.ms.get(variant) ?? 0) + ms);
    this.tokens.set(variant, (this.tokens.get(variant) ?? 0) + tokens);
    this.recordedTokens += tokens;
    this.recordedQuestions++;
  }

  /** Seconds left; null until every variant with work left has generated a token. */
  seconds(): number | null {
    if (this.recordedQuestions === 0) return null;
    const perQuestion = this.recordedTokens / this.recordedQuestions;
    let ms = 0;
    for (const [variant, left] of this.remaining) {
      if (left === 0) continue;
      const tokens = this.tokens.get(variant) ?? 0;
      if (tokens === 0) return null;
      ms += left * perQuestion * ((this.ms.get(variant) ?? 0) / tokens);
    }
    return ms / 1000;
  }
}

/** Re-exported: the one duration format of progress lines and bars lives with the phase progress in assets. */
export { formatDuration } from '@trbench/assets';
