import { describe, expect, it } from 'vitest';
import { SuffixAutomaton } from './automaton.ts';

/** xorshift32: reproducible random strings without Math.random. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

function randomText(n: number, alphabet: number, seed: number, skew = false): Int32Array {
  const r = rng(seed);
  const out = new Int32Array(n);
  // Skewed strings (a few hot tokens out of a large alphabet) have long repeats even at V = 32,000.
  for (let i = 0; i < n; i++) out[i] = skew && r() < 0.8 ? Math.floor(r() * 6) : Math.floor(r() * alphabet);
  return out;
}

/** End (1-indexed) of the first occurrence of s[a..b) in s[0..limit), or -1. */
function firstEnd(s: Int32Array, a: number, b: number, limit: number): number {
  const m = b - a;
  for (let end = m; end <= limit; end++) {
    let ok = true;
    for (let j = 0; j < m && ok; j++) ok = s[end - m + j] === s[a + j];
    if (ok) return end;
  }
  return -1;
}

/** Occurrences of s[a..b) in s[0..limit). */
function occurrences(s: Int32Array, a: number, b: number, limit: number): number {
  const m = b - a;
  let n = 0;
  for (let end = m; end <= limit; end++) {
    let ok = true;
    for (let j = 0; j < m && ok; j++) ok = s[end - m + j] === s[a + j];
    if (ok) n++;
  }
  return n;
}

/** Brute force: longest suffix of s[0..n) that occurs in s[0..n-1) (ending anywhere there). */
function longestEarlierSuffix(s: Int32Array, n: number): number {
  for (let len = n - 1; len > 0; len--) if (firstEnd(s, n - len, n, n - 1) >= 0) return len;
  return 0;
}

const CASES: [alphabet: number, n: number, seeds: number, skew: boolean][] = [
  [2, 300, 4, false],
  [3, 300, 4, false],
  [4, 250, 4, false],
  [8, 250, 4, false],
  [32_000, 250, 3, false],
  [32_000, 300, 3, true],
];

describe('SuffixAutomaton against brute force', () => {
  for (const [alphabet, n, seeds, skew] of CASES) {
    it(`alphabet ${alphabet}${skew ? ' (skewed)' : ''}: match state after every commit = longest earlier suffix`, () => {
      for (let seed = 1; seed <= seeds; seed++) {
        const s = randomText(n, alphabet, seed * 7919 + alphabet, skew);
        const sam = new SuffixAutomaton(8); // tiny on purpose: growth is exercised
        for (let i = 0; i < n; i++) {
          // A lookup (nothing moves) predicts what the commit will do.
          sam.lookup(s[i]);
          const looked = [sam.outState, sam.outLength];
          sam.commit(s[i]);
          expect([sam.matchState, sam.matchLength]).toEqual(looked);
          const len = longestEarlierSuffix(s, i + 1);
          expect(sam.matchLength, `seed ${seed}, position ${i + 1}`).toBe(len);
          if (len > 0) {
            // The match state's minEndpos is an earlier occurrence of the matched suffix.
            const end = sam.minEndpos[sam.matchState];
            expect(end).toBeLessThanOrEqual(i);
            for (let j = 0; j < len; j++) expect(s[end - len + j]).toBe(s[i + 1 - len + j]);
          } else {
            expect(sam.matchState).toBe(0);
          }
        }
        expect(sam.textLength).toBe(n);
        expect(sam.stateCount).toBeLessThanOrEqual(2 * n);
        expect(sam.edgeCount).toBeLessThanOrEqual(3 * n);
      }
    });

    it(`alphabet ${alphabet}${skew ? ' (skewed)' : ''}: every substring is found, with its first occurrence and |endpos|`, () => {
      const s = randomText(Math.min(n, 160), alphabet, 17 + alphabet, skew);
      const m = s.length;
      const sam = SuffixAutomaton.of(s);
      const cnt = sam.endposCounts();
      for (let a = 0; a < m; a++) {
        let state = 0;
        for (let b = a + 1; b <= Math.min(m, a + 24); b++) {
          state = sam.get(state, s[b - 1]);
          expect(state).toBeGreaterThan(0);
          // A walk from the root reaches the canonical state: minEndpos = first occurrence, cnt = occurrences.
          expect(sam.minEndpos[state]).toBe(firstEnd(s, a, b, m));
          expect(cnt[state]).toBe(occurrences(s, a, b, m));
          expect(sam.length[state]).toBeGreaterThanOrEqual(b - a);
          expect(sam.length[sam.link[state]]).toBeLessThan(b - a);
        }
      }
      // A token that never occurs has no transition from the root; a substring that does not occur is refused.
      expect(sam.get(0, alphabet + 5)).toBe(-1);
    });
  }

  it('transfer backs off along suffix links exactly as the authors do', () => {
    // text: x a b y a b z (x=1 a=2 b=3 y=4 z=5); match "x a b", then look z, y and an unseen token up.
    const sam = new SuffixAutomaton();
    for (const t of [1, 2, 3, 4, 2, 3, 5]) sam.extend(t);
    sam.resetMatch();
    for (const t of [1, 2, 3]) sam.advance(t);
    expect(sam.matchLength).toBe(3);
    sam.lookup(5); // "x a b z" never occurs: back off to "a b", whose "a b z" ends at 7
    expect([sam.outLength, sam.minEndpos[sam.outState]]).toEqual([3, 7]);
    sam.lookup(4); // "x a b y" ends at 4
    expect([sam.outLength, sam.minEndpos[sam.outState]]).toEqual([4, 4]);
    sam.lookup(9); // no suffix continues with 9
    expect([sam.outState, sam.outLength]).toEqual([0, 0]);
    expect(sam.matchLength).toBe(3); // lookups move nothing
  });

  it("transitions keep the insertion order of the authors' dicts (a clone copies its source in order)", () => {
    const sam = SuffixAutomaton.of([5, 7, 5, 9, 5, 7, 3]);
    const order = (state: number) => {
      const out: number[] = [];
      for (let e = sam.firstEdge[state]; e >= 0; e = sam.edgeNext[e]) out.push(sam.edgeToken[e]);
      return out;
    };
    expect(order(0)).toEqual([5, 7, 9, 3]);
    expect(order(sam.get(0, 5))).toEqual([7, 9]);
  });

  it('clear() empties it for the next request and keeps working', () => {
    const sam = SuffixAutomaton.of([1, 2, 3, 1, 2, 3]);
    sam.clear();
    expect(sam.stateCount).toBe(1);
    expect(sam.get(0, 1)).toBe(-1);
    for (const t of [4, 4, 4]) sam.commit(t);
    expect(sam.matchLength).toBe(2);
    expect(sam.get(0, 4)).toBeGreaterThan(0);
  });
});
