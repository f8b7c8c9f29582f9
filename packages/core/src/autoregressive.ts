import type { Drafter } from './drafter.ts';

/** Plain greedy decoding: an empty draft, so every step evaluates the root alone and commits its argmax. */
export class AutoregressiveDrafter implements Drafter {
  readonly name = 'ar';
  readonly maxDraftNodes = 1;
  readonly topK = 1;
  readonly wantsPromptPredictions = false;
  readonly params = {};
  beginRequest(): void {}
  propose(): void {}
  observe(): void {}
  endRequest(): void {}
}
