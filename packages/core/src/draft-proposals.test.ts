import { describe, expect, it } from 'vitest';
import { Draft } from './draft.ts';
import { ProposalDistributions } from './proposals.ts';

describe('Draft.proposals', () => {
  it("reset detaches them; truncateToDepth moves each kept node's row with it", () => {
    const d = new Draft(8);
    const q = new ProposalDistributions(8, 3);
    d.reset(0);
    d.proposals = q;
    const a = d.add(1, 0); // depth 1
    const b = d.add(2, a); // depth 2 (dropped)
    const c = d.add(3, 0); // depth 1, moves from 3 to 2
    for (const [node, row] of [
      [a, [1, 0, 0]],
      [b, [0, 1, 0]],
      [c, [0.5, 0, 0.5]],
    ] as const) {
      q.probs.set(row, q.offset(node));
      q.marked[node] = 1;
    }
    d.truncateToDepth(1);
    expect(Array.from(d.tokens.subarray(0, d.count))).toEqual([0, 1, 3]);
    expect(Array.from(q.marked.subarray(0, 3))).toEqual([0, 1, 1]);
    expect(Array.from(q.probs.subarray(q.offset(2), q.offset(2) + 3))).toEqual([0.5, 0, 0.5]);
    expect(q.probability(1, 0, 1)).toBe(1);
    d.reset(5);
    expect(d.proposals).toBeNull();
  });
});
