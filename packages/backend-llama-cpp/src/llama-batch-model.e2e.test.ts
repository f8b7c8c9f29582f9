import { resolveModel } from '@trbench/assets';
import { AutoregressiveDrafter, BatchDecodeLoop, DecodeLoop, Draft, type Drafter, Predictions, type TokenHistory } from '@trbench/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlamaCppBatchModel } from './llama-batch-model.ts';
import type { LlamaCppModel } from './llama-model.ts';
import { openStories260K } from './testing/open-stories.ts';

// The batched backend on the real stories260K model: every request, decoded with others in one forward,
// gets exactly the tokens of plain decoding alone (bookkeeping of sequence ids, positions, commit and
// rollback per slot). The method-level proof (TR, SuffixDecoding, PLD at B = 1, 4, 8) is in the runner.

const PROMPTS = [
  'Once upon a time, there was a little girl named Lily.',
  'Tom and his dad went to the lake to',
  'The cat sat on the mat. The cat',
  'One day, a big bird',
  'Sara had a red ball. She',
  'Max the dog liked to run and',
];
const MAX_NEW = [40, 64, 17, 50, 33, 45];

let single: LlamaCppModel;
let reference: Int32Array[];

beforeAll(async () => {
  ({ model: single } = await openStories260K({ maxDraftNodes: 16, topK: 1 }));
  const loop = new DecodeLoop(single, new AutoregressiveDrafter());
  reference = PROMPTS.map((p, i) => loop.generate(single.tokenize(p, true), { maxNewTokens: MAX_NEW[i] }).tokens);
});
afterAll(() => single?.dispose());

async function openBatch(batch: number, maxDraftNodes: number): Promise<LlamaCppBatchModel> {
  const r = await resolveModel('stories260K');
  return LlamaCppBatchModel.open({
    path: r.path,
    name: r.name,
    sha256: r.sha256,
    extraStopTokens: r.extraStopTokens,
    gpu: false,
    batch,
    maxDraftNodes,
    topK: 1,
  });
}

/**
 * Knows plain decoding's output of its request and drafts a tree whose first branch is wrong at its first
 * token and whose second branch follows the truth for a few tokens, then a wrong one: the accepted path ends
 * on a sequence other than the slot's trunk, and the tree's cells must be freed around it.
 */
class KnowingDrafter implements Drafter {
  readonly name = 'knowing';
  readonly maxDraftNodes = 9;
  readonly topK = 1;
  readonly wantsPromptPredictions = false;
  readonly params = {};
  private truth: ArrayLike<number> = new Int32Array(0);
  constructor(private readonly byPrompt: Map<string, Int32Array>) {}
  beginRequest(h: TokenHistory): void {
    this.truth = this.byPrompt.get(Array.from(h.view()).join(',')) ?? new Int32Array(0);
  }
  propose(h: TokenHistory, draft: Draft): void {
    const at = h.length - h.promptLength; // index in the output of the token after the root
    const t = (i: number) => (at + i < this.truth.length ? this.truth[at + i] : 5);
    const wrong = (x: number) => (x + 1) % 512;
    let p = draft.add(wrong(t(0)), 0);
    draft.add(t(1), p);
    const depth = 1 + ((h.length * 7) % 5); // truth for 1..5 tokens, then a wrong token
    p = 0;
    for (let i = 0; i < depth; i++) p = draft.add(t(i), p);
    draft.add(wrong(t(depth)), p);
  }
  observe(): void {}
  endRequest(): void {}
}

/** 40 children under the root: 40 leaves, 40 sequence ids. */
class StarDrafter implements Drafter {
  readonly name = 'star';
  readonly maxDraftNodes = 41;
  readonly topK = 1;
  readonly wantsPromptPredictions = false;
  readonly params = {};
  beginRequest(): void {}
  propose(_h: TokenHistory, d: Draft): void {
    for (let i = 0; i < 40; i++) d.add(10 + i, 0);
  }
  observe(): void {}
  endRequest(): void {}
}

describe('LlamaCppBatchModel on stories260K', () => {
  it('plain decoding at batch 1, 3 and 4: every request equals plain decoding alone', async () => {
    for (const B of [1, 3, 4]) {
      const model = await openBatch(B, 1);
      try {
        const drafters = Array.from({ length: B }, () => new AutoregressiveDrafter());
        const run = new BatchDecodeLoop(model, { sharing: 'per-request', drafters }).run(
          PROMPTS.map((p, i) => ({ prompt: model.tokenize(p, true), maxNewTokens: MAX_NEW[i] })),
        );
        run.results.forEach((r, i) => expect(Array.from(r.tokens), `B=${B} request ${i}`).toEqual(Array.from(reference[i])));
        expect(run.meanNodesPerForward).toBeGreaterThan(B === 1 ? 0.99 : 1.5);
      } finally {
        model.dispose();
      }
    }
  });

  it('tree drafts accepted on non-trunk sequences at batch 4: tokens equal, many drafts accepted', async () => {
    const model = await openBatch(4, 9);
    try {
      const byPrompt = new Map(PROMPTS.map((p, i) => [Array.from(model.tokenize(p, true)).join(','), reference[i]]));
      const drafters = Array.from({ length: 4 }, () => new KnowingDrafter(byPrompt));
      const run = new BatchDecodeLoop(model, { sharing: 'per-request', drafters }).run(
        PROMPTS.map((p, i) => ({ prompt: model.tokenize(p, true), maxNewTokens: MAX_NEW[i] })),
      );
      run.results.forEach((r, i) => expect(Array.from(r.tokens), `request ${i}`).toEqual(Array.from(reference[i])));
      // The truthful branch is accepted to its end (1-5 drafts), so MAT is well above 1.
      for (const r of run.results) expect(r.meanAcceptedTokens).toBeGreaterThan(2);
      expect(run.forwards).toBeLessThan(run.tokens / 4);
    } finally {
      model.dispose();
    }
  });

  it('refuses a bad batch and a forward needing more sequence ids than llama.cpp holds; the loop splits such rounds', async () => {
    await expect(openBatch(0, 4)).rejects.toThrow(/batch must be an integer/);
    const model = await openBatch(8, 41);
    try {
      // 40 leaves per slot: 8 trunks + 8 × 39 extra ids = 320 > 256.
      const drafters = Array.from({ length: 8 }, () => new StarDrafter());
      const ds = drafters.map((d, s) => {
        const draft = new Draft(41);
        draft.reset(5 + s);
        d.propose(null as never, draft);
        return draft;
      });
      const outs = ds.map(() => new Predictions(41, 1));
      expect(() => model.evaluateBatch(ds, outs)).toThrow(/need \d+ llama.cpp sequence ids.*than the 256/);
      // 8 trunks + 39 extra ids per slot: slots 0-5 fit (281 > 256 at slot 6), slots 6-7 in a second forward.
      expect(model.fitsUpTo(ds, 0)).toBe(6);
      expect(model.fitsUpTo(ds, 6)).toBe(8);
      const prompts = [...PROMPTS, ...PROMPTS].map((p) => model.tokenize(p, true));
      const run = new BatchDecodeLoop(model, { sharing: 'per-request', drafters }).run(
        prompts.map((prompt) => ({ prompt, maxNewTokens: 6 })),
      );
      expect(run.forwards).toBeGreaterThan(run.rounds);
      run.results.forEach((r, i) => expect(Array.from(r.tokens)).toEqual(Array.from(reference[i % PROMPTS.length].subarray(0, 6))));
    } finally {
      model.dispose();
    }
  });
});
