import { expect, it } from 'vitest';
import { createDrafter } from '../methods/index.ts';
import { describeRegistryProof, runSuite } from '../testing/proof-suites.ts';

// SuffixDecoding's three presets (the authors' simulator `suffix`, ArcticInference's vLLM plugin
// `suffix-vllm`, upstream vLLM's `suffix-vllm-upstream`), created through the method registry with their
// defaults and one drafter per suite (the global tree carries every earlier output, as in a serving run),
// must reproduce plain greedy decoding token for token on the real stories260K model, on both backends.
// `npm run test:lossless` runs the whole story suite and every Spec-Bench first turn that fits the 512-token
// context; `npm test` every 6th story and every 60th question.
const MAX_NEW = 200;
const METHODS = ['suffix', 'suffix-vllm', 'suffix-vllm-upstream'];

// suffix's 64 + root
describeRegistryProof('SuffixDecoding presets are lossless on stories260K', { maxDraftNodes: 65, topK: 1, maxNew: MAX_NEW }, (proof) => {
  for (const method of METHODS) {
    it(`${method}: identical to plain decoding on the story suite and Spec-Bench first turns`, async () => {
      let steps = 0;
      let tokens = 0;
      for (const suite of [proof.stories, proof.specBench]) {
        const r = runSuite(proof.model, await createDrafter(method, {}, proof.context), suite, MAX_NEW);
        steps += r.steps;
        tokens += r.tokens;
        expect(r.diverged).toEqual([]);
      }
      // Not vacuous: drafts were accepted.
      expect(tokens / steps).toBeGreaterThan(1.3);
    });
  }
});
