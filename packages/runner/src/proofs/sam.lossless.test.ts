import { DecodeLoop, type Drafter, type TargetModel } from '@trbench/core';
import { proofScale } from '@trbench/core/testing';
import type { SamOnlyDrafter, SamTrDrafter } from '@trbench/sam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDrafter } from '../methods/index.ts';
import { type BackendName, openModel } from '../models/open-model.ts';
import { type ProofPrompt, prepareProofSuites, sameTokens } from '../testing/proof-suites.ts';

// SAM-Decoding[T] (`sam-tr`) and SAM-only (`sam`), created through the method registry with the authors'
// defaults and the default static corpus (REST's self-sampled corpus, `corpus: auto`), and with an empty
// static automaton and a threshold of 1 (chains on almost every step), must reproduce plain greedy decoding
// token for token on the real stories260K model, on both backends. One drafter per suite (the TR table is
// hot across the suite, as the authors'). `npm run test:lossless` runs the whole story suite and every
// Spec-Bench first turn that fits the 512-token context; `npm test` every 6th story and every 60th question.
const MAX_NEW = 200;
const STORY_EVERY = proofScale(6, 1);
const SPEC_BENCH_EVERY = proofScale(60, 1);

// The authors' defaults run on the whole suites in the full proofs; the chain-heavy variants (no corpus,
// threshold 1) on `npm test`'s subsets only, to keep the full proofs within ~30 minutes on 2 cores.
const DEFAULTS: [string, Record<string, unknown>][] = [
  ['sam-tr', {}],
  ['sam', {}],
];
const VARIANTS = proofScale<[string, Record<string, unknown>][]>(
  [...DEFAULTS, ['sam-tr', { corpus: 'none', lenThreshold: 1 }], ['sam', { corpus: 'none' }]],
  DEFAULTS,
);

for (const backend of ['llama.cpp', 'onnx'] as BackendName[]) {
  describe(`SAM-Decoding is lossless on stories260K (${backend})`, { timeout: proofScale(900_000, 0) }, () => {
    let model: TargetModel;
    let sha256 = '';
    let stories: ProofPrompt[] = [];
    let specBench: ProofPrompt[] = [];
    let specBenchSkipped = 0;
    let specBenchTotal = 0;

    beforeAll(
      async () => {
        const opened = await openModel({ model: 'stories260K', backend, threads: 1, maxDraftNodes: 61, topK: 8 });
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
      if (specBenchTotal === 480) expect(specBench.length).toBe(316);
      expect(specBench.length).toBeGreaterThan(0);
    });

    for (const [method, params] of VARIANTS) {
      it(`${method} ${JSON.stringify(params)}: identical to plain decoding on the story suite and Spec-Bench first turns`, async () => {
        const context = { vocabSize: model.info.vocabSize, modelSha256: sha256, modelName: 'stories260K', modelSpec: 'stories260K', model };
        for (const [name, suite] of [
          ['stories', stories],
          ['spec-bench', specBench],
        ] as const) {
          const drafter: Drafter = await createDrafter(method, params, context);
          const loop = new DecodeLoop(model, drafter);
          const diverged: string[] = [];
          let steps = 0;
          let tokens = 0;
          for (const p of suite) {
            const r = loop.generate(p.ids, { maxNewTokens: MAX_NEW });
            steps += r.steps;
            tokens += r.tokens.length;
            if (!sameTokens(r.tokens, p.reference)) diverged.push(p.id);
          }
          const sources = (drafter as SamTrDrafter | SamOnlyDrafter).total.summary();
          console.log(
            `${backend} ${method} ${JSON.stringify(params)} ${name}: ${suite.length - diverged.length}/${suite.length} identical, MAT ${(tokens / steps).toFixed(3)}, sources ${JSON.stringify(sources)}`,
          );
          expect(diverged).toEqual([]);
          // Not vacuous: drafts were accepted.
          expect(tokens / steps).toBeGreaterThan(1.1);
          expect(Object.values(sources).reduce((s, x) => s + x.steps, 0)).toBe(steps);
        }
      });
    }
  });
}
