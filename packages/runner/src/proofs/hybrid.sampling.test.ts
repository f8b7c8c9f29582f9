import { AutoregressiveDrafter, DecodeLoop, type Drafter, type SamplingOptions, type TargetModel, type Verifier } from '@trbench/core';
import { gTestHomogeneity, proofScale } from '@trbench/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDrafter } from '../methods/index.ts';
import { openModel } from '../models/open-model.ts';

// Statistical proof on the real model (llama.cpp) that the hybrid drafter's trees, verified by the tree
// sampling verifier, leave the output law of plain sampling unchanged: the joint law of the next two tokens
// over seeded generations, G-test of homogeneity (as Token Recycling's and SpS's sampling proofs). The drafter
// is warmed on a few greedy stories first, so its rows, suffix trees and calibration draft real trees.
let model: TargetModel;
let sha256 = '';
const SAMPLES = proofScale(1000, 2500);
const CONTEXTS = ['She saw a', 'He was very'];

beforeAll(async () => {
  const opened = await openModel({
    model: 'stories260K',
    backend: 'llama.cpp',
    threads: 1,
    maxDraftNodes: 81,
    topK: 8,
    exposeLogits: true,
  });
  model = opened.model;
  sha256 = opened.resolved.sha256;
});
afterAll(() => model?.dispose());

async function hybrid(): Promise<Drafter> {
  const d = await createDrafter(
    'hybrid',
    { cost: 'flat' },
    { vocabSize: model.info.vocabSize, modelSha256: sha256, modelName: 'stories260K', model },
  );
  const warm = new DecodeLoop(model, d);
  for (const text of ['Once upon a time, there was a little girl', 'One day, a boy named Tim', 'She saw a big', 'He was very happy'])
    warm.generate(model.tokenize(text, true), { maxNewTokens: 64 });
  return d;
}

function jointCounts(drafter: Drafter, context: string, sampling: Omit<SamplingOptions, 'seed'>, seedBase: number, verifier?: Verifier) {
  const loop = new DecodeLoop(model, drafter);
  const prompt = model.tokenize(context, true);
  const counts = new Map<string, number>();
  let steps = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const r = loop.generate(prompt, {
      maxNewTokens: 2,
      stopAtEndOfGeneration: false,
      sampling: { ...sampling, seed: seedBase + i },
      verifier,
    });
    steps += r.steps;
    const key = Array.from(r.tokens).join(',');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return { counts, steps };
}

describe('lossless speculative sampling with hybrid trees', { timeout: proofScale(900_000, 0) }, () => {
  for (const temperature of proofScale([1.0], [0.7, 1.0])) {
    const sampling = { temperature, topK: 0, topP: 0.9 };
    it(`T = ${temperature}, top-p 0.9: the joint law of the next 2 tokens equals plain sampling`, async () => {
      for (const context of proofScale(CONTEXTS.slice(0, 1), CONTEXTS)) {
        const plain = jointCounts(new AutoregressiveDrafter(), context, sampling, 1_000_000);
        const speculative = jointCounts(await hybrid(), context, sampling, 2_000_000);
        const test = gTestHomogeneity(plain.counts, speculative.counts);
        expect(test.categories, 'enough distinct outcomes for the test to have power').toBeGreaterThan(5);
        console.log(
          `T=${temperature} ${JSON.stringify(context)}: G = ${test.g.toFixed(2)}, df = ${test.df}, p = ${test.pValue.toFixed(4)}, ` +
            `${speculative.steps} speculative steps for ${2 * SAMPLES} tokens`,
        );
        // Not vacuous: some drafts were accepted (fewer steps than tokens).
        expect(speculative.steps).toBeLessThan(2 * SAMPLES);
        expect(test.pValue, `G = ${test.g.toFixed(1)}, df = ${test.df}, context ${JSON.stringify(context)}`).toBeGreaterThan(1e-3);
      }
    });
  }
});
