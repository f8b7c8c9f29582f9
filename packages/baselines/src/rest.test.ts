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
    const drafter = new RestDrafter(ds, { ...REST_DEFAULTS, continuation: 2, draftTokens: 3 });
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
  });

  it('drafts nothing on a miss (or the miss token), and never uses a one-token query', () => {
    const ds = Datastore.build([Int32Array.from([1, 2, 3, 4])], 16, SHA);
    const drafter = new RestDrafter(ds, { ...REST_DEFAULTS });
    const draft = new Draft(drafter.maxDraftNodes);
    draft.reset(3);
    drafter.propose(history([9, 3]), draft); // "3" alone would match, but queries are >= 2 tokens
    expect(draft.count).toBe(1);
    expect(drafter.lastQueryLength).toBe(0);
    const dummy = new RestDrafter(ds, { ...REST_DEFAULTS, missToken: 100 });
    draft.reset(3);
    dummy.propose(history([9, 3]), draft);
    expect(paths(draft)).toEqual([[100]]);
  });

  it('treats a match at the very end of the datastore (no continuation) as a miss and tries shorter queries', () => {
    const ds = Datastore.build([Int32Array.from([5, 6, 7, 1, 6, 7, 8])], 16, SHA);
    const drafter = new RestDrafter(ds, { ...REST_DEFAULTS });
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
    const drafter = new RestDrafter(ds, { ...REST_DEFAULTS, maxMatches: 3, continuation: 1 });
    const draft = new Draft(drafter.maxDraftNodes);
    draft.reset(3);
    drafter.propose(history([2, 3]), draft);
    expect(paths(draft)).toEqual([[4]]);
  });

  it('limits the draft to draftTokens nodes', () => {
    const docs: Int32Array[] = [];
    for (let a = 0; a < 10; a++) for (let b = 0; b < 10; b++) docs.push(Int32Array.from([30, 31, 10 + a, 10 + b, 0]));
    const ds = Datastore.build(docs, 64, SHA);
    const drafter = new RestDrafter(ds, { ...REST_DEFAULTS });
    const draft = new Draft(drafter.maxDraftNodes);
    draft.reset(31);
    drafter.propose(history([30, 31]), draft);
    expect(draft.count).toBe(65);
  });
});
