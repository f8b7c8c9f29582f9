import type { Draft, Predictions, TargetModel } from '@trbench/core';

/**
 * Test helper base: forwards every required `TargetModel` member to a wrapped model, so a wrapper
 * (recording, skewed logits) writes only what it changes. Optional members (`nodeLogits`, `truncate`)
 * are left to subclasses, so a wrapper exposes exactly the capabilities it means to.
 */
export class ForwardingModel implements TargetModel {
  readonly inner: TargetModel;

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
  }
  commit(pathNodes: Int32Array, pathLength: number): void {
    this.inner.commit(pathNodes, pathLength);
  }
  dispose(): void {
    this.inner.dispose();
  }
}
