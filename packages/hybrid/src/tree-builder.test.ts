import { describe, expect, it } from 'vitest';
import { SOURCE_COUNT, SRC_LOCAL_LONG, SRC_ROW } from './calibration.ts';
import { BestFirstTree, NO_ITEM } from './tree-builder.ts';

describe('BestFirstTree', () => {
  it('merges equal tokens under one parent, keeps the best estimate and every source', () => {
    const t = new BestFirstTree(8, 100, 64);
    t.begin(5, NO_ITEM, NO_ITEM);
    t.openGroup(0);
    t.offer(7, SRC_ROW, 0.4, 0.3, NO_ITEM, NO_ITEM);
    t.offer(9, SRC_ROW, 0.2, 0.2, NO_ITEM, NO_ITEM);
    t.offer(7, SRC_LOCAL_LONG, 1, 0.9, 3, NO_ITEM);
    t.closeGroup();
    expect(t.pop()).toBe(1);
    expect([t.tokens[1], t.pathProb[1], t.localItem[1]]).toEqual([7, 0.9, 3]);
    expect(t.buckets[SOURCE_COUNT + SRC_ROW]).toBe(4);
    expect(t.buckets[SOURCE_COUNT + SRC_LOCAL_LONG]).toBe(9);
    t.openGroup(1);
    t.offer(9, SRC_ROW, 0.5, 0.5, NO_ITEM, NO_ITEM); // same token, other parent: a node of its own
    t.closeGroup();
    expect(t.pop()).toBe(2);
    expect([t.tokens[2], t.parent[2]]).toEqual([9, 1]);
    expect(t.pathProb[2]).toBeCloseTo(0.45);
    expect(t.pop()).toBe(3);
    expect([t.tokens[3], t.parent[3], t.pathProb[3]]).toEqual([9, 0, 0.2]);
    expect(t.pop()).toBe(-1);
    expect(t.count).toBe(4);
    expect(t.cumulative[3]).toBeCloseTo(0.9 + 0.45 + 0.2);
  });

  it('orders equal path probabilities by lower token id, stops at capacity and below the threshold', () => {
    const t = new BestFirstTree(3, 100, 64);
    t.minPathProb = 0.1;
    t.begin(1, NO_ITEM, NO_ITEM);
    t.openGroup(0);
    for (const token of [12, 4, 8]) t.offer(token, SRC_ROW, 0.5, 0.5, NO_ITEM, NO_ITEM);
    t.offer(20, SRC_ROW, 0.05, 0.05, NO_ITEM, NO_ITEM);
    t.closeGroup();
    expect([t.pop(), t.pop(), t.pop()]).toEqual([1, 2, -1]);
    expect(Array.from(t.tokens.subarray(1, 3))).toEqual([4, 8]);
  });
});
