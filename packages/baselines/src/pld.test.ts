import { DecodeLoop, Draft, TokenHistory } from '@trbench/core';
import { BigramModel } from '@trbench/core/testing';
import { describe, expect, it } from 'vitest';
import { findPromptLookup, PLD_PRESETS, PldDrafter } from './pld.ts';

const original = PLD_PRESETS.original;

function historyOf(tokens: number[]): TokenHistory {
  const h = new TokenHistory();
  h.begin(Int32Array.from(tokens), 16);
  return h;
}

function chain(draft: Draft): number[] {
  const out: number[] = [];
  for (let i = 1; i < draft.count; i++) {
    expect(draft.parent[i]).toBe(i - 1);
    out.push(draft.tokens[i]);
  }
  return out;
}

describe('findPromptLookup', () => {
  // 20 distinct filler tokens so that continuations are easy to read.
  const filler = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

  it('takes the earliest occurrence of the trigram with a full 10-token continuation', () => {
    const seq = [7, 8, 9, ...filler(100, 12), 7, 8, 9, ...filler(200, 12), 7, 8, 9];
    const start = findPromptLookup(Int32Array.from(seq), seq.length, original);
    expect(start).toBe(3);
  });

  it('skips occurrences whose continuation is shorter than numPredTokens (original) but not in the HF variant', () => {
    // The only earlier "5 6" is followed by 4 tokens, then the query itself.
    const seq = [...filler(100, 12), 5, 6, 40, 41, 42, 43, 5, 6];
    const len = seq.length;
    expect(findPromptLookup(Int32Array.from(seq), len, { ...original, maxNgram: 2, minNgram: 2 })).toBe(-1);
    const hf = findPromptLookup(Int32Array.from(seq), len, { ...PLD_PRESETS.hf, minNgram: 2 });
    expect(hf).toBe(14);
  });

  it('falls back from n=3 to n=2 to n=1, in that order', () => {
    const tail = [50, 51, 52];
    // "51 52" and "52" both occur earlier; "50 51 52" does not. The bigram occurrence is later than the
    // unigram one, and must still win because n=2 is tried first.
    const seq = [52, ...filler(100, 11), 51, 52, ...filler(200, 11), ...tail];
    const start = findPromptLookup(Int32Array.from(seq), seq.length, original);
    expect(start).toBe(14);
    // Remove the bigram occurrence: the unigram at index 0 is used.
    const seq2 = [52, ...filler(100, 11), 99, 98, ...filler(200, 11), ...tail];
    expect(findPromptLookup(Int32Array.from(seq2), seq2.length, original)).toBe(1);
  });

  it('never matches the query itself', () => {
    const seq = [...filler(100, 30), 1, 2, 3];
    expect(findPromptLookup(Int32Array.from(seq), seq.length, original)).toBe(-1);
    expect(findPromptLookup(Int32Array.from(seq), seq.length, PLD_PRESETS.hf)).toBe(-1);
  });

  it('HF allows a continuation that overlaps the query; the original forbids it', () => {
    // 4 4 4 4: the bigram "4 4" occurs at 0 and 1 (overlapping the query at 2).
    const seq = [4, 4, 4, 4];
    expect(findPromptLookup(Int32Array.from(seq), 4, PLD_PRESETS.hf)).toBe(2);
    expect(findPromptLookup(Int32Array.from(seq), 4, original)).toBe(-1);
  });

  it('vLLM preset only tries its one n-gram size', () => {
    const seq = [...filler(100, 5), 60, 61, 62, 63, 9, ...filler(200, 5), 60, 61, 62, 63];
    // The 4-gram matches, but vLLM's default size is 5 (min = max = 5).
    expect(findPromptLookup(Int32Array.from(seq), seq.length, PLD_PRESETS.vllm)).toBe(-1);
    expect(findPromptLookup(Int32Array.from(seq), seq.length, { ...PLD_PRESETS.vllm, minNgram: 4, maxNgram: 5 })).toBe(9);
  });
});

describe('PldDrafter', () => {
  it('drafts the continuation as a single chain', () => {
    const seq = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 7, 8, 9];
    const drafter = new PldDrafter({ ...original, missToken: null });
    const draft = new Draft(drafter.maxDraftNodes);
    draft.reset(9);
    drafter.propose(historyOf(seq), draft);
    expect(chain(draft)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  });

  it('drafts nothing on a miss, or the miss token when configured', () => {
    const seq = [1, 2, 3, 4, 5];
    const plain = new PldDrafter({ ...original, missToken: null });
    const draft = new Draft(11);
    draft.reset(5);
    plain.propose(historyOf(seq), draft);
    expect(draft.count).toBe(1);
    const specBench = new PldDrafter({ ...original, missToken: 100 });
    draft.reset(5);
    specBench.propose(historyOf(seq), draft);
    expect(chain(draft)).toEqual([100]);
  });

  it('HF variant drafts a short continuation cut at the end of the sequence', () => {
    const seq = [1, 2, 3, 4, 5, 1, 2];
    const drafter = new PldDrafter({ ...PLD_PRESETS.hf, missToken: null });
    const draft = new Draft(drafter.maxDraftNodes);
    draft.reset(2);
    drafter.propose(historyOf(seq), draft);
    expect(chain(draft)).toEqual([3, 4, 5, 1, 2]);
  });

  it('accepts a cycle on a bigram mock and matches plain decoding', () => {
    // next(t) cycles through 12 tokens: once the cycle is in the history PLD predicts it exactly.
    const model = new BigramModel({ vocabSize: 64, next: (t) => (t + 1) % 12 });
    const drafter = new PldDrafter({ ...original, missToken: null });
    const result = new DecodeLoop(model, drafter).generate(Int32Array.from([0]), { maxNewTokens: 60 });
    expect(Array.from(result.tokens)).toEqual(Array.from({ length: 60 }, (_, i) => (i + 1) % 12));
    // The first 11 steps find no 10-token continuation; after that, 11 tokens per step.
    expect(Math.max(...result.acceptLengths)).toBe(11);
  });
});
