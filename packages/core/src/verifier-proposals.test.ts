import { describe, expect, it } from 'vitest';
import { Draft } from './draft.ts';
import type { TargetModel } from './model.ts';
import { Predictions } from './predictions.ts';
import { ProposalDistributions } from './proposals.ts';
import { ProcessedDistribution, Rng } from './sampling.ts';
import { SpeculativeSamplingVerifier } from './verifier.ts';
import { Acceptance } from './verify.ts';

// Exactness of the min(1, p/q) rule with residuals, on a 4-token vocabulary where the law of the first
// emitted token is known: it must be p whatever q the drafts were drawn from.
const P = [0.5, 0.3, 0.15, 0.05];
const Q = [0.1, 0.2, 0.3, 0.4];
const SAMPLING = { temperature: 1, topK: 0, topP: 1, seed: 0 };
const TRIALS = 200_000;

/** Every node predicts P. */
const model = {
  backend: { name: 'fixed', version: '0', device: 'cpu', threads: 1 },
  nodeLogits: () => Float32Array.from(P, Math.log),
} as unknown as TargetModel;

/** Frequencies of the first emitted token when `children` drafts are drawn from Q without replacement. */
function firstTokenLaw(children: number, useProposals: boolean, claimUniform = false): number[] {
  const verifier = new SpeculativeSamplingVerifier(4, SAMPLING);
  const draws = new Rng(12345);
  const q = new ProcessedDistribution(4);
  const proposals = new ProposalDistributions(8, 4);
  const draft = new Draft(8);
  const out = new Acceptance(8);
  const preds = new Predictions(8, 1);
  const counts = [0, 0, 0, 0];
  for (let t = 0; t < TRIALS; t++) {
    verifier.begin(t);
    draft.reset(0);
    proposals.clear();
    q.build(Float32Array.from(Q, Math.log), 0, SAMPLING);
    for (let c = 0; c < children; c++) {
      const x = q.sample(draws);
      q.writeDense(proposals.probs, proposals.offset(draft.count));
      proposals.marked[draft.count] = 1;
      draft.add(x, 0);
      q.remove(x);
    }
    if (claimUniform) for (let c = 1; c < draft.count; c++) proposals.probs.fill(0.25, proposals.offset(c), proposals.offset(c) + 4);
    if (useProposals) draft.proposals = proposals;
    verifier.verify(draft, preds, model, out);
    counts[out.length > 1 ? draft.tokens[out.path[1]] : out.bonusToken]++;
  }
  return counts.map((n) => n / TRIALS);
}

describe('speculative sampling with draft distributions', () => {
  for (const children of [1, 2, 3]) {
    it(`${children} sibling draft(s) drawn from q without replacement: the first token follows p`, () => {
      const law = firstTokenLaw(children, true);
      // 200k trials: standard error <= 0.0012; 0.006 is 5 of them.
      law.forEach((f, i) => expect(Math.abs(f - P[i]), `token ${i}: ${f.toFixed(4)} vs ${P[i]}`).toBeLessThan(0.006));
    });
  }

  it('negative control: a q other than the one the draft was drawn from breaks the law', () => {
    const law = firstTokenLaw(1, true, true);
    expect(Math.max(...law.map((f, i) => Math.abs(f - P[i])))).toBeGreaterThan(0.03);
  });

  it('residual and dense rows: max(0, p − q) renormalised, q written as a dense row', () => {
    const d = new ProcessedDistribution(4);
    d.build(Float32Array.from(P, Math.log), 0, SAMPLING);
    const row = new Float64Array(6);
    d.writeDense(row, 2);
    expect(Array.from(row.subarray(2)).map((x) => +x.toFixed(6))).toEqual(P);
    expect(d.subtractProposal(Float64Array.from(Q), 0)).toBe(true);
    // max(0, p − q) = [0.4, 0.1, 0, 0] → [0.8, 0.2, 0, 0]
    expect([0, 1, 2, 3].map((t) => +d.probability(t).toFixed(6))).toEqual([0.8, 0.2, 0, 0]);
    // q equal to what is left: nothing remains, the distribution is kept as it was.
    const same = Float64Array.from([0, 1, 2, 3], (t) => d.probability(t));
    expect(d.subtractProposal(same, 0)).toBe(false);
    expect(d.probability(0)).toBeCloseTo(0.8, 6);
  });

  it('without the proposals the acceptance is lower (the rule really reads q)', () => {
    const verifier = new SpeculativeSamplingVerifier(4, SAMPLING);
    const draft = new Draft(2);
    const proposals = new ProposalDistributions(2, 4);
    const out = new Acceptance(2);
    const preds = new Predictions(2, 1);
    // Token 2 drawn from Q: accepted with min(1, 0.15 / 0.3) = 0.5 by the q rule, 0.15 as a point mass.
    const rate = (withQ: boolean) => {
      let accepted = 0;
      for (let t = 0; t < 20_000; t++) {
        verifier.begin(t);
        draft.reset(0);
        proposals.probs.set(Q, proposals.offset(1));
        proposals.marked[1] = 1;
        draft.add(2, 0);
        if (withQ) draft.proposals = proposals;
        verifier.verify(draft, preds, model, out);
        if (out.length > 1) accepted++;
      }
      return accepted / 20_000;
    };
    expect(rate(true)).toBeCloseTo(0.5, 1);
    expect(rate(false)).toBeCloseTo(0.15, 1);
  });
});
