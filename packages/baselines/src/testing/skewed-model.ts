import type { TargetModel } from '@trbench/core';
import { ForwardingModel } from './forwarding-model.ts';

/**
 * Test helper: a real model whose node logits are multiplied by `scale` (a flatter or sharper
 * distribution), to serve as a draft model whose q differs from the target's p while sharing its
 * tokenizer. Greedy predictions are the inner model's (scaling keeps the argmax).
 */
export class SkewedModel extends ForwardingModel {
  private readonly scale: number;
  private readonly row: Float32Array;

  constructor(inner: TargetModel, scale: number) {
    super(inner);
    this.scale = scale;
    this.row = new Float32Array(inner.info.vocabSize);
  }

  truncate(length: number): void {
    this.inner.truncate?.(length);
  }
  nodeLogits(row: number): Float32Array {
    const src = (this.inner.nodeLogits as (row: number) => Float32Array).call(this.inner, row);
    for (let i = 0; i < src.length; i++) this.row[i] = src[i] * this.scale;
    return this.row;
  }
}
