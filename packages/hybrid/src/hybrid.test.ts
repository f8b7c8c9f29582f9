import { AutoregressiveDrafter, DecodeLoop } from '@trbench/core';
import { BigramModel } from '@trbench/core/testing';
import { describe, expect, it } from 'vitest';
import { CostModel } from './cost-model.ts';
import { HYBRID_DEFAULTS } from './defaults.ts';
import { HybridDrafter, type HybridOptions } from './hybrid.ts';

// Drafting logic on a mock model (losslessness on the real model is proven in the runner's proofs).
const V = 64;
const next = (t: number) => (t * 7 + 3) % V;
const model = () => new BigramModel({ vocabSize: V, next, topK: 8, maxDraftNodes: 81 });
const hybrid = (o: Partial<HybridOptions> = {}) =>
  new HybridDrafter({ ...HYBRID_DEFAULTS, vocabSize: V, cost: CostModel.flat(81), pairSlots: 256, ...o });
const PROMPTS = [Int32Array.of(1, 2, 3), Int32Array.of(5, 9), Int32Array.of(1, 2, 3)];

function run(drafter: HybridDrafter, m = model()) {
  const spec = new DecodeLoop(m, drafter);
  const plain = new DecodeLoop(m, new AutoregressiveDrafter());
  let tokens = 0;
  let steps = 0;
  for (const p of PROMPTS) {
    const want = plain.generate(p, { maxNewTokens: 40 });
    const got = spec.generate(p, { maxNewTokens: 40 });
    expect(Array.from(got.tokens)).toEqual(Array.from(want.tokens));
    tokens += got.tokens.length;
    steps += got.steps;
  }
  return { mat: tokens / steps, model: m };
}

describe('HybridDrafter', () => {
  it('reproduces plain decoding and drafts deep once its rows know the model', () => {
    const d = hybrid();
    const { mat } = run(d);
    expect(mat).toBeGreaterThan(3);
    expect(d.lastDraftSource).toBe('hybrid');
  });

  it('every piece can be switched off and it stays lossless', () => {
    for (const off of ['rows', 'pairs', 'probs', 'local', 'global', 'logits', 'calibrate', 'sizing'] as const) {
      run(hybrid({ [off]: false }));
    }
    // With no source at all it decodes plainly.
    const none = hybrid({ rows: false, pairs: false, local: false, global: false, logits: false });
    expect(run(none).mat).toBe(1);
    expect(none.lastDraftSource).toBe('none');
  });

  it('takes plain steps when the cost curve says no draft pays', () => {
    // t(2)/t(1) = 3: even a certain draft token is not worth a node.
    const d = hybrid({ cost: CostModel.linear(81, 2) });
    const { model: m, mat } = run(d);
    expect(mat).toBe(1);
    expect(new Set(m.evaluatedSizes)).toEqual(new Set([1]));
    expect(d.lastDraftSource).toBe('none');
  });

  it('sizes the tree by the cost: a dearer node gives a smaller tree', () => {
    const sizes = (slope: number) => {
      const m = model();
      run(hybrid({ cost: CostModel.linear(81, slope) }), m);
      return m.evaluatedSizes.reduce((a, b) => a + b, 0) / m.evaluatedSizes.length;
    };
    expect(sizes(0.2)).toBeLessThan(sizes(0.001));
  });

  it('is deterministic and records what it is', () => {
    const a = run(hybrid()).mat;
    expect(run(hybrid()).mat).toBe(a);
    expect(hybrid().params).toMatchObject({ maxNodes: 81, cost: { kind: 'flat' }, calibrate: true });
  });
});
