import { proofScale } from '@trbench/core/testing';
import type { SamOnlyDrafter, SamTrDrafter } from '@trbench/sam';
import { expect, it } from 'vitest';
import { createDrafter } from '../methods/index.ts';
import { describeRegistryProof, runSuite } from '../testing/proof-suites.ts';

// SAM-Decoding[T] (`sam-tr`) and SAM-only (`sam`), created through the method registry with the authors'
// defaults and the default static corpus (REST's self-sampled corpus, `corpus: auto`), and with an empty
// static automaton and a threshold of 1 (chains on almost every step), must reproduce plain greedy decoding
// token for token on the real stories260K model, on both backends. One drafter per suite (the TR table is
// hot across the suite, as the authors'). `npm run test:lossless` runs the whole story suite and every
// Spec-Bench first turn that fits the 512-token context; `npm test` every 6th story and every 60th question.
const MAX_NEW = 200;

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

describeRegistryProof('SAM-Decoding is lossless on stories260K', { maxDraftNodes: 61, topK: 8, maxNew: MAX_NEW }, (proof) => {
  for (const [method, params] of VARIANTS) {
    it(`${method} ${JSON.stringify(params)}: identical to plain decoding on the story suite and Spec-Bench first turns`, async () => {
      for (const [name, suite] of [
        ['stories', proof.stories],
        ['spec-bench', proof.specBench],
      ] as const) {
        const drafter = await createDrafter(method, params, proof.context);
        const { steps, tokens, diverged } = runSuite(proof.model, drafter, suite, MAX_NEW);
        const sources = (drafter as SamTrDrafter | SamOnlyDrafter).total.summary();
        console.log(
          `${proof.backend} ${method} ${JSON.stringify(params)} ${name}: ${suite.length - diverged.length}/${suite.length} identical, MAT ${(tokens / steps).toFixed(3)}, sources ${JSON.stringify(sources)}`,
        );
        expect(diverged).toEqual([]);
        // Not vacuous: drafts were accepted.
        expect(tokens / steps).toBeGreaterThan(1.1);
        expect(Object.values(sources).reduce((s, x) => s + x.steps, 0)).toBe(steps);
      }
    });
  }
});
