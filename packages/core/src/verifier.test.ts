import { describe, expect, it } from 'vitest';
import { Draft } from './draft.ts';
import type { TargetModel } from './model.ts';
import { Predictions } from './predictions.ts';
import { SpeculativeSamplingVerifier } from './verifier.ts';
import { Acceptance } from './verify.ts';

// The sampling verifier's full-vocabulary work (softmax of a row) is done only for the nodes it visits:
// the accepted path, whose last node gives the bonus token; never for the other nodes of the tree.
describe('SpeculativeSamplingVerifier', () => {
  it('reads the logits of the visited nodes only (the accepted path), never the rest of an 81-node tree', () => {
    const V = 32000;
    const rows = new Float32Array(81 * V);
    let s = 7;
    const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    // Peaked rows (one likely token each), so that drafts of likely tokens do get accepted.
    const likely = Int32Array.from({ length: 81 }, () => Math.floor(rnd() * V));
    for (let i = 0; i < rows.length; i++) rows[i] = rnd() * 4 - 10;
    for (let r = 0; r < 81; r++) rows[r * V + likely[r]] = 6;
    const read: number[] = [];
    const model = {
      backend: { name: 'fixed', version: '0', device: 'cpu', threads: 1 },
      nodeLogits: (row: number) => {
        read.push(row);
        return rows.subarray(row * V, (row + 1) * V);
      },
    } as unknown as TargetModel;
    const draft = new Draft(81);
    const out = new Acceptance(81);
    const verifier = new SpeculativeSamplingVerifier(V, { temperature: 1, topK: 0, topP: 1, seed: 0 });
    let longest = 0;
    for (let trial = 0; trial < 30; trial++) {
      draft.reset(1);
      // 8 chains of 10 below the root: the first of the likely tokens, the others random.
      for (let c = 0; c < 8; c++) {
        let parent = 0;
        for (let d = 0; d < 10; d++) parent = draft.add(c === 0 ? likely[parent] : Math.floor(rnd() * V), parent);
      }
      expect(draft.count).toBe(81);
      verifier.begin(trial);
      read.length = 0;
      verifier.verify(draft, new Predictions(81, 1), model, out);
      expect(read).toEqual(Array.from(out.path.subarray(0, out.length)));
      longest = Math.max(longest, out.length);
    }
    expect(longest).toBeGreaterThan(1); // the test did see accepted drafts
  });
});
