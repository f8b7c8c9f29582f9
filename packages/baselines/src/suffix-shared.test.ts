import { Draft, TokenHistory } from '@trbench/core';
import { describe, expect, it } from 'vitest';
import { SUFFIX_DEFAULTS, SuffixDecodingDrafter, SuffixGlobalCache } from './suffix-decoding.ts';

const history = (prompt: number[], output: number[]) => {
  const h = new TokenHistory();
  h.begin(Int32Array.from(prompt), 64);
  for (const t of output) h.push(t);
  return h;
};

describe('SuffixGlobalCache (batched decoding)', () => {
  it("drafters sharing one cache see each other's outputs in their global tree; separate ones do not", () => {
    const opts = { ...SUFFIX_DEFAULTS, minTokenProb: 0 };
    for (const sharedCache of [true, false]) {
      const cache = sharedCache ? new SuffixGlobalCache(opts.maxDepth, opts.maxSpecTokens) : undefined;
      const a = new SuffixDecodingDrafter(opts, cache);
      const b = new SuffixDecodingDrafter(opts, cache);
      const ha = history([1, 2], [5, 6, 7, 8, 9]);
      a.beginRequest(history([1, 2], []));
      a.observe(null as never, null, null, ha);
      // b's request is in flight at the same time and ends in a's tokens: only a shared global tree knows 7, 8, 9 after 5, 6.
      const hb = history([3, 4], [5, 6]);
      b.beginRequest(history([3, 4], []));
      b.observe(null as never, null, null, hb);
      const draft = new Draft(b.maxDraftNodes);
      draft.reset(6);
      b.propose(hb, draft);
      expect(draft.count > 1).toBe(sharedCache);
      if (sharedCache) expect(draft.tokens[1]).toBe(7);
      a.endRequest(ha);
      b.endRequest(hb);
      expect(cache?.open.size ?? 0).toBe(0);
    }
  });

  it('evicts the oldest finished outputs, never one in flight', () => {
    const opts = { ...SUFFIX_DEFAULTS, maxCachedRequests: 1 };
    const cache = new SuffixGlobalCache(opts.maxDepth, opts.maxSpecTokens);
    const a = new SuffixDecodingDrafter(opts, cache);
    const b = new SuffixDecodingDrafter(opts, cache);
    a.beginRequest(history([1], []));
    b.beginRequest(history([2], []));
    expect(cache.cached.length).toBe(2); // both in flight: over the cap, nothing evicted
    a.endRequest(history([1], [3]));
    const c = new SuffixDecodingDrafter(opts, cache);
    c.beginRequest(history([4], []));
    expect(cache.cached.length).toBe(2); // a's output evicted; b and c in flight
    expect(cache.open.size).toBe(2);
  });
});
