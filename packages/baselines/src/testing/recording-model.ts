import type { Draft, Predictions, TargetModel } from '@trbench/core';

/** One evaluated draft as the model saw it, with the argmax after every node. */
export interface RecordedStep {
  tokens: number[];
  parents: number[];
  verifiable: boolean[];
  argmax: number[];
}

/**
 * Test helper: forwards everything to a real (or mock) model and records every evaluated draft and its
 * predictions, so tests can check what went into each forward and that there is exactly one per step.
 */
export class RecordingModel implements TargetModel {
  readonly inner: TargetModel;
  readonly steps: RecordedStep[] = [];
  recording = true;

  constructor(inner: TargetModel) {
    this.inner = inner;
  }

  get info() {
    return this.inner.info;
  }
  get backend() {
    return this.inner.backend;
  }
  get topK() {
    return this.inner.topK;
  }
  get maxDraftNodes() {
    return this.inner.maxDraftNodes;
  }
  get committedLength() {
    return this.inner.committedLength;
  }
  isEndOfGeneration(token: number): boolean {
    return this.inner.isEndOfGeneration(token);
  }
  tokenize(text: string, addBos: boolean): Int32Array {
    return this.inner.tokenize(text, addBos);
  }
  detokenize(tokens: ArrayLike<number>): string {
    return this.inner.detokenize(tokens);
  }
  reset(): void {
    this.inner.reset();
  }
  prefill(tokens: ArrayLike<number>, out?: Predictions | null): void {
    this.inner.prefill(tokens, out);
  }
  evaluate(draft: Draft, out: Predictions, withLogSumExp?: boolean): void {
    this.inner.evaluate(draft, out, withLogSumExp);
    if (!this.recording) return;
    const n = draft.count;
    this.steps.push({
      tokens: Array.from(draft.tokens.subarray(0, n)),
      parents: Array.from(draft.parent.subarray(0, n)),
      verifiable: Array.from(draft.verifiable.subarray(0, n), (v) => v === 1),
      argmax: Array.from(out.argmax.subarray(0, n)),
    });
  }
  commit(pathNodes: Int32Array, pathLength: number): void {
    this.inner.commit(pathNodes, pathLength);
  }
  dispose(): void {
    this.inner.dispose();
  }
}
