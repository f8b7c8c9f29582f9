import { readFileSync, writeFileSync } from 'node:fs';
import { loadSpecBenchQuestions, loadStorySuite } from '@trbench/assets';
import type { LlamaCppModel } from '@trbench/backend-llama-cpp';
import { openStories260K } from '@trbench/backend-llama-cpp/testing';
import { DecodeLoop } from '@trbench/core';
import { proofScale } from '@trbench/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAPER_2_2_2, parseTemplate } from './template.ts';
import { PaperLoop } from './testing/paper-loop.ts';
import { TokenRecyclingDrafter } from './token-recycling.ts';

// The step structure of TR is pinned two ways on the real model: per-prompt step counts of the story
// suite against a committed golden file (any change to the loop, the drafter, the stop set or the
// converter shows up here), and step-for-step agreement with an independent transcription of the paper's
// loop on prompts the golden file does not cover. Regenerate the golden file only on purpose:
// `TRBENCH_UPDATE_GOLDEN=1 npx vitest run src/fidelity.e2e.test.ts`, with the reason in the commit.
const GOLDEN = new URL('./testing/story-suite-steps.golden.json', import.meta.url);
const NEW_TOKENS = 200;
const K = 8;

interface Golden {
  what: string;
  modelSha256: string;
  stopTokens: number[];
  steps: Record<string, number>;
}

let model: LlamaCppModel;
let sha: string;

beforeAll(async () => {
  const opened = await openStories260K({ maxDraftNodes: 81, topK: K });
  model = opened.model;
  sha = opened.resolved.sha256;
});
afterAll(() => model?.dispose());

/** trbench's TR and the paper loop over the same prompts, each with its matrix carried across prompts. */
function runBoth(prompts: Int32Array[]): { trbench: number[]; paper: number[] } {
  const drafter = new TokenRecyclingDrafter({
    vocabSize: model.info.vocabSize,
    k: K,
    template: parseTemplate('2.2.2', K),
    modelSha256: sha,
  });
  const loop = new DecodeLoop(model, drafter);
  const trbench = prompts.map((p) => loop.generate(p, { maxNewTokens: NEW_TOKENS }));
  const paperLoop = new PaperLoop(model, PAPER_2_2_2, K);
  const paper = prompts.map((p) => paperLoop.generate(p, NEW_TOKENS));
  paper.forEach((r, i) => expect(r.tokens, `prompt ${i}`).toEqual(Array.from(trbench[i].tokens)));
  return { trbench: trbench.map((r) => r.steps), paper: paper.map((r) => r.steps) };
}

// Long on a loaded 2-core machine (two decoders over the whole suite); the timeout only guards a hang.
describe('TR step structure (2.2.2, k = 8, hot start, 200 new tokens)', { timeout: proofScale(900_000, 0) }, () => {
  it('per-prompt steps on the story suite equal the golden file and the paper loop', () => {
    // Hot start carries the matrix in suite order, so the first prompts' steps do not depend on the rest:
    // `npm test` checks the first 6 against the golden file, `npm run test:lossless` all 48.
    const suite = loadStorySuite().slice(0, proofScale(6, undefined));
    const { trbench, paper } = runBoth(suite.map((s) => model.tokenize(s.prompt, true)));
    expect(trbench).toEqual(paper);
    const current: Golden = {
      what: 'Steps per story-suite prompt, TR 2.2.2, k = 8, hot start (matrix carried in suite order), 200 new tokens, llama.cpp CPU',
      modelSha256: sha,
      stopTokens: [...model.info.stopTokens],
      steps: Object.fromEntries(suite.map((s, i) => [s.id, trbench[i]])),
    };
    if (process.env.TRBENCH_UPDATE_GOLDEN === '1') {
      if (suite.length < loadStorySuite().length) throw new Error('regenerate the golden file with TRBENCH_PROOFS=full');
      writeFileSync(GOLDEN, `${JSON.stringify(current, null, 2)}\n`);
    }
    const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as Golden;
    const goldenPart = { ...golden, steps: Object.fromEntries(suite.map((s) => [s.id, golden.steps[s.id]])) };
    expect(Object.keys(golden.steps)).toHaveLength(loadStorySuite().length);
    expect(current).toEqual(goldenPart);
  });

  it('per-prompt steps on unseen Spec-Bench first turns equal the paper loop', async () => {
    const questions = (await loadSpecBenchQuestions()).filter((_, i) => i % proofScale(60, 20) === 7);
    const prompts = questions
      .map((q) => model.tokenize(q.turns[0], true))
      .filter((ids) => ids.length + NEW_TOKENS < model.info.contextSize);
    expect(prompts.length).toBeGreaterThan(proofScale(3, 8));
    const { trbench, paper } = runBoth(prompts);
    expect(trbench).toEqual(paper);
  });

  it('negative control: the old rule (never update on the last step) misses the golden step counts', () => {
    // Hot start makes a skipped final-step update change later prompts; 8 prompts show it (16 in full).
    const suite = loadStorySuite().slice(0, proofScale(8, 16));
    const oldRule = new PaperLoop(model, PAPER_2_2_2, K, false);
    const steps = suite.map((s) => oldRule.generate(model.tokenize(s.prompt, true), NEW_TOKENS).steps);
    const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as Golden;
    expect(steps).not.toEqual(suite.map((s) => golden.steps[s.id]));
  });
});
