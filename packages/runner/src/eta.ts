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

/**
 * A duration as `45s`, `3m05s` or `1h02m`. The value is rounded to whole seconds (minutes above an
 * hour) before it is split, so 59.6 s reads `1m00s`, never `60s` or `1m60s`.
 */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '…';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.round(seconds / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
