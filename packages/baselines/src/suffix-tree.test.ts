import { Rng } from '@trbench/core';
import { describe, expect, it } from 'vitest';
import { type SpeculateOptions, SuffixTree } from './suffix-tree.ts';
import { nextInt } from './testing/random.ts';
import { ReferenceTrie, type RefNode } from './testing/suffix-reference.ts';

/** The tree's counts computed the slow way: occurrence counts by scanning. */
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

  it('speculates exactly as the uncompressed reference trie with array sibling lists and a reference heap', () => {
    const rng = new Rng(23);
    let ties = 0;
    for (let trial = 0; trial < 120; trial++) {
      // Small alphabets and depths: equal counts everywhere, so the sibling order decides most drafts.
      const alphabet = 2 + (trial % 3);
      const depth = [3, 4, 5, 6, 8, 12, 64][trial % 7];
      const tree = new SuffixTree(depth, 24);
      const ref = new ReferenceTrie(depth);
      const live: { id: number; toks: number[] }[] = [];
      for (let k = 0; k < 160 + nextInt(rng, 160); k++) {
        const r = nextInt(rng, 100);
        if (r < 6 || live.length === 0) live.push({ id: tree.openSequence(), toks: [] });
        else if (r < 9 && live.length > 1) {
          // Evictions (the global cache's FIFO, here any sequence): decrements move children back down.
          const s = live.splice(nextInt(rng, live.length), 1)[0];
          tree.removeSequence(s.id);
          ref.remove(s.id);
        } else if (r < 85) {
          const s = live[nextInt(rng, live.length)];
          const t = nextInt(rng, alphabet);
          tree.append(s.id, t);
          ref.append(s.id, t);
          s.toks.push(t);
        } else {
          const s = live[nextInt(rng, live.length)];
          const context = s.toks.length > 1 ? s.toks : Array.from({ length: 6 }, () => nextInt(rng, alphabet));
          const options: SpeculateOptions = {
            maxSpecTokens: 1 + nextInt(rng, 24),
            alpha: [1, 0.5, 2, 0.7][nextInt(rng, 4)],
            offset: [0, 1, -1, 0.3][nextInt(rng, 4)],
            minTokenProb: [0.1, 0, 0.3, 0.05][nextInt(rng, 4)],
            tree: nextInt(rng, 2) === 1,
          };
          const got = tree.speculate(context, context.length, options);
          const want = ref.speculate(context, options);
          expect(
            {
              tokens: Array.from(got.tokens.subarray(0, got.count)),
              parents: Array.from(got.parents.subarray(0, got.count)),
              probs: Array.from(got.probs.subarray(0, got.count)),
              score: got.score,
              m: got.count > 0 ? got.matchLength : 0,
            },
            `trial ${trial} step ${k}`,
          ).toEqual({
            tokens: want.tokens,
            parents: want.parents,
            probs: want.probs,
            score: want.score,
            m: want.tokens.length > 0 ? want.matchLength : 0,
          });
          expect(tree.checkIntegrity()).toBe('');
        }
      }
      // The sibling order of every node equals the reference's.
      const out: { token: number; count: number }[] = [];
      const walk = (node: RefNode, prefix: number[]) => {
        if (node.children.length > 1 && new Set(node.children.map((c) => c.count)).size < node.children.length) ties++;
        tree.childrenInOrder(prefix, out);
        expect(
          out.map((c) => c.token),
          `children of [${prefix}]`,
        ).toEqual(node.children.map((c) => c.token));
        expect(out.map((c) => c.count)).toEqual(node.children.map((c) => c.count));
        for (const c of node.children) walk(c, [...prefix, c.token]);
      };
      walk(ref.root, []);
      expect(tree.checkIntegrity()).toBe('');
    }
    // Not vacuous: many nodes had children with equal counts.
    expect(ties).toBeGreaterThan(1000);
  });

  it('sibling order, worked by hand from suffix_tree.cc: tail on creation, moves on growth and on eviction', () => {
    // Depth 1: the root's children are the unigram counts, in the sibling order.
    const tree = new SuffixTree(1);
    const order = () => {
      const out: { token: number; count: number }[] = [];
      tree.childrenInOrder([], out);
      return out.map((c) => `${c.token}:${c.count}`).join(' ');
    };
    const a = tree.openSequence();
    for (const t of [1, 2, 3]) tree.append(a, t);
    expect(order()).toBe('1:1 2:1 3:1'); // new children at the tail
    tree.append(a, 3);
    expect(order()).toBe('3:2 1:1 2:1'); // 3 did not lead its group: in front of the group's head (1)
    tree.append(a, 2);
    expect(order()).toBe('3:2 2:2 1:1'); // again in front of its group (1), i.e. the tail of 3's new group
    tree.append(a, 1);
    expect(order()).toBe('1:2 3:2 2:2'); // 1 led its group: to the head of the next group (before 3)
    const b = tree.openSequence();
    tree.append(b, 1);
    expect(order()).toBe('1:3 3:2 2:2'); // the head grows in place
    tree.removeSequence(b);
    expect(order()).toBe('1:2 3:2 2:2'); // back to 2 with no smaller-count neighbour: stays
    const c = tree.openSequence();
    tree.append(c, 3);
    expect(order()).toBe('3:3 1:2 2:2');
    tree.removeSequence(c);
    expect(order()).toBe('3:2 1:2 2:2'); // eviction keeps it at the head of the group it rejoins
    tree.closeSequence(a);
    const d = tree.openSequence();
    tree.append(d, 2);
    tree.append(d, 5);
    expect(order()).toBe('2:3 3:2 1:2 5:1');
    tree.removeSequence(d);
    // 2 drops to 2 while 3 and 1 count 2: it stays in front (its next sibling counts less than 3).
    expect(order()).toBe('2:2 3:2 1:2');
    // Lowest-id tie breaking would give 1 2 3; the path mode now follows the head (2).
    const path = tree.speculate([9, 9], 2, { maxSpecTokens: 4, alpha: 1, offset: 0, minTokenProb: 0, tree: false });
    expect(path.count).toBe(0); // 9 never occurred
    const g = tree.openSequence();
    tree.append(g, 3);
    expect(order()).toBe('3:3 2:2 1:2'); // 3 did not lead its group: in front of its head (2)
    const h = tree.openSequence();
    tree.append(h, 2);
    expect(order()).toBe('2:3 3:3 1:2'); // 2 led its group: to the head of the next group (before 3)
    tree.removeSequence(h);
    expect(order()).toBe('3:3 2:2 1:2'); // 2 (3 → 2) had a 3-count next sibling: moves behind that group
    tree.removeSequence(g);
    expect(order()).toBe('3:2 2:2 1:2'); // 3's next sibling counts 2 already: stays, heading the group
    expect(tree.checkIntegrity()).toBe('');
  });

  it('path and tree drafts follow the sibling order, worked by hand', () => {
    // 1 3 1 2 1: the children of "1" are 3 then 2 (creation order), one occurrence each.
    const seq = [1, 3, 1, 2, 1];
    const tree = new SuffixTree(64);
    const id = tree.openSequence();
    for (const t of seq) tree.append(id, t);
    for (const mode of [false, true]) {
      const d = tree.speculate(seq, seq.length, { maxSpecTokens: 8, alpha: 1, offset: 0, minTokenProb: 0.1, tree: mode });
      // m = 1 ("1", 3 occurrences): one token at 1/3; the head child is 3, not the lower id 2.
      expect(Array.from(d.tokens.subarray(0, d.count))).toEqual([3]);
      expect(d.probs[0]).toBe(Math.fround(1 / 3));
      expect(d.matchLength).toBe(1);
    }
    // With α = 4 (m = 1 allows 4 tokens) the tree holds both branches. By hand, as suffix_tree.cc runs it:
    // the match item sits at the end of "1"'s run, so popping it pushes "3…" then "2…" (sibling order) at
    // 1/3. Heap [3, 2]: pop 3 (draft 0), push its next position "1" (1/3): a tie does not move up, so
    // [2, 1@3]; pop 2 (draft 1), push "1"@2 → [1@3, 1@2]; pop 1@3 (draft 2 under 0), then 1@2 (draft 3
    // under 1). Longer matches ("2 1", …) occur only at the end and draft nothing.
    const d = tree.speculate(seq, seq.length, { maxSpecTokens: 8, alpha: 4, offset: 0, minTokenProb: 0.1, tree: true });
    expect(Array.from(d.tokens.subarray(0, d.count))).toEqual([3, 2, 1, 1]);
    expect(Array.from(d.parents.subarray(0, d.count))).toEqual([-1, -1, 0, 1]);
    expect(d.matchLength).toBe(1);
    const ref = new ReferenceTrie(64);
    for (const t of seq) ref.append(0, t);
    const want = ref.speculate(seq, { maxSpecTokens: 8, alpha: 4, offset: 0, minTokenProb: 0.1, tree: true });
    expect(want.tokens).toEqual([3, 2, 1, 1]);
    expect(want.parents).toEqual([-1, -1, 0, 1]);
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
