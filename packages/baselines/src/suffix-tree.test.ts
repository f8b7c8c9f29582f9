import { Rng } from '@trbench/core';
import { describe, expect, it } from 'vitest';
import { type SpeculateOptions, SuffixTree } from './suffix-tree.ts';
import { nextInt } from './testing/random.ts';

/** The tree's semantics computed the slow way: occurrence counts by scanning, speculation on an uncompressed trie. */
class Brute {
  readonly seqs = new Map<number, number[]>();
  constructor(readonly depth: number) {}

  count(s: number[]): number {
    if (s.length === 0) return [...this.seqs.values()].reduce((n, q) => n + q.length, 0);
    if (s.length > this.depth) return 0;
    let n = 0;
    for (const q of this.seqs.values()) for (let j = 0; j + s.length <= q.length; j++) if (s.every((t, k) => q[j + k] === t)) n++;
    return n;
  }

  speculate(context: number[], o: SpeculateOptions, alphabet: number) {
    let best = { tokens: [] as number[], parents: [] as number[], score: 0, matchLength: 0 };
    const ctxLen = Math.min(context.length, this.depth);
    for (let m = 1; m < ctxLen; m++) {
      const s = context.slice(context.length - m);
      if (this.count(s) === 0) break;
      const maxTokens = Math.max(0, Math.min(o.maxSpecTokens, Math.floor(m * o.alpha + o.offset + 1e-6)));
      const d = o.tree
        ? this.tree(s, maxTokens, Math.fround(o.minTokenProb), alphabet)
        : this.path(s, maxTokens, Math.fround(o.minTokenProb), alphabet);
      if (d.score >= best.score) best = { ...d, matchLength: m };
    }
    return best;
  }

  private step(x: number[], t: number, prob: number): { p: number; c: number } {
    const n = this.count(x);
    const c = this.count([...x, t]);
    return { c, p: c === n ? prob : Math.fround(Math.fround(prob * Math.fround(c)) / Math.fround(n)) };
  }

  private tree(s: number[], maxTokens: number, minProb: number, alphabet: number) {
    type Item = { p: number; x: number[]; parent: number; depth: number; t: number };
    const heap: Item[] = [];
    const out = { tokens: [] as number[], parents: [] as number[], score: 0 };
    const pushNext = (x: number[], prob: number, parent: number, depth: number) => {
      for (let t = 0; t < alphabet; t++) {
        const { c, p } = this.step(x, t, prob);
        if (c > 0 && p >= minProb) heap.push({ p, x: [...x, t], parent, depth, t });
      }
    };
    pushNext(s, 1, -1, 1);
    while (out.tokens.length < maxTokens && heap.length > 0) {
      heap.sort((a, b) =>
        a.p !== b.p ? b.p - a.p : a.depth !== b.depth ? a.depth - b.depth : a.parent !== b.parent ? a.parent - b.parent : a.t - b.t,
      );
      const it = heap.shift() as Item;
      out.tokens.push(it.t);
      out.parents.push(it.parent);
      out.score = Math.fround(out.score + it.p);
      pushNext(it.x, it.p, out.tokens.length - 1, it.depth + 1);
    }
    return out;
  }

  private path(s: number[], maxTokens: number, minProb: number, alphabet: number) {
    const out = { tokens: [] as number[], parents: [] as number[], score: 0 };
    let x = s;
    let prob = 1;
    while (out.tokens.length < maxTokens) {
      let bestT = -1;
      let bestC = 0;
      for (let t = 0; t < alphabet; t++) {
        const c = this.count([...x, t]);
        if (c > bestC) {
          bestC = c;
          bestT = t;
        }
      }
      if (bestT < 0) break;
      prob = this.step(x, bestT, prob).p;
      if (prob < minProb) break;
      out.tokens.push(bestT);
      out.parents.push(out.tokens.length - 2);
      out.score = Math.fround(out.score + prob);
      x = [...x, bestT];
    }
    return out;
  }
}

function allSubstrings(seqs: Iterable<number[]>, maxLen: number): number[][] {
  const seen = new Map<string, number[]>();
  for (const q of seqs)
    for (let i = 0; i < q.length; i++)
      for (let l = 1; l <= maxLen && i + l <= q.length; l++) seen.set(q.slice(i, i + l).join(','), q.slice(i, i + l));
  return [...seen.values()];
}

function checkCounts(tree: SuffixTree, brute: Brute, rng: Rng, alphabet: number): void {
  for (const s of allSubstrings(brute.seqs.values(), brute.depth + 1)) expect(tree.occurrences(s), `count of ${s}`).toBe(brute.count(s));
  for (let k = 0; k < 50; k++) {
    const s = Array.from({ length: 1 + nextInt(rng, brute.depth + 1) }, () => nextInt(rng, alphabet));
    expect(tree.occurrences(s)).toBe(brute.count(s));
  }
  expect(tree.occurrences([])).toBe(brute.count([]));
  // Path compression keeps the tree linear: at most one leaf and one branching node per suffix.
  expect(tree.liveNodes).toBeLessThanOrEqual(2 * brute.count([]) + 1);
}

describe('SuffixTree', () => {
  it('counts occurrences of every string up to maxDepth across interleaved sequences', () => {
    const rng = new Rng(5);
    for (const [alphabet, depth] of [
      [2, 5],
      [3, 6],
      [5, 4],
      [3, 64],
    ]) {
      const tree = new SuffixTree(depth);
      const brute = new Brute(depth);
      const ids = [tree.openSequence(), tree.openSequence(), tree.openSequence()];
      for (const id of ids) brute.seqs.set(id, []);
      for (let k = 0; k < 150; k++) {
        const id = ids[nextInt(rng, 3)];
        const t = nextInt(rng, alphabet);
        tree.append(id, t);
        brute.seqs.get(id)?.push(t);
      }
      checkCounts(tree, brute, rng, alphabet);
    }
  });

  it('stays correct when sequences are removed, and reuses their slots', () => {
    const rng = new Rng(11);
    const alphabet = 3;
    const tree = new SuffixTree(6);
    const brute = new Brute(6);
    const open: number[] = [];
    for (let round = 0; round < 12; round++) {
      const id = tree.openSequence();
      brute.seqs.set(id, []);
      const n = 5 + nextInt(rng, 40);
      for (let k = 0; k < n; k++) {
        const t = nextInt(rng, alphabet);
        tree.append(id, t);
        brute.seqs.get(id)?.push(t);
      }
      open.push(id);
      if (round % 2 === 1) tree.closeSequence(id);
      if (open.length > 4) {
        const victim = open.splice(nextInt(rng, open.length - 1), 1)[0];
        tree.removeSequence(victim);
        brute.seqs.delete(victim);
      }
      checkCounts(tree, brute, rng, alphabet);
    }
    for (const id of [...brute.seqs.keys()]) {
      tree.removeSequence(id);
      brute.seqs.delete(id);
    }
    expect(tree.liveNodes).toBe(1);
    expect(tree.occurrences([])).toBe(0);
  });

  it('speculates exactly as the brute-force definition (tree and path, several α and thresholds)', () => {
    const rng = new Rng(23);
    for (let trial = 0; trial < 40; trial++) {
      const alphabet = 2 + (trial % 4);
      const depth = 4 + (trial % 9);
      const tree = new SuffixTree(depth, 12);
      const brute = new Brute(depth);
      const seqs = 1 + (trial % 3);
      let last: number[] = [];
      for (let q = 0; q < seqs; q++) {
        const id = tree.openSequence();
        const toks = Array.from({ length: 10 + nextInt(rng, 60) }, () => nextInt(rng, alphabet));
        for (const t of toks) tree.append(id, t);
        brute.seqs.set(id, toks);
        last = toks;
      }
      if (trial % 5 === 4) {
        tree.removeSequence(0);
        brute.seqs.delete(0);
      }
      const options: SpeculateOptions = {
        maxSpecTokens: 12,
        alpha: [1, 0.5, 2][trial % 3],
        offset: trial % 2,
        minTokenProb: [0.1, 0, 0.3][trial % 3],
        tree: trial % 4 !== 3,
      };
      const got = tree.speculate(last, last.length, options);
      const want = brute.speculate(last, options, alphabet);
      expect(
        {
          tokens: Array.from(got.tokens.subarray(0, got.count)),
          parents: Array.from(got.parents.subarray(0, got.count)),
          score: got.score,
          m: got.matchLength,
        },
        `trial ${trial}`,
      ).toEqual({ tokens: want.tokens, parents: want.parents, score: want.score, m: want.matchLength });
    }
  });

  it('hand-made example: the longest useful match wins and probabilities are count ratios', () => {
    // 1 2 3 1 2 3 1 2 — context is the sequence itself (as the per-request tree sees it).
    const seq = [1, 2, 3, 1, 2, 3, 1, 2];
    const tree = new SuffixTree(64);
    const id = tree.openSequence();
    for (const t of seq) tree.append(id, t);
    const d = tree.speculate(seq, seq.length, { maxSpecTokens: 64, alpha: 1, offset: 0, minTokenProb: 0.1, tree: true });
    // m=1 "2" (3 occurrences, 2 continue with 3): [3] at 2/3. m=2 "1 2": [3 1] at 2/3, score 4/3.
    // m=3 "3 1 2", m=4 "2 3 1 2" and m=5 "1 2 3 1 2" each occur twice, once at the very end: the other
    // continues "3 1 2" at 1/2, score 1.5; ties go to the longer match. m=6 occurs only at the end.
    expect(Array.from(d.tokens.subarray(0, d.count))).toEqual([3, 1, 2]);
    expect(Array.from(d.probs.subarray(0, d.count))).toEqual([0.5, 0.5, 0.5]);
    expect(d.score).toBe(1.5);
    expect(d.matchLength).toBe(5);
  });
});
