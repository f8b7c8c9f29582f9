import { Predictions, rankLogitsRow } from '@trbench/core';
import { Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ElemType, GraphBuilder } from './graph-builder.ts';
import { addPredictionHead, IO } from './llama-graph.ts';
import { SyncSession } from './ort-session.ts';

/** A session that runs only the prediction head of the decoder graph on given logits. */
function headSession(vocab: number, k: number): SyncSession {
  const g = new GraphBuilder();
  const logits = g.input('x', ElemType.FLOAT, ['n', vocab]);
  addPredictionHead(g, g.node('Identity', [logits]), vocab, k);
  return SyncSession.create(g.build('head'), 'cpu', 1);
}

describe('prediction head (in-graph TopK and log-sum-exp)', () => {
  it('orders candidates like rankLogitsRow, ties by ascending id, for every k', () => {
    const V = 512;
    const rows = 16;
    let s = 7;
    const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const logits = new Float32Array(rows * V);
    for (let r = 0; r < rows; r++) {
      // Few distinct levels: many exact ties, including across the k-th boundary.
      const levels = 2 + (r % 6);
      for (let t = 0; t < V; t++) logits[r * V + t] = Math.floor(rnd() * levels) - (r % 3 === 0 ? 0 : rnd() * 1e-3 * (t % 2));
    }
    for (const k of [1, 8, 64, 300, 512]) {
      const session = headSession(V, k);
      const out = session.run(
        { x: new Tensor('float32', logits, [rows, V]) },
        { [IO.topIds]: null, [IO.topLogits]: null, [IO.logSumExp]: null },
      );
      const ids = out[IO.topIds].data as Int32Array;
      const vals = out[IO.topLogits].data as Float32Array;
      const lse = out[IO.logSumExp].data as Float32Array;
      const ref = new Predictions(rows, k);
      for (let r = 0; r < rows; r++) rankLogitsRow(logits, r * V, V, ref, r, true);
      expect(Array.from(ids)).toEqual(Array.from(ref.topIds));
      expect(Array.from(vals)).toEqual(Array.from(ref.topLogits));
      for (let r = 0; r < rows; r++) expect(Math.abs(lse[r] - ref.logSumExp[r])).toBeLessThan(1e-5);
      session.dispose();
    }
  });
});
