import type { Draft, Predictions, TargetModel } from '@trbench/core';

/**
 * Test helper: a real model whose node logits are multiplied by `scale` (a flatter or sharper
 * distribution), to serve as a draft model whose q differs from the target's p while sharing its
 * tokenizer. Greedy predictions are the inner model's (scaling keeps the argmax).
 */
export class SkewedModel implements TargetModel {
  readonly inner: TargetModel;
  private readonly scale: number;
  private readonly row: Float32Array;

  constructor(inner: TargetModel, scale: number) {
    this.inner = inner;
    this.scale = scale;
    this.row = new Float32Array(inner.info.vocabSize);
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
  truncate(length: number): void {
    this.inner.truncate?.(length);
  }
  nodeLogits(row: number): Float32Array {
    const src = (this.inner.nodeLogits as (row: number) => Float32Array).call(this.inner, row);
    for (let i = 0; i < src.length; i++) this.row[i] = src[i] * this.scale;
    return this.row;
  }
  dispose(): void {
    this.inner.dispose();
  }
}
