import type { LlamaCppModel } from '@trbench/backend-llama-cpp';
import { openStories260K } from '@trbench/backend-llama-cpp/testing';
import {
  type Acceptance,
  AutoregressiveDrafter,
  DecodeLoop,
  type Draft,
  type Drafter,
  type Predictions,
  ProcessedDistribution,
  Rng,
  type SamplingOptions,
  type TargetModel,
  type Verifier,
} from '@trbench/core';
import { gTestHomogeneity, proofScale } from '@trbench/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTemplate } from './template.ts';
import { TokenRecyclingDrafter } from './token-recycling.ts';

// Statistical proof on the real model that tree speculative sampling leaves the output distribution of
// plain sampling unchanged, with a deliberately wrong rule as the negative control. Seeds are fixed, so the
// outcome is reproducible; the thresholds leave a wide margin on both sides.
let model: LlamaCppModel;
let sha: string;
// The negative control's G is ~5900 (df 68) at 2500 samples: at 1000 (npm test) it is still far past 1e-6.
const SAMPLES = proofScale(1000, 2500);
// High-entropy contexts (dozens of likely two-token continuations) give the test its power.
const CONTEXTS = ['She saw a', 'He was very'];

beforeAll(async () => {
  const opened = await openStories260K({ maxDraftNodes: 32, topK: 8 });
  model = opened.model;
  sha = opened.resolved.sha256;
});
afterAll(() => model?.dispose());

const trDrafter = () =>
  new TokenRecyclingDrafter({ vocabSize: model.info.vocabSize, k: 8, template: parseTemplate('greedy:24:3', 8), modelSha256: sha });

/** Counts of the next two tokens over `SAMPLES` seeded generations. */
function jointCounts(
  drafter: Drafter,
  context: string,
  sampling: Omit<SamplingOptions, 'seed'>,
  seedBase: number,
  verifier?: Verifier,
): Map<string, number> {
  const loop = new DecodeLoop(model, drafter);
  const prompt = model.tokenize(context, true);
  const counts = new Map<string, number>();
  for (let i = 0; i < SAMPLES; i++) {
    const r = loop.generate(prompt, {
      maxNewTokens: 2,
      stopAtEndOfGeneration: false,
      sampling: { ...sampling, seed: seedBase + i },
      verifier,
    });
    const key = Array.from(r.tokens).join(',');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** WRONG on purpose: accepts a draft token whenever it is among the 3 most likely, without rejection sampling. */
class TopKMembershipVerifier implements Verifier {
  readonly name = 'wrong-top3';
  private readonly rng = new Rng(0);
  private readonly dist: ProcessedDistribution;
  constructor(private readonly options: SamplingOptions) {
    this.dist = new ProcessedDistribution(model.info.vocabSize);
  }
  begin(seed: number): void {
    this.rng.reseed(seed);
  }
  verify(draft: Draft, _p: Predictions, m: TargetModel, out: Acceptance): void {
    let node = 0;
    let length = 1;
    out.path[0] = 0;
    for (;;) {
      this.dist.build(m.nodeLogits!(node), 0, this.options);
      let accepted = -1;
      for (let c = draft.firstChild[node]; c >= 0; c = draft.nextSibling[c]) {
        const x = draft.tokens[c];
        if (this.dist.probability(x) > 0 && this.dist.ids.subarray(0, 3).includes(x)) {
          accepted = c;
          break;
        }
      }
      if (accepted < 0) {
        out.bonusToken = this.dist.sample(this.rng);
        break;
      }
      out.path[length++] = accepted;
      node = accepted;
    }
    out.length = length;
  }
}

// `npm test` checks T = 1.0 in one context; `npm run test:lossless` (CI) both temperatures and contexts.
// The timeout only guards a hang.
describe('lossless speculative sampling with Token Recycling trees', { timeout: proofScale(900_000, 0) }, () => {
  for (const temperature of proofScale([1.0], [0.7, 1.0])) {
    const sampling = { temperature, topK: 0, topP: 0.9 };
    it(`T = ${temperature}, top-p 0.9: the joint law of the next 2 tokens equals plain sampling`, () => {
      for (const context of proofScale(CONTEXTS.slice(0, 1), CONTEXTS)) {
        const plain = jointCounts(new AutoregressiveDrafter(), context, sampling, 1_000_000);
        const drafter = trDrafter();
        const speculative = jointCounts(drafter, context, sampling, 2_000_000);
        const test = gTestHomogeneity(plain, speculative);
        expect(test.categories, 'enough distinct outcomes for the test to have power').toBeGreaterThan(5);
        console.log(
          `T=${temperature} ${JSON.stringify(context)}: G = ${test.g.toFixed(2)}, df = ${test.df}, p = ${test.pValue.toFixed(4)}`,
        );
        expect(test.pValue, `G = ${test.g.toFixed(1)}, df = ${test.df}, context ${JSON.stringify(context)}`).toBeGreaterThan(1e-3);
      }
    });
  }

  it('negative control: accepting any top-3 draft token is detected by the same test', () => {
    const sampling = { temperature: 1.0, topK: 0, topP: 0.9 };
    const context = CONTEXTS[0];
    const plain = jointCounts(new AutoregressiveDrafter(), context, sampling, 1_000_000);
    const wrong = jointCounts(trDrafter(), context, sampling, 2_000_000, new TopKMembershipVerifier({ ...sampling, seed: 0 }));
    const test = gTestHomogeneity(plain, wrong);
    console.log(`negative control: G = ${test.g.toFixed(1)}, df = ${test.df}, p = ${test.pValue.toExponential(2)}`);
    expect(test.pValue).toBeLessThan(1e-6);
  });

  it('speculation really happens: sampled TR steps accept drafts', () => {
    const loop = new DecodeLoop(model, trDrafter());
    const prompt = model.tokenize(CONTEXTS[0], true);
    let tokens = 0;
    let steps = 0;
    for (let i = 0; i < 20; i++) {
      const r = loop.generate(prompt, { maxNewTokens: 40, sampling: { temperature: 0.7, topK: 0, topP: 0.9, seed: i } });
      tokens += r.tokens.length;
      steps += r.steps;
    }
    expect(tokens / steps).toBeGreaterThan(1.2);
  });

  it('temperature 0 stays bit-identical to greedy decoding', () => {
    const prompt = model.tokenize(CONTEXTS[1], true);
    const greedy = new DecodeLoop(model, new AutoregressiveDrafter()).generate(prompt, { maxNewTokens: 100 });
    const t0 = new DecodeLoop(model, trDrafter()).generate(prompt, {
      maxNewTokens: 100,
      sampling: { temperature: 0, topK: 0, topP: 1, seed: 5 },
    });
    expect(Array.from(t0.tokens)).toEqual(Array.from(greedy.tokens));
  });

  it('a seed reproduces a sampled run exactly', () => {
    const prompt = model.tokenize(CONTEXTS[1], true);
    const run = () =>
      new DecodeLoop(model, trDrafter()).generate(prompt, {
        maxNewTokens: 60,
        sampling: { temperature: 1, topK: 40, topP: 0.95, seed: 123 },
      });
    expect(Array.from(run().tokens)).toEqual(Array.from(run().tokens));
  });
});
