import { describe, expect, it } from 'vitest';
import { AutoregressiveDrafter } from './autoregressive.ts';
import { CommitTrace, NO_RUNNER_UP } from './commit-trace.ts';
import { DecodeLoop } from './decode.ts';
import { Predictions } from './predictions.ts';
import { BigramModel } from './testing/bigram-model.ts';

describe('CommitTrace', () => {
  it('keeps the top-2 of the row that predicted each committed token', () => {
    const p = new Predictions(3, 3);
    p.topIds.set([5, 6, 7, 8, 9, 10, 11, 12, 13]);
    p.topLogits.set([3, 2, 1, 6, 5, 4, 9, 8, 7]);
    const trace = new CommitTrace();
    trace.begin(4);
    trace.record(p, 2);
    trace.record(p, 0);
    const s = trace.snapshot();
    expect(Array.from(s.ids)).toEqual([11, 12, 5, 6]);
    expect(Array.from(s.logits)).toEqual([9, 8, 3, 2]);
  });

  it('marks the runner-up as unknown for a top-1 model', () => {
    const p = new Predictions(1, 1);
    p.topIds[0] = 4;
    p.topLogits[0] = 1.5;
    const trace = new CommitTrace();
    trace.begin(1);
    trace.record(p, 0);
    const s = trace.snapshot();
    expect(s.ids[1]).toBe(NO_RUNNER_UP);
    expect(Number.isNaN(s.logits[1])).toBe(true);
  });

  it('is filled by the decode loop: one position per committed token, its argmax first', () => {
    const next = (t: number) => (t * 7 + 3) % 50;
    const model = new BigramModel({ vocabSize: 50, next, topK: 2 });
    const result = new DecodeLoop(model, new AutoregressiveDrafter()).generate(Int32Array.of(1, 2), { maxNewTokens: 6 });
    expect(result.trace.ids.length).toBe(2 * result.tokens.length);
    for (let i = 0; i < result.tokens.length; i++) {
      expect(result.trace.ids[2 * i]).toBe(result.tokens[i]);
      expect(result.trace.ids[2 * i + 1]).toBe((result.tokens[i] + 1) % 50);
      expect(result.trace.logits[2 * i] === 0).toBe(true);
      expect(result.trace.logits[2 * i + 1]).toBe(-1);
    }
  });
});
