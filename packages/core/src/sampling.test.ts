import { describe, expect, it } from 'vitest';
import { ProcessedDistribution, Rng, validateSampling } from './sampling.ts';

function reference(logits: number[], t: number, topK: number, topP: number): Map<number, number> {
  const order = logits.map((v, id) => ({ v, id })).sort((x, y) => y.v - x.v || x.id - y.id);
  const kept = topK > 0 ? order.slice(0, topK) : order;
  const max = kept[0].v;
  const w = kept.map((e) => Math.exp((e.v - max) / t));
  const total = w.reduce((a, b) => a + b, 0);
  let size = kept.length;
  let cum = 0;
  for (let i = 0; i < kept.length; i++) {
    cum += w[i];
    if (cum >= topP * total) {
      size = i + 1;
      break;
    }
  }
  const mass = w.slice(0, size).reduce((a, b) => a + b, 0);
  return new Map(kept.slice(0, size).map((e, i) => [e.id, w[i] / mass]));
}

describe('Rng', () => {
  it('is reproducible per seed and roughly uniform', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const xs = Array.from({ length: 10000 }, () => a.next());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b.next()));
    expect(new Rng(8).next()).not.toBe(xs[0]);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });
});

describe('ProcessedDistribution', () => {
  it('applies temperature, top-k and top-p like a direct computation', () => {
    let seed = 99;
    const rnd = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    const d = new ProcessedDistribution(40);
    for (let trial = 0; trial < 100; trial++) {
      const logits = Array.from(Float32Array.from({ length: 40 }, () => Math.round(rnd() * 80) / 10 - 4));
      const t = 0.3 + rnd() * 1.5;
      const topK = [0, 1, 5, 17][trial % 4];
      const topP = [1, 0.9, 0.5, 0.99][(trial >> 2) % 4];
      d.build(Float32Array.from(logits), 0, { temperature: t, topK, topP, seed: 0 });
      const want = reference(logits, t, topK, topP);
      expect(d.size).toBe(want.size);
      for (let id = 0; id < 40; id++) expect(d.probability(id)).toBeCloseTo(want.get(id) ?? 0, 9);
    }
  });

  it('on wide vocabularies (the SIMD paths) it still matches the direct computation', () => {
    let seed = 5;
    const rnd = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    for (const V of [300, 9001, 32000]) {
      const d = new ProcessedDistribution(V);
      for (let trial = 0; trial < 6; trial++) {
        const logits = Array.from(Float32Array.from({ length: V }, () => (trial === 5 ? Math.floor(rnd() * 3) : (rnd() - 0.5) * 20)));
        const t = [1, 0.5, 1.7][trial % 3];
        const topK = [0, 8, 40][trial % 3];
        const topP = trial === 4 ? 0.9 : 1;
        d.build(Float32Array.from(logits), 0, { temperature: t, topK, topP, seed: 0 });
        const want = reference(logits, t, topK, topP);
        expect(d.size).toBe(want.size);
        // Against the f64 reference: Math.exp paths within 1e-9; the f32 SIMD exp of temperature-only rows
        // within its documented (2 + |d|)·1.2e-7 per weight, d = (x − max)/T, plus its ~1e-6 on the normaliser.
        const simdExp = topK === 0 && topP >= 1 && V >= 256;
        const max = Math.max(...logits);
        let worst = 0;
        for (let id = 0; id < V; id++) {
          const q = want.get(id) ?? 0;
          const p = d.probability(id);
          const bound = simdExp ? (2 + Math.abs((logits[id] - max) / t)) * 1.2e-7 + 1e-6 : 1e-9;
          worst = Math.max(worst, (q > 0 ? Math.abs(p / q - 1) : p) / bound);
        }
        expect(worst).toBeLessThanOrEqual(1);
        if (topK > 0) expect(Array.from(d.ids.subarray(0, d.size))).toEqual([...want.keys()]);
      }
    }
  });

  it('removing a token renormalises the rest and sampling follows the residual', () => {
    const d = new ProcessedDistribution(4);
    d.build(Float32Array.from([Math.log(4), Math.log(3), Math.log(2), Math.log(1)]), 0, { temperature: 1, topK: 0, topP: 1, seed: 0 });
    expect(d.probability(0)).toBeCloseTo(0.4, 6);
    d.remove(0);
    expect(d.probability(1)).toBeCloseTo(0.5, 6);
    expect(d.probability(0)).toBe(0);
    const rng = new Rng(1);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 6000; i++) counts[d.sample(rng)]++;
    expect(counts[0]).toBe(0);
    expect(counts[1] / 6000).toBeCloseTo(0.5, 1);
    expect(counts[3] / 6000).toBeCloseTo(1 / 6, 1);
  });

  it('a temperature-only row read lazily behaves bit for bit as its written weights (probabilities, removals, samples)', () => {
    let seed = 9;
    const rnd = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    for (const V of [1003, 32000]) {
      for (const removals of [0, 3, 40]) {
        const logits = Float32Array.from({ length: V }, () => (rnd() - 0.5) * 16);
        const options = { temperature: 0.8, topK: 0, topP: 1, seed: 0 };
        const lazy = new ProcessedDistribution(V);
        const eager = new ProcessedDistribution(V);
        lazy.build(logits, 0, options);
        eager.build(logits, 0, options);
        void eager.weights; // reading the weights writes them: from here on `eager` runs the written path
        const tokens = Array.from({ length: removals }, (_, i) => (i === 2 ? 0 : Math.floor(rnd() * V)));
        for (const x of tokens) {
          expect(lazy.probability(x)).toBe(eager.probability(x));
          lazy.remove(x);
          eager.remove(x);
          expect(lazy.mass).toBe(eager.mass);
          expect(lazy.probability(x)).toBe(0);
        }
        const probe = Math.floor(rnd() * V);
        expect(lazy.probability(probe)).toBe(eager.probability(probe));
        const a = new Rng(3);
        const b = new Rng(3);
        expect(lazy.sample(a)).toBe(eager.sample(b));
        expect(Array.from(lazy.weights)).toEqual(Array.from(eager.weights));
      }
    }
  });

  it('rejects bad options', () => {
    expect(() => validateSampling({ temperature: -1, topK: 0, topP: 1, seed: 0 })).toThrow(/temperature/);
    expect(() => validateSampling({ temperature: 1, topK: 0, topP: 0, seed: 0 })).toThrow(/top-p/);
    expect(() => validateSampling({ temperature: 1, topK: 1.5, topP: 1, seed: 0 })).toThrow(/top-k/);
  });
});
