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

/** Top-k selection followed by REST's cut_to_choices with budget `budget`, as token paths. */
function selectAndCut(trie: PrefixTrie, k: number, budget: number): number[][] {
  const out = new Int32Array(k);
  const n = trie.cutToChoices(out, trie.selectTop(k, out), budget);
  return Array.from(out.subarray(0, n), (id) => pathOf(trie, id));
}

/**
 * REST's `cut_to_choices` written from its source (FasterDecoding/REST DraftRetriever/src/lib.rs) on token
 * paths in a given input order: cost = distinct ids of the path; stable sort by cost, descending; drop from
 * the front while the sum exceeds `choices`. REST's input order is a HashSet's; a test passes its own.
 */
function restCutReference(paths: number[][], choices: number): number[][] {
  const cost = paths.map((p) => new Set(p).size);
  const order = paths.map((_, i) => i).sort((a, b) => cost[b] - cost[a]); // Array.prototype.sort is stable
  let total = cost.reduce((s, c) => s + c, 0);
  const removed = new Set<number>();
  for (const i of order) {
    if (total <= choices) break;
    total -= cost[i];
    removed.add(i);
  }
  return paths.filter((_, i) => !removed.has(i));
}

describe('PrefixTrie.cutToChoices (REST cut_to_choices)', () => {
  // Counts: "1":5, "1 2":4, "1 2 3":3, "5":2, "5 5":1, "5 5 6":1. Costs (distinct ids): 1, 2, 3, 1, 1, 2 (sum 10):
  // "5 5" costs 1, not its depth 2.
  const small = () => trieOf([[1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2], [1], [5, 5, 6], [5]]);

  it('drops the prefixes with the most distinct tokens first until the costs fit the budget (worked by hand)', () => {
    const trie = small();
    // Nothing to drop.
    expect(selectAndCut(trie, 64, 10)).toEqual([[1], [1, 2], [1, 2, 3], [5], [5, 5], [5, 5, 6]]);
    // 10 > 7: "1 2 3" (cost 3) goes → 7.
    expect(selectAndCut(trie, 64, 7)).toEqual([[1], [1, 2], [5], [5, 5], [5, 5, 6]]);
    // 7 > 6: then one of the cost-2 prefixes: "5 5 6" (count 1) before "1 2" (count 4) → 5.
    expect(selectAndCut(trie, 64, 6)).toEqual([[1], [1, 2], [5], [5, 5]]);
    // 5 > 4: "1 2" goes too → 3; the walk stops there although 3 < 4 (REST's loop breaks at the first fit).
    expect(selectAndCut(trie, 64, 4)).toEqual([[1], [5], [5, 5]]);
    // Then the cost-1 prefixes, lower-ranked first: "5 5" (count 1), "5" (2), "1" (5).
    expect(selectAndCut(trie, 64, 2)).toEqual([[1], [5]]);
    expect(selectAndCut(trie, 64, 1)).toEqual([[1]]);
  });

  it('handles ties at the 64th count in the selection and ties in cost at the cut deterministically', () => {
    // 33 tokens t = 1..33, each followed by t+100 twice: 66 prefixes, all of count 2.
    const continuations: number[][] = [];
    for (let t = 1; t <= 33; t++) continuations.push([t, t + 100], [t, t + 100]);
    const trie = trieOf(continuations);
    // Top 64 of 66 equal counts: the 33 shallower ones, then the 31 lexicographically smallest "t t+100".
    const top = select(trie, 64);
    expect(top.length).toBe(64);
    expect(top.filter((p) => p.length === 2).map((p) => p[0])).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    // Costs 33 + 2·31 = 95 > 64: "t t+100" go, lexicographically largest first (same count, same depth):
    // after 15 the sum is 65, after 16 it is 63 <= 64 — 15 depth-2 prefixes stay (t = 1..15).
    const kept = selectAndCut(trie, 64, 64);
    expect(kept.filter((p) => p.length === 1).length).toBe(33);
    expect(kept.filter((p) => p.length === 2).map((p) => p[0])).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    // Higher counts win the cost ties: give t = 20..33 a third "t t+100" — they now rank above t = 1..19.
    for (let t = 20; t <= 33; t++) continuations.push([t, t + 100]);
    const weighted = trieOf(continuations);
    const keptWeighted = selectAndCut(weighted, 64, 64);
    // Top 64: the 33 depth-1 prefixes and every depth-2 one of count 3 (14) or 2 with t <= 17 (17).
    // Cut: 33 + 2·31 = 95 → 16 depth-2 prefixes go, lowest count first, then lexicographically largest:
    // t = 17..2 of count 2; t = 1 (count 2) and t = 20..33 (count 3) stay.
    expect(keptWeighted.filter((p) => p.length === 2).map((p) => p[0])).toEqual([1, ...Array.from({ length: 14 }, (_, i) => i + 20)]);
  });

  it("equals REST's cut_to_choices fed in trbench's tie order, and keeps a prefix-closed tree within the budget", () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let round = 0; round < 200; round++) {
      const continuations: number[][] = [];
      const docs = 5 + rand(60);
      for (let i = 0; i < docs; i++) continuations.push(Array.from({ length: 1 + rand(10) }, () => rand(4)));
      const trie = trieOf(continuations, 64);
      const k = 1 + rand(64);
      const budget = 1 + rand(64);
      const out = new Int32Array(64);
      const n = trie.selectTop(k, out);
      // REST's input: the selected paths, lowest-ranked first (count ascending, deeper, lexicographically larger).
      const ids = Array.from(out.subarray(0, n)).sort((a, b) => trie.count[a] - trie.count[b] || trie.depth[b] - trie.depth[a] || b - a);
      const reference = restCutReference(
        ids.map((id) => pathOf(trie, id)),
        budget,
      ).map((p) => p.join(' '));
      const kept = trie.cutToChoices(out, n, budget);
      const got = Array.from(out.subarray(0, kept), (id) => pathOf(trie, id));
      expect(got.map((p) => p.join(' ')).sort()).toEqual([...reference].sort());
      const set = new Set(got.map((p) => p.join(' ')));
      for (const p of got) if (p.length > 1) expect(set.has(p.slice(0, -1).join(' '))).toBe(true);
      const cost = got.reduce((s, p) => s + new Set(p).size, 0);
      if (cost > budget) throw new Error(`cost ${cost} over budget ${budget}`);
      expect(kept).toBeLessThanOrEqual(budget);
    }
  });
});
