import { loadSpecBenchQuestions, loadStorySuite } from '@trbench/assets';
import { AutoregressiveDrafter, DecodeLoop, type TargetModel } from '@trbench/core';
import { proofProgress, proofScale } from '@trbench/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDrafter } from '../methods/index.ts';
import { type BackendName, openModel } from '../models/open-model.ts';

// SuffixDecoding's three presets (the authors' simulator `suffix`, ArcticInference's vLLM plugin
// `suffix-vllm`, upstream vLLM's `suffix-vllm-upstream`), created through the method registry with their
// defaults and one drafter per suite (the global tree carries every earlier output, as in a serving run),
// must reproduce plain greedy decoding token for token on the real stories260K model, on both backends.
// `npm run test:lossless` runs the whole story suite and every Spec-Bench first turn that fits the 512-token
// context; `npm test` every 6th story and every 60th question.
const MAX_NEW = 200;
const STORY_EVERY = proofScale(6, 1);
const SPEC_BENCH_EVERY = proofScale(60, 1);
const METHODS = ['suffix', 'suffix-vllm', 'suffix-vllm-upstream'];
const MAX_DRAFT_NODES = 65; // suffix's 64 + root

interface Prepared {
  id: string;
  ids: Int32Array;
  reference: Int32Array;
}

function prepare(model: TargetModel, prompts: { id: string; text: string }[]): { prepared: Prepared[]; skipped: number } {
  const loop = new DecodeLoop(model, new AutoregressiveDrafter());
  const prepared: Prepared[] = [];
  let skipped = 0;
  const progress = proofProgress(`plain decoding on ${model.backend.name}`, prompts.length);
  prompts.forEach((p, i) => {
    progress(i);
    const ids = model.tokenize(p.text, true);
    if (ids.length >= model.info.contextSize) skipped++;
    else prepared.push({ id: p.id, ids, reference: loop.generate(ids, { maxNewTokens: MAX_NEW }).tokens });
  });
  return { prepared, skipped };
}

for (const backend of ['llama.cpp', 'onnx'] as BackendName[]) {
  describe(`SuffixDecoding presets are lossless on stories260K (${backend})`, { timeout: proofScale(900_000, 0) }, () => {
    let model: TargetModel;
    let sha256 = '';
    let stories: Prepared[] = [];
    let specBench: Prepared[] = [];
    let specBenchSkipped = 0;
    let specBenchTotal = 0;

    beforeAll(
      async () => {
        const opened = await openModel({ model: 'stories260K', backend, threads: 1, maxDraftNodes: MAX_DRAFT_NODES, topK: 1 });
        model = opened.model;
        sha256 = opened.resolved.sha256;
        const storyPrompts = loadStorySuite()
          .map((s) => ({ id: s.id, text: s.prompt }))
          .filter((_, i) => i % STORY_EVERY === 0);
        stories = prepare(model, storyPrompts).prepared;
        const questions = (await loadSpecBenchQuestions())
          .map((q) => ({ id: String(q.question_id), text: q.turns[0] }))
          .filter((_, i) => i % SPEC_BENCH_EVERY === 0);
        specBenchTotal = questions.length;
        const b = prepare(model, questions);
        specBench = b.prepared;
        specBenchSkipped = b.skipped;
      },
      proofScale(600_000, 0),
    );

    afterAll(() => model?.dispose());

    it('the suites are what we think they are', () => {
      expect(stories.length).toBe(proofScale(8, 48));
      expect(specBench.length + specBenchSkipped).toBe(specBenchTotal);
      expect(specBench.length).toBeGreaterThan(0);
    });

    for (const method of METHODS) {
      it(`${method}: identical to plain decoding on the story suite and Spec-Bench first turns`, async () => {
        const context = { vocabSize: model.info.vocabSize, modelSha256: sha256, modelName: 'stories260K', model };
        let steps = 0;
        let tokens = 0;
        for (const suite of [stories, specBench]) {
          const loop = new DecodeLoop(model, await createDrafter(method, {}, context));
          const diverged: string[] = [];
          for (const p of suite) {
            const r = loop.generate(p.ids, { maxNewTokens: MAX_NEW });
            steps += r.steps;
            tokens += r.tokens.length;
            if (r.tokens.length !== p.reference.length || r.tokens.some((t, i) => t !== p.reference[i])) diverged.push(p.id);
          }
          expect(diverged).toEqual([]);
        }
        // Not vacuous: drafts were accepted.
        expect(tokens / steps).toBeGreaterThan(1.3);
      });
    }
  });
}
