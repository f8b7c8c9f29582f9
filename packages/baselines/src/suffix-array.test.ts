import { InterruptedError, Rng } from '@trbench/core';
import { describe, expect, it } from 'vitest';
import { buildSuffixArray, buildSuffixArrayAsync, suffixRange } from './suffix-array.ts';
import { nextInt } from './testing/random.ts';

function naiveSuffixArray(text: number[]): number[] {
  const idx = text.map((_, i) => i);
  idx.sort((a, b) => {
    for (let k = 0; ; k++) {
      if (a + k >= text.length) return b + k >= text.length ? 0 : -1;
      if (b + k >= text.length) return 1;
      if (text[a + k] !== text[b + k]) return text[a + k] - text[b + k];
    }
  });
  return idx;
}

describe('buildSuffixArray', () => {
  it('matches a naive sort on random texts, repetitive ones included', () => {
    const rng = new Rng(42);
    for (let trial = 0; trial < 60; trial++) {
      const alphabet = 1 + (trial % 5);
      const n = nextInt(rng, 200);
      const text = Array.from({ length: n }, () => nextInt(rng, alphabet));
      expect(Array.from(buildSuffixArray(Int32Array.from(text), alphabet))).toEqual(naiveSuffixArray(text));
    }
  });

  it('handles a periodic text and the empty text', () => {
    const text = Array.from({ length: 64 }, (_, i) => i % 3);
    expect(Array.from(buildSuffixArray(Int32Array.from(text), 3))).toEqual(naiveSuffixArray(text));
    expect(buildSuffixArray(new Int32Array(0), 5).length).toBe(0);
  });

  it('rejects tokens outside the alphabet', () => {
    expect(() => buildSuffixArray(Int32Array.from([0, 7]), 5)).toThrow(/outside/);
  });
});

describe('suffixRange', () => {
  it('finds exactly the occurrences of the query', () => {
    const rng = new Rng(9);
    const text = Int32Array.from({ length: 500 }, () => nextInt(rng, 4));
    const sa = buildSuffixArray(text, 4);
    const range = { lo: 0, hi: 0 };
    for (let trial = 0; trial < 100; trial++) {
      const len = 1 + nextInt(rng, 6);
      const query = Int32Array.from({ length: len }, () => nextInt(rng, 4));
      const n = suffixRange(text, sa, query, 0, len, range);
      const found = Array.from(sa.subarray(range.lo, range.hi)).sort((a, b) => a - b);
      const expected: number[] = [];
      for (let p = 0; p + len <= text.length; p++) if (query.every((t, j) => text[p + j] === t)) expected.push(p);
      expect(n).toBe(expected.length);
      expect(found).toEqual(expected);
    }
  });
});

describe('buildSuffixArrayAsync', () => {
  const periodic = Int32Array.from({ length: 5000 }, (_, i) => (i % 37) % 5);

  it('gives the synchronous array and reports rounds until every suffix is told apart', async () => {
    const rounds: number[] = [];
    const sa = await buildSuffixArrayAsync(periodic, 5, { onRound: (sorted) => rounds.push(sorted) });
    expect(Array.from(sa)).toEqual(Array.from(buildSuffixArray(periodic, 5)));
    expect(rounds.length).toBeGreaterThan(3);
    expect(rounds[rounds.length - 1]).toBe(periodic.length);
  });

  it('stops between rounds once its signal is aborted', async () => {
    const controller = new AbortController();
    const building = buildSuffixArrayAsync(periodic, 5, {
      signal: controller.signal,
      onRound: () => controller.abort(new InterruptedError('SIGTERM')),
    });
    await expect(building).rejects.toMatchObject({ name: 'InterruptedError', signal: 'SIGTERM' });
  });
});
