import { expect, it } from 'vitest';
import { createDrafter } from '../methods/index.ts';
import { describeRegistryProof, runSuite } from '../testing/proof-suites.ts';

// llama.cpp's five n-gram speculators, created through the method registry with their defaults (one warm
// llama-server slot: each method's drafter serves the whole suite in order) and with small parameters that
// draft far more often, must reproduce plain greedy decoding token for token on the real stories260K model,
// on both backends. `npm run test:lossless` runs the whole story suite and every Spec-Bench first turn that
// fits the 512-token context; `npm test` every 6th story and every 60th question.
const MAX_NEW = 200;

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

// ngram-mod's 64 + root
describeRegistryProof('llama.cpp n-gram methods are lossless on stories260K', { maxDraftNodes: 65, topK: 1, maxNew: MAX_NEW }, (proof) => {
  for (const [method, params] of VARIANTS) {
    it(`${method} ${JSON.stringify(params)}: identical to plain decoding on the story suite and Spec-Bench first turns`, async () => {
      let steps = 0;
      let tokens = 0;
      for (const suite of [proof.stories, proof.specBench]) {
        // One drafter per suite: the warm state is that of one server slot serving the suite in order.
        const r = runSuite(proof.model, await createDrafter(method, params, proof.context), suite, MAX_NEW);
        steps += r.steps;
        tokens += r.tokens;
        expect(r.diverged).toEqual([]);
      }
      // Not vacuous: drafts were accepted. A warm ngram-cache barely drafts here, as in llama-server: its
      // context cache is updated only while the history is longer than any before it (cache_size is
      // never reset), so after the first story it keeps only that story's counts.
      expect(tokens / steps).toBeGreaterThan(method === 'ngram-cache' && params.lifetime !== 'cold' ? 1 : 1.01);
    });
  }
});
