import { loadSpecBenchQuestions, loadStorySuite } from '@trbench/assets';
import { AutoregressiveDrafter, DecodeLoop, type Drafter, type TargetModel } from '@trbench/core';
import { proofProgress, proofScale } from '@trbench/core/testing';
import type { SamOnlyDrafter, SamTrDrafter } from '@trbench/sam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDrafter } from '../methods/index.ts';
import { type BackendName, openModel } from '../models/open-model.ts';

// SAM-Decoding[T] (`sam-tr`) and SAM-only (`sam`), created through the method registry with the authors'
// defaults and the default static corpus (REST's self-sampled corpus, `corpus: auto`), and with an empty
// static automaton and a threshold of 1 (chains on almost every step), must reproduce plain greedy decoding
// token for token on the real stories260K model, on both backends. One drafter per suite (the TR table is
// hot across the suite, as the authors'). `npm run test:lossless` runs the whole story suite and every
// Spec-Bench first turn that fits the 512-token context; `npm test` every 6th story and every 60th question.
const MAX_NEW = 200;
const STORY_EVERY = proofScale(6, 1);
const SPEC_BENCH_EVERY = proofScale(60, 1);

interface Prepared {
  id: string;
  ids: Int32Array;
  reference: Int32Array;
}

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
  describe(`SAM-Decoding is lossless on stories260K (${backend})`, { timeout: proofScale(900_000, 0) }, () => {
    let model: TargetModel;
    let sha256 = '';
    let stories: Prepared[] = [];
    let specBench: Prepared[] = [];
    let specBenchSkipped = 0;
    let specBenchTotal = 0;

    beforeAll(
      async () => {
        const opened = await openModel({ model: 'stories260K', backend, threads: 1, maxDraftNodes: 61, topK: 8 });
        model = opened.model;
        sha256 = opened.resolved.sha256;
        stories = prepare(
          model,
          loadStorySuite()
            .map((s) => ({ id: s.id, text: s.prompt }))
            .filter((_, i) => i % STORY_EVERY === 0),
        ).prepared;
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
            if (r.tokens.length !== p.reference.length || r.tokens.some((t, i) => t !== p.reference[i])) diverged.push(p.id);
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
