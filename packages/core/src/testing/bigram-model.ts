import type { Draft } from '../draft.ts';
import type { BackendInfo, ModelInfo, TargetModel } from '../model.ts';
import type { Predictions } from '../predictions.ts';

/**
 * A deterministic stand-in model for unit tests of drafting and loop logic: the prediction after a
 * token depends on that token alone (`next(t)`), top-k continues with `next(t)+1, +2, ...` (mod V).
 * It records every evaluated draft. It is never evidence that a method works on a real model.
 */
export class BigramModel implements TargetModel {
  readonly info: ModelInfo;
  readonly backend: BackendInfo = { name: 'bigram-mock', version: '0', device: 'cpu', threads: 1 };
  readonly topK: number;
  readonly maxDraftNodes: number;
  readonly evaluatedSizes: number[] = [];
  committedLength = 0;
  private readonly next: (t: number) => number;
  private rowTokens = new Int32Array(0);
  private readonly logits: Float32Array;
  private readonly stops: Set<number>;

  constructor(options: {
    vocabSize: number;
    next: (t: number) => number;
    topK?: number;
    maxDraftNodes?: number;
    contextSize?: number;
    stopTokens?: number[];
  }) {
    this.info = {
      name: 'bigram',
      path: '-',
      sha256: '0'.repeat(64),
      vocabSize: options.vocabSize,
      contextSize: options.contextSize ?? 4096,
      stopTokens: [...new Set(options.stopTokens ?? [])].sort((a, b) => a - b),
    };
    this.next = options.next;
    this.topK = options.topK ?? 8;
    this.maxDraftNodes = options.maxDraftNodes ?? 256;
    this.stops = new Set(options.stopTokens ?? []);
    this.logits = new Float32Array(options.vocabSize);
  }

  /** Logits that rank `next(t)` first, then `next(t)+1`, ... (log-probabilities of a geometric law). */
  nodeLogits(row: number): Float32Array {
    const V = this.info.vocabSize;
    const first = this.next(this.rowTokens[row]);
    for (let r = 0; r < V; r++) this.logits[(first + r) % V] = -r;
    return this.logits;
  }

  isEndOfGeneration(token: number): boolean {
    return this.stops.has(token);
  }
  tokenize(text: string): Int32Array {
    return Int32Array.from(text.split(/\s+/).filter(Boolean).map(Number));
  }
  detokenize(tokens: ArrayLike<number>): string {
    return Array.from(tokens).join(' ');
  }
  reset(): void {
    this.committedLength = 0;
  }
  truncate(length: number): void {
    if (length < 0 || length > this.committedLength) throw new RangeError(`truncate to ${length} of ${this.committedLength}`);
    this.committedLength = length;
  }
  private fill(row: number, token: number, out: Predictions): void {
    const V = this.info.vocabSize;
    const first = this.next(token);
    out.argmax[row] = first;
    for (let r = 0; r < out.k; r++) {
      out.topIds[row * out.k + r] = (first + r) % V;
      out.topLogits[row * out.k + r] = -r;
    }
  }
  prefill(tokens: ArrayLike<number>, out?: Predictions | null): void {
    if (out) {
      for (let i = 0; i < tokens.length; i++) this.fill(i, tokens[i], out);
      out.count = tokens.length;
    }
    this.committedLength += tokens.length;
  }
  evaluate(draft: Draft, out: Predictions): void {
    this.evaluatedSizes.push(draft.count);
    this.rowTokens = draft.tokens.slice(0, draft.count);
    for (let i = 0; i < draft.count; i++) this.fill(i, draft.tokens[i], out);
    out.count = draft.count;
  }
  commit(_path: Int32Array, length: number): void {
    this.committedLength += length;
  }
  dispose(): void {}
}
