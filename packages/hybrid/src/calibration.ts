/** The draft sources, in the order of their index (calibration rows, per-node masks). */
export const SOURCES = ['logits', 'pair', 'row', 'local-short', 'local-long', 'global-short', 'global-long'] as const;
export type SourceName = (typeof SOURCES)[number];
export const SOURCE_COUNT = SOURCES.length;
export const SRC_LOGITS = 0;
export const SRC_PAIR = 1;
export const SRC_ROW = 2;
export const SRC_LOCAL_SHORT = 3;
export const SRC_LOCAL_LONG = 4;
export const SRC_GLOBAL_SHORT = 5;
export const SRC_GLOBAL_LONG = 6;

/** Probability buckets per source: [0, 0.1), [0.1, 0.2), … [0.9, 1]. */
export const BUCKETS = 10;

/**
 * Online calibration of the sources' probability estimates. For every (source, bucket of the raw estimate)
 * it counts the draft nodes that were tried (their parent was accepted, so verification looked at them) and
 * how many were accepted; the estimate used to grow the next tree is that rate, shrunk towards the raw value
 * by a prior of `priorWeight` pseudo-observations: (accepted + w·raw) / (tried + w). Counts are halved once a
 * cell has seen `window` tries, so the estimates follow drift (the recycled rows are stale by nature).
 * Disabled, `estimate` returns the raw value.
 */
export class Calibration {
  readonly enabled: boolean;
  private readonly tried = new Float64Array(SOURCE_COUNT * BUCKETS);
  private readonly accepted = new Float64Array(SOURCE_COUNT * BUCKETS);
  private readonly priorWeight: number;
  private readonly window: number;

  constructor(enabled: boolean, priorWeight = 4, window = 2048) {
    this.enabled = enabled;
    this.priorWeight = priorWeight;
    this.window = window;
  }

  /** Bucket of a raw probability. */
  static bucket(raw: number): number {
    const b = Math.floor(raw * BUCKETS);
    return b < 0 ? 0 : b >= BUCKETS ? BUCKETS - 1 : b;
  }

  /** Calibrated probability that a node of `source` with raw estimate `raw` is accepted once its parent is. */
  estimate(source: number, raw: number): number {
    if (!this.enabled) return raw;
    const cell = source * BUCKETS + Calibration.bucket(raw);
    const w = this.priorWeight;
    return (this.accepted[cell] + w * raw) / (this.tried[cell] + w);
  }

  /** One tried node of `source` in `bucket`. */
  record(source: number, bucket: number, wasAccepted: boolean): void {
    const cell = source * BUCKETS + bucket;
    this.tried[cell] += 1;
    if (wasAccepted) this.accepted[cell] += 1;
    if (this.tried[cell] >= this.window) {
      this.tried[cell] *= 0.5;
      this.accepted[cell] *= 0.5;
    }
  }

  /** Tried and accepted counts per source and bucket (reports, tests). */
  toJSON(): Record<string, { tried: number[]; accepted: number[] }> {
    const out: Record<string, { tried: number[]; accepted: number[] }> = {};
    SOURCES.forEach((name, s) => {
      out[name] = {
        tried: Array.from(this.tried.subarray(s * BUCKETS, (s + 1) * BUCKETS)),
        accepted: Array.from(this.accepted.subarray(s * BUCKETS, (s + 1) * BUCKETS)),
      };
    });
    return out;
  }
}
