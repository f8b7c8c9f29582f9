import { describe, expect, it } from 'vitest';
import { Draft } from './draft.ts';

describe('Draft', () => {
  it('builds a tree with depths, child links and ancestor visibility', () => {
    const d = new Draft(8);
    d.reset(10);
    const a = d.add(11, 0);
    const b = d.add(12, 0);
    const c = d.add(13, a);
    const e = d.add(14, c);
    expect([d.count, d.maxDepth]).toEqual([5, 3]);
    expect(Array.from(d.depth.subarray(0, 5))).toEqual([0, 1, 1, 2, 3]);
    expect(d.firstChild[0]).toBe(a);
    expect(d.nextSibling[a]).toBe(b);
    expect(d.childCount(0)).toBe(2);
    expect(d.sees(e, 0) && d.sees(e, a) && d.sees(e, c) && d.sees(e, e)).toBe(true);
    expect(d.sees(e, b)).toBe(false);
    expect(d.sees(b, a)).toBe(false);
    expect(d.isTree).toBe(true);
  });

  it('allowSee makes a non-tree pattern and descendants inherit it', () => {
    const d = new Draft(8);
    d.reset(1);
    const a = d.add(2, 0);
    const b = d.add(3, 0);
    d.allowSee(b, a);
    const c = d.add(4, b);
    expect(d.isTree).toBe(false);
    expect(d.sees(b, a)).toBe(true);
    expect(d.sees(c, a)).toBe(true);
    expect(() => d.allowSee(a, b)).toThrow(RangeError);
  });

  it('reset clears state so a reused draft never leaks old visibility', () => {
    const d = new Draft(40);
    d.reset(1);
    for (let i = 1; i < 40; i++) d.add(i, i - 1);
    d.reset(5);
    const x = d.add(6, 0);
    expect(d.count).toBe(2);
    expect(d.sees(x, 0)).toBe(true);
    for (let j = 2; j < 40; j++) expect(d.sees(x, j)).toBe(false);
    expect(d.maxDepth).toBe(1);
  });

  it('rejects bad parents and overflow', () => {
    const d = new Draft(2);
    d.reset(0);
    expect(() => d.add(1, 1)).toThrow(RangeError);
    d.add(1, 0);
    expect(() => d.add(2, 0)).toThrow(/full/);
  });

  it('truncateToDepth keeps shallow nodes and remaps parents', () => {
    const d = new Draft(8);
    d.reset(0);
    const a = d.add(1, 0);
    const b = d.add(2, a);
    d.add(3, b);
    d.add(4, 0, false);
    d.truncateToDepth(1);
    expect(d.count).toBe(3);
    expect(Array.from(d.tokens.subarray(0, 3))).toEqual([0, 1, 4]);
    expect(Array.from(d.parent.subarray(0, 3))).toEqual([-1, 0, 0]);
    expect(d.verifiable[2]).toBe(0);
    expect([d.maxDepth, d.childCount(0), d.sees(2, 1), d.sees(2, 0)]).toEqual([1, 2, false, true]);
    d.add(9, 1);
    expect([d.depth[3], d.sees(3, 1), d.sees(3, 2)]).toEqual([2, true, false]);
  });
});
