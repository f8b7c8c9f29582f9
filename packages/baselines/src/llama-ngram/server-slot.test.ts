import { DecodeLoop, TokenHistory } from '@trbench/core';
import { describe, expect, it } from 'vitest';
import { ScriptedModel } from './crosscheck/scripted-model.ts';
import { NgramCacheDrafter } from './ngram-cache.ts';
import { NgramModDrafter } from './ngram-mod.ts';
import { NgramSimpleDrafter, ngramSimpleDraft } from './ngram-simple.ts';

// Unit tests of the llama-server emulation; step-exactness against llama.cpp's own code is proven by
// llama-cpp.crosscheck.test.ts.
const history = (tokens: number[]) => {
  const h = new TokenHistory();
  h.begin(tokens, 0);
  return h;
};

describe('ngram-simple draft rule', () => {
  it('copies after the most recent earlier occurrence, never position 0, and only continuations of at least n tokens', () => {
    const out = new Int32Array(8);
    // P = 9 5 6 1 2 5 6 3 4 7 8 9 5, last = 6: key [5, 6] occurs at 1 and 5; the newest (5) wins.
    const p = [9, 5, 6, 1, 2, 5, 6, 3, 4, 7, 8, 9, 5];
    const n = ngramSimpleDraft(history([...p, 6]), p.length, 6, 2, 3, out);
    expect(Array.from(out.subarray(0, n))).toEqual([3, 4, 7]);
    // Position 0 is never a match.
    const q = [5, 6, 1, 2, 3, 4, 7, 8, 9, 5];
    expect(ngramSimpleDraft(history([...q, 6]), q.length, 6, 2, 3, out)).toBe(0);
    // Too short a history (L <= n + m + 1): no draft.
    expect(ngramSimpleDraft(history([9, 5, 6, 1, 5]), 5, 6, 2, 3, out)).toBe(0);
  });
});

describe('the llama-server loop around a speculator', () => {
  it('leaves the first step undrafted, caps drafts at n_remaining − 1 and skips the last step', () => {
    const drafter = new NgramSimpleDrafter({ sizeN: 1, sizeM: 8, minHits: 1 });
    const model = new ScriptedModel(drafter.maxDraftNodes, 4096, []);
    const loop = new DecodeLoop(model, drafter);
    const prompt = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 3];
    model.setRequest(prompt.length, [4, 5, 6, 7, 8, 9, 10, 11]);
    const r = loop.generate(Int32Array.from(prompt), { maxNewTokens: 6 });
    // Step 1: no draft (the server samples the first token from the prompt). Step 2: P ends ...12 3, last 4:
    // key [4] → copy 5 6 7 8 9 ..., capped at 6 − 1 − 1 = 4 tokens, all accepted + bonus = 6 tokens.
    expect(model.steps).toEqual(['0', '4 5 6 7 8']);
    expect(Array.from(r.acceptLengths)).toEqual([1, 5]);
    expect(drafter.params).toMatchObject({ lifetime: 'warm', sizeN: 1, sizeM: 8 });
  });

  it('warm keeps state across requests (ngram-cache stops learning after a longer request), cold does not', () => {
    const run = (lifetime: 'warm' | 'cold') => {
      const drafter = new NgramCacheDrafter(lifetime);
      const model = new ScriptedModel(drafter.maxDraftNodes, 4096, []);
      const loop = new DecodeLoop(model, drafter);
      const long = [2, 3, 4, 5, 3, 4, 5, 3, 4, 5, 3, 4, 5, 3, 4, 5];
      model.setRequest(long.length, [3, 4, 5, 3, 4, 5, 3, 4, 5, 3]);
      loop.generate(Int32Array.from(long), { maxNewTokens: 10 });
      model.steps.length = 0;
      const short = [2, 7, 8, 9, 7, 8, 9, 7, 8];
      model.setRequest(short.length, [9, 7, 8, 9, 7, 8]);
      loop.generate(Int32Array.from(short), { maxNewTokens: 6 });
      return model.steps.slice(1).some((s) => s !== '0');
    };
    // cold: the short prompt's own n-grams draft; warm: cache_size is past the short history, nothing is added.
    expect(run('cold')).toBe(true);
    expect(run('warm')).toBe(false);
  });

  it('refuses out-of-range llama.cpp parameters', () => {
    expect(() => new NgramSimpleDrafter({ sizeN: 0, sizeM: 48, minHits: 1 })).toThrow(/size-n must be an integer in 1..1024/);
    expect(() => new NgramModDrafter({ nMatch: 24, nMin: 48, nMax: 2000 })).toThrow(/n-max must be an integer in 0..1024/);
  });
});
