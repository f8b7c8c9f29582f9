import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSpecBenchQuestions, loadStorySuite } from '@trbench/assets';
import type { LlamaCppModel } from '@trbench/backend-llama-cpp';
import { openStories260K } from '@trbench/backend-llama-cpp/testing';
import { AutoregressiveDrafter, DecodeLoop, type Drafter } from '@trbench/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTemplate } from './template.ts';
import { TokenRecyclingDrafter, type TokenRecyclingOptions } from './token-recycling.ts';

// End-to-end on the real stories260K model through llama.cpp: losslessness is proven here, not on a mock.
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
  for (const text of prompts) {
    const ids = model.tokenize(text, true);
    const want = plain.generate(ids, { maxNewTokens: NEW_TOKENS });
    const got = spec.generate(ids, { maxNewTokens: NEW_TOKENS });
    expect(Array.from(got.tokens), `prompt ${JSON.stringify(text.slice(0, 60))}`).toEqual(Array.from(want.tokens));
    accepted += got.tokens.length;
    steps += got.steps;
  }
  return { mat: accepted / steps, steps };
}

describe('Token Recycling on stories260K', () => {
  it('reproduces greedy decoding on the whole story suite (hot start, 2.2.2, k = 8) with MAT > 1.5', () => {
    const { mat } = expectLossless(
      tr(),
      loadStorySuite().map((s) => s.prompt),
    );
    expect(mat).toBeGreaterThan(1.5);
  });

  it('is lossless on a sample of Spec-Bench first turns that fit the context', async () => {
    const questions = (await loadSpecBenchQuestions()).filter((_, i) => i % 16 === 0);
    const prompts = questions.map((q) => q.turns[0]).filter((t) => model.tokenize(t, true).length < model.info.contextSize);
    expect(prompts.length).toBeGreaterThan(10);
    expectLossless(tr(), prompts);
  });

  it.each([
    [1, 'chain:6'],
    [3, 'greedy:30:5'],
    [8, '2.2.2'],
    [16, '2.2.2'],
  ])('k = %i (template %s) is lossless', (k, templateSpec) => {
    const prompts = loadStorySuite()
      .slice(0, 6)
      .map((s) => s.prompt);
    expectLossless(tr({ k, templateSpec }), prompts);
  });

  it('cold start, the first-occurrence rule and accepted-only updates stay lossless', () => {
    const prompts = loadStorySuite()
      .slice(6, 12)
      .map((s) => s.prompt);
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
