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
  type ProposalDistributions,
  Rng,
  type SamplingOptions,
  SpeculativeSamplingVerifier,
  type TargetModel,
  type Verifier,
} from '@trbench/core';
import { gTestHomogeneity, proofScale } from '@trbench/core/testing';
import { parseTemplate } from '@trbench/token-recycling';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpsDrafter, type SpsOptions, spsDraftModelRequirements } from './sps.ts';
import { SkewedModel } from './testing/skewed-model.ts';

// Statistical proof on the real model that speculative sampling with a draft model's own distribution q
// leaves the output law of plain sampling unchanged, with a deliberately wrong rule as the negative
// control. The draft is stories260K with its logits halved (a flatter q than the target's p), so draws
// are often rejected and the residual max(0, p − q) is exercised, not just the accept branch. Seeds are
// fixed, so the outcome is reproducible; the thresholds leave a wide margin on both sides.
let target: LlamaCppModel;
const drafts: LlamaCppModel[] = [];
const SAMPLES = 2500;
// `npm test`: the positive checks on 1000 draws in one context, the negative control on 1500 (its G values
// at 1500 are printed and still far past 1e-6); `npm run test:lossless` (CI): 2500 everywhere.
const POSITIVE_SAMPLES = proofScale(1000, SAMPLES);
const NEGATIVE_SAMPLES = proofScale(1500, SAMPLES);
// High-entropy contexts (dozens of likely two-token continuations) give the test its power.
const CONTEXTS = ['She saw a', 'He was very'];

beforeAll(async () => {
  target = (await openStories260K({ maxDraftNodes: 16, topK: 1, exposeLogits: true })).model;
});
afterAll(() => {
  for (const d of drafts) d.dispose();
  target?.dispose();
});

async function skewedDrafter(options: Pick<SpsOptions, 'gamma' | 'tree'>, scale = 0.5): Promise<SpsDrafter> {
  const { model } = await openStories260K({ ...spsDraftModelRequirements(options), exposeLogits: true });
  drafts.push(model);
  return new SpsDrafter(new SkewedModel(model, scale), { ...options, vocabSize: target.info.vocabSize, draftModelLabel: 'skewed' });
}

const plainCache = new Map<string, Map<string, number>>();

/** Plain sampling's counts (computed once per context and sampling: every test compares with the same sample). */
function plainCounts(context: string, sampling: Omit<SamplingOptions, 'seed'>, samples = SAMPLES): Map<string, number> {
  const key = JSON.stringify([context, sampling, samples]);
  let counts = plainCache.get(key);
  if (!counts) plainCache.set(key, (counts = jointCounts(new AutoregressiveDrafter(), context, sampling, 1_000_000, undefined, samples)));
  return counts;
}

/** Counts of the next two tokens over `SAMPLES` seeded generations. */
function jointCounts(
  drafter: Drafter,
  context: string,
  sampling: Omit<SamplingOptions, 'seed'>,
  seedBase: number,
  verifier?: Verifier,
  samples = SAMPLES,
): Map<string, number> {
  const loop = new DecodeLoop(target, drafter);
  const prompt = target.tokenize(context, true);
  const counts = new Map<string, number>();
  for (let i = 0; i < samples; i++) {
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

/** Marginal counts of the first of the two tokens. */
function firstTokens(joint: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, n] of joint) {
    const first = key.split(',')[0];
    out.set(first, (out.get(first) ?? 0) + n);
  }
  return out;
}

/**
 * WRONG on purpose: accepts a draw with min(1, p/q) as it should, but after a rejection samples from p
 * without the rejected token instead of the residual max(0, p − q) (a plausible bug: the rule for
 * deterministic drafts grafted onto drawn ones).
 */
class WrongResidualVerifier implements Verifier {
  readonly name = 'wrong-residual';
  private readonly rng = new Rng(0);
  private readonly dist: ProcessedDistribution;
  constructor(private readonly options: SamplingOptions) {
    this.dist = new ProcessedDistribution(target.info.vocabSize);
  }
  begin(seed: number): void {
    this.rng.reseed(seed);
  }
  verify(draft: Draft, _p: Predictions, m: TargetModel, out: Acceptance): void {
    const q = draft.proposals as ProposalDistributions;
    let node = 0;
    let length = 1;
    out.path[0] = 0;
    for (;;) {
      this.dist.build((m.nodeLogits as (row: number) => Float32Array)(node), 0, this.options);
      let accepted = -1;
      for (let c = draft.firstChild[node]; c >= 0; c = draft.nextSibling[c]) {
        const x = draft.tokens[c];
        const p = this.dist.probability(x);
        if (p > 0 && this.rng.next() * q.probs[q.offset(c) + x] < p) {
          accepted = c;
          break;
        }
        this.dist.remove(x);
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

/** Ignores the draft distribution: judges drawn drafts as deterministic ones (lossless too, accepts less). */
class IgnoreProposalsVerifier implements Verifier {
  readonly name = 'ignores-q';
  private readonly inner: SpeculativeSamplingVerifier;
  constructor(options: SamplingOptions) {
    this.inner = new SpeculativeSamplingVerifier(target.info.vocabSize, options);
  }
  begin(seed: number): void {
    this.inner.begin(seed);
  }
  verify(draft: Draft, predictions: Predictions, model: TargetModel, out: Acceptance): void {
    draft.proposals = null;
    this.inner.verify(draft, predictions, model, out);
  }
}

const SHAPES: Record<string, Pick<SpsOptions, 'gamma' | 'tree'>> = {
  'chain γ = 3': { gamma: 3, tree: null },
  'tree greedy:8:2 (draws without replacement)': { gamma: 3, tree: parseTemplate('greedy:8:2', 4) },
};

describe('lossless speculative sampling with a draft model', () => {
  for (const [label, shape] of Object.entries(SHAPES)) {
    it(
      `${label}, T = 1, top-p 0.9: the joint law of the next 2 tokens equals plain sampling`,
      async () => {
        const sampling = { temperature: 1, topK: 0, topP: 0.9 };
        const drafter = await skewedDrafter(shape);
        for (const context of proofScale(CONTEXTS.slice(0, 1), CONTEXTS)) {
          const plain = jointCounts(new AutoregressiveDrafter(), context, sampling, 1_000_000, undefined, POSITIVE_SAMPLES);
          const speculative = jointCounts(drafter, context, sampling, 2_000_000, undefined, POSITIVE_SAMPLES);
          const test = gTestHomogeneity(plain, speculative);
          expect(test.categories, 'enough distinct outcomes for the test to have power').toBeGreaterThan(5);
          console.log(`${label} ${JSON.stringify(context)}: G = ${test.g.toFixed(2)}, df = ${test.df}, p = ${test.pValue.toFixed(4)}`);
          expect(test.pValue, `G = ${test.g.toFixed(1)}, df = ${test.df}, context ${JSON.stringify(context)}`).toBeGreaterThan(1e-3);
        }
      },
      proofScale(600_000, 0),
    );
  }

  it(
    'negative control: a wrong residual after rejections is detected by the same test',
    async () => {
      const sampling = { temperature: 1, topK: 0, topP: 0.9 };
      const context = CONTEXTS[1];
      const plain = plainCounts(context, sampling, NEGATIVE_SAMPLES);
      // A sharper q (logits doubled): the wrong rule's bias on the first token is a total variation of ~0.13.
      const drafter = await skewedDrafter({ gamma: 3, tree: null }, 2);
      const wrong = jointCounts(
        drafter,
        context,
        sampling,
        2_000_000,
        new WrongResidualVerifier({ ...sampling, seed: 0 }),
        NEGATIVE_SAMPLES,
      );
      const joint = gTestHomogeneity(plain, wrong);
      const first = gTestHomogeneity(firstTokens(plain), firstTokens(wrong));
      console.log(
        `negative control: joint G = ${joint.g.toFixed(1)}, df = ${joint.df}, p = ${joint.pValue.toExponential(2)}; ` +
          `first token G = ${first.g.toFixed(1)}, df = ${first.df}, p = ${first.pValue.toExponential(2)}`,
      );
      expect(first.pValue).toBeLessThan(1e-6);
      expect(joint.pValue).toBeLessThan(1e-6);
      // The right rule with the same draft passes the same statistic.
      const right = gTestHomogeneity(
        firstTokens(plain),
        firstTokens(jointCounts(drafter, context, sampling, 2_000_000, undefined, NEGATIVE_SAMPLES)),
      );
      console.log(`same draft, right rule: first token G = ${right.g.toFixed(1)}, df = ${right.df}, p = ${right.pValue.toFixed(4)}`);
      expect(right.pValue).toBeGreaterThan(1e-3);
    },
    proofScale(600_000, 0),
  );

  it("the draft's q is used: min(1, p/q) accepts more than judging the draws as deterministic", async () => {
    const drafter = await skewedDrafter({ gamma: 3, tree: null });
    const prompt = target.tokenize(CONTEXTS[1], true);
    const sampling = { temperature: 1, topK: 0, topP: 0.9 };
    const mat = (verifier?: Verifier) => {
      const loop = new DecodeLoop(target, drafter);
      let tokens = 0;
      let steps = 0;
      for (let i = 0; i < 30; i++) {
        const r = loop.generate(prompt, { maxNewTokens: 40, sampling: { ...sampling, seed: i }, verifier });
        tokens += r.tokens.length;
        steps += r.steps;
      }
      return tokens / steps;
    };
    const withQ = mat();
    const withoutQ = mat(new IgnoreProposalsVerifier({ ...sampling, seed: 0 }));
    console.log(`MAT with q ${withQ.toFixed(3)}, judged as deterministic ${withoutQ.toFixed(3)}`);
    expect(withQ).toBeGreaterThan(withoutQ + 0.1);
  });

  it('speculation really happens and a seed reproduces a sampled run', async () => {
    const drafter = await skewedDrafter({ gamma: 3, tree: null });
    const loop = new DecodeLoop(target, drafter);
    const prompt = target.tokenize(CONTEXTS[1], true);
    const sampling = { temperature: 0.7, topK: 40, topP: 0.95, seed: 123 };
    const a = loop.generate(prompt, { maxNewTokens: 80, sampling });
    const b = loop.generate(prompt, { maxNewTokens: 80, sampling });
    expect(Array.from(a.tokens)).toEqual(Array.from(b.tokens));
    let tokens = 0;
    let steps = 0;
    for (let i = 0; i < 20; i++) {
      const r = loop.generate(prompt, { maxNewTokens: 40, sampling: { ...sampling, seed: i } });
      tokens += r.tokens.length;
      steps += r.steps;
    }
    expect(tokens / steps).toBeGreaterThan(1.3);
  });
});
