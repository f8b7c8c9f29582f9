import { describe, expect, it } from 'vitest';
import { PrefixTrie } from './prefix-trie.ts';

/** Inserts continuations in lexicographic order (as a suffix-array range delivers them). */
function trieOf(continuations: number[][], maxSelect = 64): PrefixTrie {
  const sorted = [...continuations].sort((a, b) => {
    for (let k = 0; k < Math.min(a.length, b.length); k++) if (a[k] !== b[k]) return a[k] - b[k];
    return a.length - b.length;
  });
  const trie = new PrefixTrie(
    sorted.reduce((s, c) => s + c.length, 0),
    maxSelect,
  );
  const flat = Int32Array.from(sorted.flat());
  let at = 0;
  for (const c of sorted) {
    trie.insertSorted(flat, at, c.length);
    at += c.length;
  }
  return trie;
}

function pathOf(trie: PrefixTrie, id: number): number[] {
  const out: number[] = [];
  for (let n = id; n > 0; n = trie.parent[n]) out.unshift(trie.token[n]);
  return out;
}

function select(trie: PrefixTrie, k: number): number[][] {
  const out = new Int32Array(64);
  const n = trie.selectTop(k, out);
  return Array.from(out.subarray(0, n), (id) => pathOf(trie, id));
}

describe('PrefixTrie', () => {
  it('counts every prefix of the retrieved continuations', () => {
    const trie = trieOf([[1, 2, 3], [1, 2, 4], [1, 5], [6]]);
    const counts = new Map<string, number>();
    for (let id = 1; id < trie.size; id++) counts.set(pathOf(trie, id).join(' '), trie.count[id]);
    expect(Object.fromEntries(counts)).toEqual({ '1': 3, '1 2': 2, '1 2 3': 1, '1 2 4': 1, '1 5': 1, '6': 1 });
  });

  it('selects the k most frequent prefixes; ties go to the shallower, then the lexicographically smaller', () => {
    const trie = trieOf([
      [1, 2, 3],
      [1, 2, 3],
      [1, 2, 4],
      [1, 5, 6],
      [7, 8],
    ]);
    // counts: 1:4, 1 2:3, 1 2 3:2, then count 1: 1 2 4, 1 5, 1 5 6, 7, 7 8
    expect(select(trie, 3)).toEqual([[1], [1, 2], [1, 2, 3]]);
    // Next by rank: depth 1 "7" before depth 2 "1 5"; then "1 5" (smaller than "7 8"); creation order output.
    expect(select(trie, 5)).toEqual([[1], [1, 2], [1, 2, 3], [1, 5], [7]]);
    // The 6th is the shallower "7 8" (depth 2), not "1 2 4" (depth 3), although "1 2 4" sorts first.
    expect(select(trie, 6)).toEqual([[1], [1, 2], [1, 2, 3], [1, 5], [7], [7, 8]]);
  });

  it('always returns a subtree (prefix-closed), in an order where parents come first', () => {
    const continuations: number[][] = [];
    for (let a = 0; a < 6; a++)
      for (let b = 0; b < 6; b++) for (let r = 0; r <= (a * b) % 4; r++) continuations.push([a, b, (a + b) % 6, a]);
    const trie = trieOf(continuations);
    for (const k of [1, 5, 17, 64]) {
      const out = new Int32Array(64);
      const n = trie.selectTop(k, out);
      expect(n).toBe(k);
      const chosen = new Set(Array.from(out.subarray(0, n)));
      for (let i = 0; i < n; i++) {
        const p = trie.parent[out[i]];
        if (p !== 0) {
          expect(chosen.has(p)).toBe(true);
          expect(out.subarray(0, i).includes(p)).toBe(true);
        }
      }
      // Nothing left out beats anything kept.
      const minKept = Math.min(...Array.from(chosen, (id) => trie.count[id]));
      for (let id = 1; id < trie.size; id++) if (!chosen.has(id)) expect(trie.count[id]).toBeLessThanOrEqual(minKept);
    }
  });

  it('returns every node when there are fewer than k', () => {
    const trie = trieOf([[4, 5]]);
    expect(select(trie, 64)).toEqual([[4], [4, 5]]);
  });
});
