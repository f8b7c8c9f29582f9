import { describe, expect, it } from 'vitest';
import {
  expWeightAt,
  expWeights,
  expWeightsSum,
  logSumExpWithMax,
  Predictions,
  rankLogitsRow,
  rankLogitsRows,
  rowMax,
} from './predictions.ts';
import { RankKernel } from './rank-kernel.ts';
import { referenceLogSumExp, referenceTopK } from './testing/rank-reference.ts';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Rows of many kinds: LLM-like, heavy ties, all equal, ±0, −Infinity, NaN, ascending (worst case for the skip). */
function makeRow(kind: number, vocab: number, rnd: () => number): Float32Array {
  const row = new Float32Array(vocab);
  for (let t = 0; t < vocab; t++) {
    switch (kind) {
      case 0: // bell-shaped with a few strong peaks, as an LLM's logits
        row[t] = (rnd() + rnd() + rnd() + rnd() - 2) * 3 + (rnd() < 0.002 ? 12 * rnd() : 0);
        break;
      case 1: // heavy ties
        row[t] = Math.floor(rnd() * 6) - 3;
        break;
      case 2: // all equal
        row[t] = 1.5;
        break;
      case 3: // signed zeros and a few ones
        row[t] = rnd() < 0.5 ? -0 : rnd() < 0.99 ? 0 : 1;
        break;
      case 4: // −Infinity everywhere
        row[t] = -Infinity;
        break;
      case 5: // NaN and −Infinity sprinkled into ties
        row[t] = rnd() < 0.3 ? Number.NaN : rnd() < 0.3 ? -Infinity : Math.floor(rnd() * 4);
        break;
      case 6: // ascending: every block enters the top-k
        row[t] = t * 0.001;
        break;
      default: // mostly NaN: fewer numbers than k
        row[t] = rnd() < 0.995 ? Number.NaN : rnd();
    }
  }
  return row;
}

function expectRanked(out: Predictions, row: number, logits: Float32Array, vocab: number): void {
  const k = out.k;
  const want = referenceTopK(logits, Math.min(k, vocab));
  const got = Array.from(out.topIds.subarray(row * k, row * k + want.ids.length));
  expect(got).toEqual(want.ids);
  // bit-identical logits (Object.is tells −0 from +0 and matches NaN)
  want.logits.forEach((v, i) => expect(Object.is(out.topLogits[row * k + i], Math.fround(v))).toBe(true));
  expect(out.argmax[row]).toBe(want.ids[0]);
}

describe('rankLogitsRow', () => {
  it('orders by logit, ties by lower token id', () => {
    const logits = new Float32Array([1, 3, 3, 0, 3, -1, 2]);
    const out = new Predictions(2, 4);
    rankLogitsRow(logits, 0, 7, out, 1, true);
    expect(Array.from(out.topIds.subarray(4, 8))).toEqual([1, 2, 4, 6]);
    expect(out.argmax[1]).toBe(1);
    const lse = Math.log(Array.from(logits).reduce((s, v) => s + Math.exp(v), 0));
    expect(out.logSumExp[1]).toBeCloseTo(lse, 6);
  });

  it('matches the sort-based reference bit for bit on small rows, including heavy ties', () => {
    const rnd = lcg(12345);
    for (let trial = 0; trial < 300; trial++) {
      const vocab = 1 + Math.floor(rnd() * 60);
      const k = 1 + Math.floor(rnd() * 10);
      const row = makeRow(trial % 8, vocab, rnd);
      const out = new Predictions(1, k);
      rankLogitsRow(row, 0, vocab, out, 0, false);
      expectRanked(out, 0, row, vocab);
    }
  });

  it('uses the SIMD kernel here (the property tests below exercise it, not only the fallback)', () => {
    expect(RankKernel.get()).not.toBeNull();
  });

  it('matches the reference on wide rows of every kind, every k, at any offset and row count', () => {
    const rnd = lcg(777);
    for (let trial = 0; trial < 60; trial++) {
      const vocab = [2048, 2051, 4099, 9000, 32000][trial % 5];
      const k = [1, 2, 8, 10, 16, 17, 33][trial % 7];
      const rows = 1 + (trial % 3);
      const pad = trial % 5; // unaligned offsets force the copy path
      const all = new Float32Array(pad + rows * vocab);
      const kinds: number[] = [];
      for (let r = 0; r < rows; r++) {
        const kind = (trial + r) % 8;
        kinds.push(kind);
        all.set(makeRow(kind, vocab, rnd), pad + r * vocab);
      }
      const out = new Predictions(rows + 1, k);
      rankLogitsRows(all, pad, vocab, rows, out, 1, true);
      for (let r = 0; r < rows; r++) {
        const row = all.subarray(pad + r * vocab, pad + (r + 1) * vocab);
        expectRanked(out, r + 1, row, vocab);
        const want = referenceLogSumExp(row);
        const got = out.logSumExp[r + 1];
        if (!Number.isFinite(want)) expect(got).toBe(want);
        else expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want)));
      }
    }
  });

  it('pads rows when the vocabulary is smaller than k', () => {
    const out = new Predictions(1, 5);
    rankLogitsRow(new Float32Array([0.5, 2]), 0, 2, out, 0, false);
    expect(Array.from(out.topIds)).toEqual([1, 0, 1, 1, 1]);
    expect(Array.from(out.topLogits)).toEqual([2, 0.5, -Infinity, -Infinity, -Infinity]);
  });

  it('gives the same answer when the row already sits in the kernel memory (no copy)', () => {
    const kernel = RankKernel.get() as RankKernel;
    const vocab = 9000;
    const rnd = lcg(9);
    const row = makeRow(0, vocab, rnd);
    kernel.reserve((1 << 20) + vocab * 4);
    const inPlace = kernel.floats.subarray(1 << 18, (1 << 18) + vocab);
    inPlace.set(row);
    const a = new Predictions(1, 8);
    const b = new Predictions(1, 8);
    rankLogitsRow(inPlace, 0, vocab, a, 0, true);
    rankLogitsRow(row, 0, vocab, b, 0, true);
    expect(Array.from(a.topIds)).toEqual(Array.from(b.topIds));
    expect(a.logSumExp[0]).toBe(b.logSumExp[0]);
  });
});

describe('logSumExpWithMax', () => {
  it('is within 1e-6 relative of the plain f64 sum for temperatures and spreads of every size', () => {
    const rnd = lcg(4242);
    for (const vocab of [3, 255, 512, 32000, 128256]) {
      for (const scale of [0.01, 1, 30, 300]) {
        const row = new Float32Array(vocab);
        for (let t = 0; t < vocab; t++) row[t] = (rnd() - 0.5) * scale;
        let max = -Infinity;
        for (const v of row) max = Math.max(max, v);
        for (const T of [0.3, 1, 2.5]) {
          const want = referenceLogSumExp(row, 1 / T);
          const got = logSumExpWithMax(row, 0, vocab, max, 1 / T);
          expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want)));
        }
      }
    }
  });
});

describe('rowMax, expWeightsSum and expWeightAt (the lazy distribution reads these instead of written weights)', () => {
  it("rowMax is the scalar loop's maximum on rows of every kind and length, at any offset", () => {
    const rnd = lcg(21);
    for (const vocab of [5, 255, 256, 1000, 8199, 32000, 32011]) {
      for (let kind = 0; kind < 8; kind++) {
        const row = makeRow(kind, vocab, rnd);
        const offset = Math.floor(rnd() * 5);
        const padded = new Float32Array(vocab + offset);
        padded.set(row, offset);
        let want = Number.NEGATIVE_INFINITY;
        for (let t = 0; t < vocab; t++) if (row[t] > want) want = row[t];
        expect(rowMax(padded, offset, vocab)).toBe(want);
      }
    }
  });

  it("give expWeights' sum and each of its weights bit for bit", () => {
    const rnd = lcg(22);
    for (const vocab of [257, 1003, 8195, 32000]) {
      for (const kind of [0, 1, 3, 5]) {
        const row = makeRow(kind, vocab, rnd);
        const max = rowMax(row, 0, vocab);
        for (const invT of [1, 1 / 0.7, 1 / 1.3]) {
          const weights = new Float64Array(vocab);
          const sum = expWeights(row, 0, vocab, max, invT, weights);
          expect(Object.is(expWeightsSum(row, 0, vocab, max, invT), sum)).toBe(true);
          const probes = vocab <= 1003 ? vocab : 600;
          for (let i = 0; i < probes; i++) {
            const token = vocab <= 1003 ? i : i < 8 ? vocab - 1 - i : Math.floor(rnd() * vocab);
            expect(Object.is(expWeightAt(row, 0, vocab, token, max, invT), weights[token])).toBe(true);
          }
        }
      }
    }
  });
});
