import { Draft, TokenHistory } from '@trbench/core';
import { describe, expect, it } from 'vitest';
import { Datastore } from './datastore.ts';
import { REST_DEFAULTS, RestDrafter } from './rest.ts';

const SHA = 'c'.repeat(64);

function history(tokens: number[]): TokenHistory {
  const h = new TokenHistory();
  h.begin(Int32Array.from(tokens), 8);
  return h;
}

/** Root-to-node token paths of the draft, in draft order. */
function paths(draft: Draft): number[][] {
  const out: number[][] = [];
  for (let i = 1; i < draft.count; i++) {
    const p: number[] = [];
    for (let n = i; n > 0; n = draft.parent[n]) p.unshift(draft.tokens[n]);
    out.push(p);
  }
  return out;
}

describe('RestDrafter', () => {
  it('uses the longest query that hits and drafts the most frequent continuation prefixes as a tree', () => {
    // "1 2 3" occurs twice followed by 4 5, once by 4 6; "2 3" alone (without 1 before) is followed by 9.
    const ds = Datastore.build(
      [
        [1, 2, 3, 4, 5, 0],
        [1, 2, 3, 4, 5, 0],
        [1, 2, 3, 4, 6, 0],
        [7, 2, 3, 9, 9, 0],
      ].map((d) => Int32Array.from(d)),
      16,
      SHA,
    );
    const drafter = new RestDrafter(ds, { ...REST_DEFAULTS, continuation: 2, draftTokens: 3, missToken: null, cut: 'none' });
    const draft = new Draft(drafter.maxDraftNodes);
    draft.reset(3);
    drafter.propose(history([8, 1, 2, 3]), draft);
    expect(drafter.lastQueryLength).toBe(3);
    // Prefix counts: "4":3, "4 5":2, "4 6":1 — the top 3.
    expect(paths(draft)).toEqual([[4], [4, 5], [4, 6]]);

    // With only "2 3" as a hit (a new left context), all four continuations count.
    draft.reset(3);
    drafter.propose(history([8, 8, 2, 3]), draft);
    expect(drafter.lastQueryLength).toBe(2);
    expect(paths(draft)).toEqual([[4], [4, 5], [9]]);

    // REST's cut_to_choices (the default): costs 1 + 2 + 2 = 5 > 3, so one depth-2 prefix goes, the rarer
    // "4 6" (count 1) before "4 5" (count 2); then 1 + 2 = 3 fits.
    const cut = new RestDrafter(ds, { ...REST_DEFAULTS, continuation: 2, draftTokens: 3, missToken: null });
    draft.reset(3);
    cut.propose(history([8, 1, 2, 3]), draft);
    expect(paths(draft)).toEqual([[4], [4, 5]]);
    // "4":3, "4 5":2, "9":1 cost 4: "4 5" goes (the only depth-2 prefix).
    draft.reset(3);
    cut.propose(history([8, 8, 2, 3]), draft);
    expect(paths(draft)).toEqual([[4], [9]]);
  });

  it("drafts REST's miss token 100 on a miss (nothing with missToken null), and never uses a one-token query", () => {
    const ds = Datastore.build([Int32Array.from([1, 2, 3, 4])], 128, SHA);
    const drafter = new RestDrafter(ds, { ...REST_DEFAULTS });
    const draft = new Draft(drafter.maxDraftNodes);
    draft.reset(3);
    drafter.propose(history([9, 3]), draft); // "3" alone would match, but queries are >= 2 tokens
    expect(drafter.lastQueryLength).toBe(0);
    expect(paths(draft)).toEqual([[100]]);
    const plain = new RestDrafter(ds, { ...REST_DEFAULTS, missToken: null });
    draft.reset(3);
    plain.propose(history([9, 3]), draft);
    expect(draft.count).toBe(1);
    // A miss token outside the vocabulary is refused up front.
    const small = Datastore.build([Int32Array.from([1, 2, 3, 4])], 16, SHA);
    expect(() => new RestDrafter(small, { ...REST_DEFAULTS })).toThrow(/missToken must be a token id below the vocabulary size 16/);
  });

  it('treats a match at the very end of the datastore (no continuation) as a miss and tries shorter queries', () => {
    const ds = Datastore.build([Int32Array.from([5, 6, 7, 1, 6, 7, 8])], 16, SHA);
    const drafter = new RestDrafter(ds, { ...REST_DEFAULTS, missToken: null });
    const draft = new Draft(drafter.maxDraftNodes);
    draft.reset(8);
    // "6 7 8" only occurs at the end; "7 8" too; no shorter query left → miss.
    drafter.propose(history([6, 7, 8]), draft);
    expect(draft.count).toBe(1);
    draft.reset(7);
    drafter.propose(history([1, 6, 7]), draft); // "1 6 7" → 8
    expect(paths(draft)).toEqual([[8]]);
  });

  it('reads at most maxMatches positions of the range (suffix-array order)', () => {
    // "2 3" is followed by 4 (x3) then 5 (x3); in suffix-array order the 4s come first.
    const docs = [4, 4, 4, 5, 5, 5].map((t) => Int32Array.from([2, 3, t]));
    const ds = Datastore.build(docs, 16, SHA);
    const drafter = new RestDrafter(ds, { ...REST_DEFAULTS, maxMatches: 3, continuation: 1, missToken: null });
    const draft = new Draft(drafter.maxDraftNodes);
    draft.reset(3);
    drafter.propose(history([2, 3]), draft);
    expect(paths(draft)).toEqual([[4]]);
  });

  it('limits the uncut draft to draftTokens nodes, and the cut one to a distinct-token budget of draftTokens', () => {
    // "30 31" is followed by a b for a, b in 0..9 (then the next document): 10 prefixes of count 10 at
    // depth 1, 100 of count 1 at depth 2 (and deeper ones of count 1).
    const docs: Int32Array[] = [];
    for (let a = 0; a < 10; a++) for (let b = 0; b < 10; b++) docs.push(Int32Array.from([30, 31, 10 + a, 10 + b, 0]));
    const ds = Datastore.build(docs, 128, SHA);
    const uncut = new RestDrafter(ds, { ...REST_DEFAULTS, cut: 'none' });
    const draft = new Draft(uncut.maxDraftNodes);
    draft.reset(31);
    uncut.propose(history([30, 31]), draft);
    expect(draft.count).toBe(65);
    // Top 64: the 10 depth-1 prefixes and the 54 lexicographically smallest depth-2 ones ("10 10" .. "15 13").
    // Costs: 1 per depth-1 prefix, 1 for "a a" (one distinct token: "10 10" .. "14 14"), 2 for the other 49:
    // 10 + 5 + 98 = 113 > 64. Cost-2 prefixes go, lexicographically largest first (all count 1): after 25
    // the sum is 63 <= 64. Kept: the 10 depth-1 prefixes, "a a" for a = 10..14, and the 24 smallest others
    // ("10 11" .. "12 16" without "12 12").
    const cut = new RestDrafter(ds, { ...REST_DEFAULTS });
    draft.reset(31);
    cut.propose(history([30, 31]), draft);
    const expected: number[][] = [];
    let others = 24;
    for (let a = 10; a < 20; a++) {
      expected.push([a]);
      for (let b = 10; b < 20 && a < 15; b++) {
        if (a === b) expected.push([a, b]);
        else if (others > 0) {
          expected.push([a, b]);
          others--;
        }
      }
    }
    expect(paths(draft)).toEqual(expected);
  });
});
