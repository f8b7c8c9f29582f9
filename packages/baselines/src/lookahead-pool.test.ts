import { describe, expect, it } from 'vitest';
import { NgramPool } from './lookahead-pool.ts';

function tuples(pool: NgramPool, key: number): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < pool.size(key); r++) out.push(Array.from({ length: pool.tupleLength }, (_, j) => pool.token(key, r, j)));
  return out;
}

describe('NgramPool', () => {
  it('keeps at most G tuples per key in LRU order: re-insert moves to the tail, overflow drops the head', () => {
    const pool = new NgramPool(50, 2, 3);
    pool.insert(5, [1, 1]);
    pool.insert(5, [2, 2]);
    pool.insert(5, [3, 3]);
    expect(tuples(pool, 5)).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    pool.insert(5, [1, 1]);
    expect(tuples(pool, 5)).toEqual([
      [2, 2],
      [3, 3],
      [1, 1],
    ]);
    pool.insert(5, [4, 4]);
    expect(tuples(pool, 5)).toEqual([
      [3, 3],
      [1, 1],
      [4, 4],
    ]);
    // Re-inserting the newest changes nothing.
    pool.insert(5, [4, 4]);
    expect(tuples(pool, 5)).toEqual([
      [3, 3],
      [1, 1],
      [4, 4],
    ]);
  });

  it('keeps keys apart, reads tuples at an offset, and clears', () => {
    const pool = new NgramPool(50, 3, 2);
    pool.insert(1, [9, 1, 2, 3], 1);
    pool.insert(2, [4, 5, 6]);
    expect(tuples(pool, 1)).toEqual([[1, 2, 3]]);
    expect(tuples(pool, 2)).toEqual([[4, 5, 6]]);
    expect(pool.size(3)).toBe(0);
    expect(pool.keyCount).toBe(2);
    pool.clear();
    expect(pool.size(1)).toBe(0);
    expect(pool.keyCount).toBe(0);
    pool.insert(2, [7, 7, 7]);
    expect(tuples(pool, 2)).toEqual([[7, 7, 7]]);
  });

  it('G = 0 stores nothing', () => {
    const pool = new NgramPool(10, 2, 0);
    pool.insert(1, [2, 3]);
    expect(pool.size(1)).toBe(0);
  });

  it('grows past its initial slot count without losing tuples', () => {
    const pool = new NgramPool(1000, 2, 2);
    for (let k = 0; k < 300; k++) pool.insert(k, [k, k + 1]);
    for (let k = 0; k < 300; k++) expect(tuples(pool, k)).toEqual([[k, k + 1]]);
  });

  it('capacity -1 keeps every distinct tuple per key in first-insertion order (a set: re-insert changes nothing)', () => {
    const pool = new NgramPool(50, 2, -1);
    const tuples = [
      [1, 2],
      [3, 4],
      [1, 2],
      [5, 6],
    ];
    for (const t of tuples) pool.insert(7, t);
    for (let i = 0; i < 40; i++) pool.insert(8, [i, i + 1]);
    const read = (key: number) => Array.from({ length: pool.size(key) }, (_, r) => [pool.token(key, r, 0), pool.token(key, r, 1)]);
    expect(read(7)).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(pool.size(8)).toBe(40);
    expect(read(8)[39]).toEqual([39, 40]);
    pool.clear();
    expect(pool.size(7)).toBe(0);
    pool.insert(7, [9, 9]);
    expect(read(7)).toEqual([[9, 9]]);
  });
});
