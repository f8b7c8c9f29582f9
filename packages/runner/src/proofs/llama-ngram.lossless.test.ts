import { DecodeLoop, type TargetModel } from '@trbench/core';
import { proofScale } from '@trbench/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDrafter } from '../methods/index.ts';
import { type BackendName, openModel } from '../models/open-model.ts';
import { type ProofPrompt, prepareProofSuites, sameTokens } from '../testing/proof-suites.ts';

// llama.cpp's five n-gram speculators, created through the method registry with their defaults (one warm
// llama-server slot: each method's drafter serves the whole suite in order) and with small parameters that
// draft far more often, must reproduce plain greedy decoding token for token on the real stories260K model,
// on both backends. `npm run test:lossless` runs the whole story suite and every Spec-Bench first turn that
// fits the 512-token context; `npm test` every 6th story and every 60th question.
const MAX_NEW = 200;
const STORY_EVERY = proofScale(6, 1);
const SPEC_BENCH_EVERY = proofScale(60, 1);

const VARIANTS: [string, Record<string, unknown>][] = [
  ['ngram-simple', {}],
  ['ngram-simple', { sizeN: 2, sizeM: 8 }],
  ['ngram-map-k', {}],
  ['ngram-map-k', { sizeN: 2, sizeM: 8 }],
  ['ngram-map-k4v', {}],
  ['ngram-map-k4v', { sizeN: 2, sizeM: 8, minHits: 2 }],
  ['ngram-mod', {}],
  ['ngram-mod', { nMatch: 3, nMin: 2, nMax: 12 }],
  ['ngram-cache', {}],
  ['ngram-cache', { lifetime: 'cold' }],
];
const MAX_DRAFT_NODES = 65; // ngram-mod's 64 + root

for (const backend of ['llama.cpp', 'onnx'] as BackendName[]) {
  describe(`llama.cpp n-gram methods are lossless on stories260K (${backend})`, { timeout: proofScale(900_000, 0) }, () => {
    let model: TargetModel;
    let sha256 = '';
    let stories: ProofPrompt[] = [];
    let specBench: ProofPrompt[] = [];
    let specBenchSkipped = 0;
    let specBenchTotal = 0;

    beforeAll(
      async () => {
        const opened = await openModel({ model: 'stories260K', backend, threads: 1, maxDraftNodes: MAX_DRAFT_NODES, topK: 1 });
        model = opened.model;
        sha256 = opened.resolved.sha256;
        ({ stories, specBench, specBenchSkipped, specBenchTotal } = await prepareProofSuites(model, {
          maxNew: MAX_NEW,
          storyEvery: STORY_EVERY,
          specBenchEvery: SPEC_BENCH_EVERY,
        }));
      },
      proofScale(600_000, 0),
    );

    afterAll(() => model?.dispose());

    it('the suites are what we think they are', () => {
      expect(stories.length).toBe(proofScale(8, 48));
      expect(specBench.length + specBenchSkipped).toBe(specBenchTotal);
      expect(specBench.length).toBeGreaterThan(0);
    });

    for (const [method, params] of VARIANTS) {
      it(`${method} ${JSON.stringify(params)}: identical to plain decoding on the story suite and Spec-Bench first turns`, async () => {
        const context = { vocabSize: model.info.vocabSize, modelSha256: sha256, modelName: 'stories260K', model };
        let steps = 0;
        let tokens = 0;
        for (const suite of [stories, specBench]) {
          // One drafter per suite: the warm state is that of one server slot serving the suite in order.
          const loop = new DecodeLoop(model, await createDrafter(method, params, context));
          const diverged: string[] = [];
          for (const p of suite) {
            const r = loop.generate(p.ids, { maxNewTokens: MAX_NEW });
            steps += r.steps;
            tokens += r.tokens.length;
            if (!sameTokens(r.tokens, p.reference)) diverged.push(p.id);
          }
          expect(diverged).toEqual([]);
        }
        // Not vacuous: drafts were accepted. A warm ngram-cache barely drafts here, as in llama-server: its
        // context cache is updated only while the history is longer than any before it (cache_size is
        // never reset), so after the first story it keeps only that story's counts.
        expect(tokens / steps).toBeGreaterThan(method === 'ngram-cache' && params.lifetime !== 'cold' ? 1 : 1.01);
      });
    }
  });
}
