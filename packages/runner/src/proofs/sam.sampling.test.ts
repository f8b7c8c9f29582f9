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
import type { SamOnlyDrafter, SamTrDrafter } from '@trbench/sam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDrafter } from '../methods/index.ts';
import { openModel } from '../models/open-model.ts';

// Statistical proof on the real model (llama.cpp) that SAM-Decoding's drafts (dynamic and static chains with
// pads, the static best-first tree, TR's tree) verified by the tree sampling verifier leave the output
// distribution of plain sampling unchanged: a G-test of homogeneity on the joint law of the next 2 tokens,
// with a deliberately wrong verifier as the negative control (as token-recycling's sampling proof does).
let model: TargetModel;
let sha256 = '';
const SAMPLES = proofScale(1000, 2500);
const CONTEXTS = ['She saw a', 'He was very'];
const SAMPLING = { temperature: 1.0, topK: 0, topP: 0.9 };

// Each variant drafts with a different source on these contexts (checked below).
const VARIANTS: [string, Record<string, unknown>, string][] = [
  ['sam', {}, 'sam-static'], // static best-first tree over the corpus automaton
  ['sam-tr', { lenBias: 0, lenThreshold: 2 }, 'sam-static'], // 40-token static chains, pads included
  ['sam-tr', {}, 'tr-tree'], // the 61-node TR tree
];

beforeAll(async () => {
  const opened = await openModel({
    model: 'stories260K',
    backend: 'llama.cpp',
    threads: 1,
    maxDraftNodes: 61,
    topK: 8,
    exposeLogits: true,
  });
  model = opened.model;
  sha256 = opened.resolved.sha256;
});
afterAll(() => model?.dispose());

const make = (method: string, params: Record<string, unknown>) =>
  createDrafter(method, params, {
    vocabSize: model.info.vocabSize,
    modelSha256: sha256,
    modelName: 'stories260K',
    modelSpec: 'stories260K',
    model,
  });

function jointCounts(drafter: Drafter, context: string, seedBase: number, verifier?: Verifier): Map<string, number> {
  const loop = new DecodeLoop(model, drafter);
  const prompt = model.tokenize(context, true);
  const counts = new Map<string, number>();
  for (let i = 0; i < SAMPLES; i++) {
    const r = loop.generate(prompt, {
      maxNewTokens: 2,
      stopAtEndOfGeneration: false,
      sampling: { ...SAMPLING, seed: seedBase + i },
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
        if (draft.verifiable[c] === 1 && this.dist.probability(x) > 0 && this.dist.ids.subarray(0, 3).includes(x)) {
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

describe('lossless speculative sampling with SAM-Decoding drafts', { timeout: proofScale(900_000, 0) }, () => {
  for (const [method, params, source] of VARIANTS) {
    it(`${method} ${JSON.stringify(params)} (${source}): the joint law of the next 2 tokens equals plain sampling`, async () => {
      for (const context of proofScale(CONTEXTS.slice(0, 1), CONTEXTS)) {
        const plain = jointCounts(new AutoregressiveDrafter(), context, 1_000_000);
        const drafter = await make(method, params);
        const speculative = jointCounts(drafter, context, 2_000_000);
        const used = (drafter as SamTrDrafter | SamOnlyDrafter).total.summary();
        expect(used[source]?.steps ?? 0, `drafts from ${source}: ${JSON.stringify(used)}`).toBeGreaterThan(SAMPLES / 2);
        const test = gTestHomogeneity(plain, speculative);
        expect(test.categories).toBeGreaterThan(5);
        console.log(
          `${method} ${JSON.stringify(params)} ${JSON.stringify(context)}: G = ${test.g.toFixed(2)}, df = ${test.df}, p = ${test.pValue.toFixed(4)}, sources ${JSON.stringify(used)}`,
        );
        expect(test.pValue, `G = ${test.g.toFixed(1)}, df = ${test.df}`).toBeGreaterThan(1e-3);
      }
    });
  }

  it('negative control: accepting any top-3 draft token is detected by the same test', async () => {
    const context = CONTEXTS[0];
    const plain = jointCounts(new AutoregressiveDrafter(), context, 1_000_000);
    const wrong = jointCounts(await make('sam', {}), context, 2_000_000, new TopKMembershipVerifier({ ...SAMPLING, seed: 0 }));
    const test = gTestHomogeneity(plain, wrong);
    console.log(`negative control: G = ${test.g.toFixed(1)}, df = ${test.df}, p = ${test.pValue.toExponential(2)}`);
    expect(test.pValue).toBeLessThan(1e-6);
  });
});
