import { describe, expect, it } from 'vitest';
import { Predictions, rankLogitsRow } from './predictions.ts';
import { ProcessedDistribution } from './sampling.ts';
import { SparseLogitsRow } from './sparse-row.ts';

describe('SparseLogitsRow', () => {
  it('holds exactly the written candidates and clears the previous ones', () => {
    const sparse = new SparseLogitsRow(10, 3);
    const a = sparse.write(new Int32Array([4, 1, 7]), new Float32Array([3, 2, 1]), 0, 3);
    expect(Array.from(a)).toEqual([-Infinity, 2, -Infinity, -Infinity, 3, -Infinity, -Infinity, 1, -Infinity, -Infinity]);
    const b = sparse.write(new Int32Array([0, 9, 5, 6]), new Float32Array([0, 5, 6, 7]), 1, 2);
    expect(Array.from(b)).toEqual([-Infinity, -Infinity, -Infinity, -Infinity, -Infinity, 6, -Infinity, -Infinity, -Infinity, 5]);
    expect(() => sparse.write(new Int32Array(4), new Float32Array(4), 0, 4)).toThrow(/exceed/);
  });

  it('top-k sampling over a row of its top candidates equals sampling over the full row', () => {
    const V = 300;
    let s = 7;
    const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const logits = Float32Array.from({ length: V }, () => Math.round(rnd() * 40) / 4); // many ties
    const keep = 12;
    const preds = new Predictions(1, keep);
    rankLogitsRow(logits, 0, V, preds, 0, false);
    const row = new SparseLogitsRow(V, keep).write(preds.topIds, preds.topLogits, 0, keep);
    for (const options of [
      { temperature: 0.7, topK: 12, topP: 1, seed: 0 },
      { temperature: 1.3, topK: 5, topP: 0.8, seed: 0 },
    ]) {
      const full = new ProcessedDistribution(V);
      const sparse = new ProcessedDistribution(V);
      full.build(logits, 0, options);
      sparse.build(row, 0, options);
      expect(sparse.size).toBe(full.size);
      expect(Array.from(sparse.ids.subarray(0, sparse.size))).toEqual(Array.from(full.ids.subarray(0, full.size)));
      expect(Array.from(sparse.weights.subarray(0, sparse.size))).toEqual(Array.from(full.weights.subarray(0, full.size)));
    }
    // Negative control: without a top-k the distribution needs the whole row.
    const full = new ProcessedDistribution(V);
    const sparse = new ProcessedDistribution(V);
    full.build(logits, 0, { temperature: 1, topK: 0, topP: 1, seed: 0 });
    sparse.build(row, 0, { temperature: 1, topK: 0, topP: 1, seed: 0 });
    expect(sparse.probability(preds.topIds[0])).not.toBe(full.probability(preds.topIds[0]));
  });
});
