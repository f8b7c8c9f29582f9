import { AutoregressiveDrafter, DecodeLoop, Draft, TokenHistory } from '@trbench/core';
import { BigramModel } from '@trbench/core/testing';
import { describe, expect, it } from 'vitest';
import { SamOnlyDrafter } from './sam-only.ts';
import { StaticCorpus } from './static-corpus.ts';

function begin(d: SamOnlyDrafter, prompt: number[]): TokenHistory {
  const h = new TokenHistory();
  h.begin(prompt, 16);
  d.beginRequest(h, null, null, { maxNewTokens: 16, contextSize: 512 });
  return h;
}

describe('SAM-only drafter', () => {
  it('dynamic chain of min(60, 1 + floor(4 l)) nodes from the first occurrence, no padding', () => {
    const d = new SamOnlyDrafter({ corpus: StaticCorpus.empty() });
    // "1 2 3" then "1 2": root 3 matches "1 2 3" (l = 3): n = 13, but only 6 tokens follow it.
    const h = begin(d, [1, 2, 3, 9, 8, 7, 6, 1, 2, 3]);
    const draft = new Draft(60);
    draft.reset(3);
    d.propose(h, draft);
    expect(d.lastDraftSource).toBe('sam-dynamic');
    expect(Array.from(draft.tokens.subarray(0, draft.count))).toEqual([3, 9, 8, 7, 6, 1, 2]);
    // No match: the root alone (a plain step).
    draft.reset(42);
    d.propose(h, draft);
    expect(draft.count).toBe(1);
    expect(d.lastDraftSource).toBe('none');
  });

  it('static tree: best-first by |endpos| ratios, at most K nodes per depth, at most n nodes', () => {
    // Corpus: after "5 6" come 7 (x3), 8 (x2), 9 (x1).
    const docs = [
      [5, 6, 7, 1],
      [5, 6, 7, 2],
      [5, 6, 7, 1],
      [5, 6, 8, 3],
      [5, 6, 8, 3],
      [5, 6, 9, 4],
    ];
    const corpus = new StaticCorpus(docs, { vocabSize: 16, eos: 0, name: 'test' });
    const d = new SamOnlyDrafter({ corpus, K: 2, maxPredicts: 5 });
    const h = begin(d, [11, 5]); // root 6 after "5": static match "5 6" (l = 2), dynamic none
    const draft = new Draft(60);
    draft.reset(6);
    d.propose(h, draft);
    expect(d.lastDraftSource).toBe('sam-static');
    // n = min(5, 9) = 5; depth 1 keeps the 2 most frequent (7: 1/2, 8: 1/3), then 7→1 (1/3) and 8→3 (1/3).
    expect(Array.from(draft.tokens.subarray(0, draft.count))).toEqual([6, 7, 8, 1, 3]);
    expect(Array.from(draft.parent.subarray(0, draft.count))).toEqual([-1, 0, 0, 1, 2]);
  });

  it('lossless with a mock model, and the counters add up', () => {
    const next = (t: number) => (t * 7 + 3) % 31;
    const model = new BigramModel({ vocabSize: 31, next, maxDraftNodes: 60 });
    const docs = [[1, 10, next(10), next(next(10)), next(next(next(10)))]];
    const d = new SamOnlyDrafter({ corpus: new StaticCorpus(docs, { vocabSize: 31, eos: 0, name: 't' }) });
    const loop = new DecodeLoop(model, d);
    const plain = new DecodeLoop(model, new AutoregressiveDrafter());
    let steps = 0;
    for (const s of [4, 10, 20]) {
      const prompt = Int32Array.from([1, s, next(s)]);
      const r = loop.generate(prompt, { maxNewTokens: 80 });
      expect(Array.from(r.tokens)).toEqual(Array.from(plain.generate(prompt, { maxNewTokens: 80 }).tokens));
      steps += r.steps;
    }
    const sum = Object.values(d.total.summary()).reduce((a, x) => a + x.steps, 0);
    expect(sum).toBe(steps);
    expect(d.total.summary()['sam-dynamic'].mat).toBeGreaterThan(2);
  });
});
