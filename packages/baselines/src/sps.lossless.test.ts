import type { LlamaCppModel } from '@trbench/backend-llama-cpp';
import { openStories260K as openLlama } from '@trbench/backend-llama-cpp/testing';
import { DecodeLoop } from '@trbench/core';
import { parseTemplate } from '@trbench/token-recycling';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpsDrafter, type SpsOptions, spsDraftModelRequirements } from './sps.ts';
import { compareWithReference, type PreparedPrompt, prepareSuite } from './testing/lossless-harness.ts';
import { openStories260K } from './testing/open-stories.ts';
import { specBenchFirstTurns, storySuite } from './testing/suites.ts';

// End-to-end on the real stories260K model (llama.cpp, CPU): draft-model speculation reproduces plain
// greedy decoding token for token. With stories260K as its own draft the draft is the target, so every
// step must accept every draft (MAT = γ + 1): a rollback or catch-up that puts one wrong token in the
// draft model's cache breaks that at once.
const MAX_NEW = 200;
let target: LlamaCppModel;
let stories: PreparedPrompt[];
let specBench: PreparedPrompt[];
const drafts: LlamaCppModel[] = [];

beforeAll(async () => {
  target = (await openStories260K(65)).model;
  stories = prepareSuite(target, storySuite(), MAX_NEW);
  specBench = prepareSuite(target, await specBenchFirstTurns(16), MAX_NEW);
});

afterAll(() => {
  for (const d of drafts) d.dispose();
  target?.dispose();
});

async function selfDrafter(options: Pick<SpsOptions, 'gamma' | 'tree'>): Promise<SpsDrafter> {
  const needs = spsDraftModelRequirements(options);
  const { model } = await openLlama({ ...needs, exposeLogits: true });
  drafts.push(model);
  return new SpsDrafter(model, { ...options, vocabSize: target.info.vocabSize, draftModelLabel: 'stories260K' });
}

describe('sps with stories260K as its own draft', () => {
  for (const gamma of [1, 4, 7]) {
    it(`gamma ${gamma}: identical to plain decoding, every draft accepted`, async () => {
      const drafter = await selfDrafter({ gamma, tree: null });
      const s = compareWithReference(target, drafter, stories, MAX_NEW);
      expect(s.divergences).toEqual([]);
      expect(s.identical).toBe(48);
      console.log(`gamma ${gamma}: MAT ${s.mat.toFixed(3)} over ${s.steps} steps`);
      // Only a request's last step (cut by EOS or the token limit) may commit fewer than γ + 1.
      expect(s.mat).toBeGreaterThan(gamma + 1 - (48 * gamma) / s.steps - 1e-9);
    });
  }

  it('tree greedy:16:4: identical to plain decoding, the rank-0 path always accepted', async () => {
    const tree = parseTemplate('greedy:16:4', 4);
    expect(tree.paths).toContainEqual([0, 0, 0, 0]);
    const drafter = await selfDrafter({ gamma: 4, tree });
    const s = compareWithReference(target, drafter, stories, MAX_NEW);
    expect(s.divergences).toEqual([]);
    console.log(`tree greedy:16:4: MAT ${s.mat.toFixed(3)} over ${s.steps} steps`);
    expect(s.mat).toBeGreaterThan(5 - (48 * 4) / s.steps - 1e-9);
    const b = compareWithReference(target, drafter, specBench, MAX_NEW);
    expect(b.divergences).toEqual([]);
  });

  it('Spec-Bench first turns that fit: identical', async () => {
    const drafter = await selfDrafter({ gamma: 4, tree: null });
    const b = compareWithReference(target, drafter, specBench, MAX_NEW);
    expect(b.divergences).toEqual([]);
    expect(b.identical + b.skipped).toBe(specBench.length);
  });
});

describe('draft time lands in the draft share of the step', () => {
  it('draftMs is positive and the step count matches MAT', async () => {
    const drafter = await selfDrafter({ gamma: 4, tree: null });
    const r = new DecodeLoop(target, drafter).generate(stories[0].ids, { maxNewTokens: 100 });
    expect(r.timing.draftMs).toBeGreaterThan(0);
    expect(Array.from(r.tokens)).toEqual(Array.from(stories[0].reference.subarray(0, 100)));
  });
});
