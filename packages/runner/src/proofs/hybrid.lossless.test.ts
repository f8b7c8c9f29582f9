import { expect, it } from 'vitest';
import { createDrafter } from '../methods/index.ts';
import { describeRegistryProof, runSuite } from '../testing/proof-suites.ts';

// The hybrid drafter (issue 30), created through the method registry, must reproduce plain greedy decoding
// token for token on the real stories260K model, on both backends: the whole story suite and every Spec-Bench
// first turn that fits the 512-token context in `npm run test:lossless`; every 6th story and every 60th
// question in `npm test`. The cost model is pinned (flat: the whole 81-node budget, the most drafting; and a
// linear one that sizes trees and takes plain steps), so the proof does not depend on a measured curve.
// Ablation variants (each piece off) run on the story suite.
const MAX_NEW = 200;

const VARIANTS: [string, Record<string, unknown>, 'both' | 'stories'][] = [
  ['all pieces, 81-node budget', { cost: 'flat' }, 'both'],
  ['all pieces, sized by t(n)/t(1) = 1 + 0.3·(n − 1)', { cost: 'linear:0.3' }, 'both'],
  ['no two-token rows, no calibration', { cost: 'flat', pairs: false, calibrate: false }, 'stories'],
  ['no probabilities, no last-row candidates', { cost: 'flat', probs: false, logits: false }, 'stories'],
  ['suffix trees only', { cost: 'flat', rows: false, pairs: false, logits: false }, 'stories'],
];

describeRegistryProof('hybrid is lossless on stories260K', { maxDraftNodes: 81, topK: 8, maxNew: MAX_NEW }, (proof) => {
  for (const [label, params, suites] of VARIANTS) {
    it(`${label}: identical to plain decoding`, async () => {
      let steps = 0;
      let tokens = 0;
      let identical = 0;
      for (const suite of suites === 'both' ? [proof.stories, proof.specBench] : [proof.stories]) {
        // One drafter per suite: its rows, calibration and cross-request tree carry over in order.
        const r = runSuite(proof.model, await createDrafter('hybrid', params, proof.context), suite, MAX_NEW);
        steps += r.steps;
        tokens += r.tokens;
        identical += suite.length - r.diverged.length;
        expect(r.diverged).toEqual([]);
      }
      console.log(`hybrid ${label} (${proof.backend}): ${identical} identical, MAT ${(tokens / steps).toFixed(3)}`);
      // Not vacuous: drafts were accepted.
      expect(tokens / steps).toBeGreaterThan(1.3);
    });
  }
});
