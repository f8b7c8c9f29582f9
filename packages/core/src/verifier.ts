import type { Draft } from './draft.ts';
import { TrbenchError } from './errors.ts';
import type { TargetModel } from './model.ts';
import type { Predictions } from './predictions.ts';
import { ProcessedDistribution, Rng, type SamplingOptions } from './sampling.ts';
import { type Acceptance, verifyGreedy } from './verify.ts';

/**
 * Decides which path of an evaluated draft is accepted and what the bonus token is (vLLM's "sampler"
 * role: the drafter proposes, the model scores, the verifier accepts).
 */
export interface Verifier {
  readonly name: string;
  /** Starts a request (a sampling verifier reseeds here so each request is reproducible on its own). */
  begin(seed: number): void;
  verify(draft: Draft, predictions: Predictions, model: TargetModel, out: Acceptance): void;
}

/** Temperature 0: exact greedy verification. */
export class GreedyVerifier implements Verifier {
  readonly name = 'greedy';
  begin(): void {}
  verify(draft: Draft, predictions: Predictions, _model: TargetModel, out: Acceptance): void {
    verifyGreedy(draft, predictions, out);
  }
}

/**
 * Lossless speculative sampling for trees and chains, deterministic or drawn from a draft distribution.
 *
 * At an accepted node with processed distribution p, its verifiable children are tried in draft order:
 * child token x is accepted with probability p'(x), where p' is p with every earlier rejected sibling
 * removed and renormalised (the draft distribution is a point mass, so min(1, p'/q) = p'). If all are
 * rejected the bonus token is drawn from the final residual. The token emitted at each position therefore
 * has exactly distribution p: P(x₁) = p(x₁), P(x₂) = (1 − p(x₁))·p(x₂)/(1 − p(x₁)), … (SpecInfer's
 * multi-candidate rule). Descending into the accepted child continues with the model's distribution there,
 * so the whole sequence is distributed as plain ancestral sampling.
 *
 * A node drawn from a proposal q (`draft.proposals`, e.g. a draft model's own distribution) is accepted
 * with min(1, p'(x)/q(x)) and its rejection leaves the residual max(0, p' − q), renormalised: the standard
 * speculative-sampling step (Leviathan et al., Chen et al.) and, over siblings, SpecInfer's multi-candidate
 * rule with each candidate's own q (q conditioned on the siblings drawn before it). A point mass q = δ(x)
 * gives back the rule above, so both kinds of node mix freely. Each step emits exactly p': the accepted
 * part is min(p', q) and the rest is (1 − Σ min(p', q))·residual = max(0, p' − q).
 */
export class SpeculativeSamplingVerifier implements Verifier {
  readonly name = 'speculative-sampling';
  private readonly rng: Rng;
  private readonly dist: ProcessedDistribution;

  constructor(
    vocabSize: number,
    private readonly options: SamplingOptions,
  ) {
    if (!(options.temperature > 0)) throw new TrbenchError('the sampling verifier needs temperature > 0 (temperature 0 is greedy)');
    this.rng = new Rng(options.seed);
    this.dist = new ProcessedDistribution(vocabSize);
  }

  begin(seed: number): void {
    this.rng.reseed(seed);
  }

  verify(draft: Draft, _predictions: Predictions, model: TargetModel, out: Acceptance): void {
    if (!model.nodeLogits) throw new TrbenchError(`backend ${model.backend.name} cannot sample: it does not expose node logits`);
    const dist = this.dist;
    const tokens = draft.tokens;
    const proposals = draft.proposals;
    let node = 0;
    let length = 0;
    out.path[length++] = 0;
    for (;;) {
      dist.build(model.nodeLogits(node), 0, this.options);
      let accepted = -1;
      for (let c = draft.firstChild[node]; c >= 0; c = draft.nextSibling[c]) {
        if (draft.verifiable[c] !== 1) continue;
        const x = tokens[c];
        const p = dist.probability(x);
        if (proposals !== null && proposals.marked[c] === 1) {
          // Drawn from q: accept with min(1, p/q), else continue with the residual max(0, p − q).
          const off = proposals.offset(c);
          const q = proposals.probs[off + x];
          if (!(q > 0)) throw new Error(`draft node ${c} (token ${x}) has proposal probability ${q}: it cannot have been drawn from it`);
          if (p > 0 && this.rng.next() * q < p) {
            accepted = c;
            break;
          }
          if (!dist.subtractProposal(proposals.probs, off)) dist.remove(x);
          continue;
        }
        if (p > 0 && this.rng.next() < p) {
          accepted = c;
          break;
        }
        dist.remove(x);
      }
      if (accepted < 0) {
        out.bonusToken = dist.sample(this.rng);
        break;
      }
      out.path[length++] = accepted;
      node = accepted;
    }
    out.length = length;
  }
}
