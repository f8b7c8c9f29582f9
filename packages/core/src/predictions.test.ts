import { describe, expect, it } from 'vitest';
import { Predictions, rankLogitsRow } from './predictions.ts';

function reference(logits: number[], k: number): number[] {
  return logits
    .map((v, id) => ({ v, id }))
    .sort((x, y) => y.v - x.v || x.id - y.id)
    .slice(0, k)
    .map((e) => e.id);
}

describe('rankLogitsRow', () => {
  it('orders by logit, ties by lower token id', () => {
    const logits = new Float32Array([1, 3, 3, 0, 3, -1, 2]);
    const out = new Predictions(2, 4);
    rankLogitsRow(logits, 0, 7, out, 1, true);
    expect(Array.from(out.topIds.subarray(4, 8))).toEqual([1, 2, 4, 6]);
    expect(out.argmax[1]).toBe(1);
    const lse = Math.log(Array.from(logits).reduce((s, v) => s + Math.exp(v), 0));
    expect(out.logSumExp[1]).toBeCloseTo(lse, 6);
  });

  it('matches a sort-based reference on random rows, including heavy ties', () => {
    let seed = 12345;
    const rnd = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    for (let trial = 0; trial < 200; trial++) {
      const vocab = 5 + Math.floor(rnd() * 60);
      const k = 1 + Math.floor(rnd() * 10);
      const row = Array.from({ length: vocab }, () => Math.floor(rnd() * 6) - 3);
      const out = new Predictions(1, k);
      rankLogitsRow(new Float32Array(row), 0, vocab, out, 0, false);
      const want = reference(row, k);
      expect(Array.from(out.topIds.subarray(0, want.length))).toEqual(want);
    }
  });

  it('pads rows when the vocabulary is smaller than k', () => {
    const out = new Predictions(1, 5);
    rankLogitsRow(new Float32Array([0.5, 2]), 0, 2, out, 0, false);
    expect(Array.from(out.topIds)).toEqual([1, 0, 1, 1, 1]);
  });
});
