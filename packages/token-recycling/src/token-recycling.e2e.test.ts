import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSpecBenchQuestions, loadStorySuite } from '@trbench/assets';
import type { LlamaCppModel } from '@trbench/backend-llama-cpp';
import { openStories260K } from '@trbench/backend-llama-cpp/testing';
import { AutoregressiveDrafter, DecodeLoop, type Drafter } from '@trbench/core';
import { proofProgress, proofScale } from '@trbench/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTemplate } from './template.ts';
import { TokenRecyclingDrafter, type TokenRecyclingOptions } from './token-recycling.ts';

// End-to-end on the real stories260K model through llama.cpp: losslessness is proven here, not on a mock.
// `npm test` runs each proof on a spread part of its suite; `npm run test:lossless` (CI) on all of it.
let model: LlamaCppModel;
let sha: string;
const NEW_TOKENS = 200;

beforeAll(async () => {
  const opened = await openStories260K({ maxDraftNodes: 81, topK: 16 });
  model = opened.model;
  sha = opened.resolved.sha256;
});
afterAll(() => model?.dispose());

function tr(options: Partial<TokenRecyclingOptions> & { templateSpec?: string } = {}): TokenRecyclingDrafter {
  const k = options.k ?? 8;
  return new TokenRecyclingDrafter({
    vocabSize: model.info.vocabSize,
    k,
    template: parseTemplate(options.templateSpec ?? '2.2.2', k),
    modelSha256: sha,
    ...options,
  });
}

/** Runs prompts in order through one drafter (hot state carries over) and plain decoding; returns MAT. */
function expectLossless(drafter: Drafter, prompts: string[]): { mat: number; steps: number } {
  const spec = new DecodeLoop(model, drafter);
  const plain = new DecodeLoop(model, new AutoregressiveDrafter());
  let accepted = 0;
  let steps = 0;
  const progress = proofProgress(drafter.name, prompts.length);
  for (const [i, text] of prompts.entries()) {
    progress(i);
    const ids = model.tokenize(text, true);
    const want = plain.generate(ids, { maxNewTokens: NEW_TOKENS });
    const got = spec.generate(ids, { maxNewTokens: NEW_TOKENS });
    expect(Array.from(got.tokens), `prompt ${JSON.stringify(text.slice(0, 60))}`).toEqual(Array.from(want.tokens));
    accepted += got.tokens.length;
    steps += got.steps;
  }
  return { mat: accepted / steps, steps };
}

/** Every `every`-th story prompt from `from` (quick runs), or all from `from` to `to` (full). */
function stories(quick: { every: number; count: number }, full: [number, number]): string[] {
  const all = loadStorySuite().map((s) => s.prompt);
  return proofScale(all.filter((_, i) => i % quick.every === 0).slice(0, quick.count), all.slice(...full));
}

// Minutes under load in the full form: no timeout there (0); in npm test it only guards a hang.
describe('Token Recycling on stories260K', { timeout: proofScale(900_000, 0) }, () => {
  it('reproduces greedy decoding on the story suite (hot start, 2.2.2, k = 8) with MAT > 1.5', () => {
    const { mat } = expectLossless(tr(), stories({ every: 6, count: 8 }, [0, 48]));
    expect(mat).toBeGreaterThan(1.5);
  });

  it('is lossless on a sample of Spec-Bench first turns that fit the context', async () => {
    const questions = (await loadSpecBenchQuestions()).filter((_, i) => i % proofScale(80, 16) === 0);
    const prompts = questions.map((q) => q.turns[0]).filter((t) => model.tokenize(t, true).length < model.info.contextSize);
    expect(prompts.length).toBeGreaterThan(proofScale(2, 10));
    expectLossless(tr(), prompts);
  });

  it.each([
    [1, 'chain:6'],
    [3, 'greedy:30:5'],
    [8, '2.2.2'],
    [16, '2.2.2'],
  ])('k = %i (template %s) is lossless', (k, templateSpec) => {
    expectLossless(tr({ k, templateSpec }), stories({ every: 16, count: 3 }, [0, 6]));
  });

  it('cold start, the first-occurrence rule and accepted-only updates stay lossless', () => {
    const prompts = stories({ every: 11, count: 2 }, [6, 12]);
    expectLossless(tr({ start: 'cold' }), prompts);
    expectLossless(tr({ duplicateRule: 'first' }), prompts);
    expectLossless(tr({ updateScope: 'accepted' }), prompts);
  });

  it('is deterministic and a saved matrix continues exactly where the run stopped', () => {
    const prompts = loadStorySuite()
      .slice(12, 16)
      .map((s) => model.tokenize(s.prompt, true));
    const run = (d: Drafter, ps: Int32Array[]) => ps.map((p) => new DecodeLoop(model, d).generate(p, { maxNewTokens: 120 }));
    const once = run(tr(), prompts);
    const again = run(tr(), prompts);
    expect(again.map((r) => r.meanAcceptedTokens)).toEqual(once.map((r) => r.meanAcceptedTokens));
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'trbench-tr-')), 'matrix.bin');
    run(tr({ matrixOut: file }), prompts.slice(0, 2));
    const resumed = run(tr({ matrixIn: file }), prompts.slice(2));
    expect(resumed.map((r) => [r.steps, r.meanAcceptedTokens])).toEqual(once.slice(2).map((r) => [r.steps, r.meanAcceptedTokens]));
    expect(() => tr({ matrixIn: file, k: 4, templateSpec: 'chain:3' })).toThrow(/k = 8, this run uses k = 4/);
  });
});
