import { describe, expect, it } from 'vitest';
import { NO_RUNNER_UP } from './commit-trace.ts';
import { classifyDivergence, type RunAtDivergence, reevaluateDivergence, tieTolerance } from './divergence.ts';
import type { Draft } from './draft.ts';
import type { Predictions } from './predictions.ts';
import { BigramModel } from './testing/bigram-model.ts';

const run = (committed: number, id: number, logit: number, runnerUp: number, runnerUpLogit: number): RunAtDivergence => ({
  committed,
  id,
  logit,
  runnerUp: { id: runnerUp, logit: runnerUpLogit },
});

describe('tieTolerance', () => {
  it('is 1e-2 absolute below |logit| 1 and 1e-2 relative above', () => {
    expect(tieTolerance(0.3)).toBeCloseTo(0.01, 12);
    expect(tieTolerance(-0.3)).toBeCloseTo(0.01, 12);
    expect(tieTolerance(12)).toBeCloseTo(0.12, 12);
    expect(tieTolerance(-12)).toBeCloseTo(0.12, 12);
  });

  it('takes a wider relative width where a sweep asks for one (numericTie)', () => {
    expect(tieTolerance(12, 0.02)).toBeCloseTo(0.24, 12);
    expect(tieTolerance(0.3, 0.02)).toBeCloseTo(0.02, 12);
  });
});

describe('classifyDivergence', () => {
  it('numeric: each run committed its own argmax and both hold a near-tie of the two tokens', () => {
    const v = classifyDivergence(run(10, 10, 5.001, 20, 4.998), run(20, 20, 5.0, 10, 4.992));
    expect(v.kind).toBe('numeric');
    expect(v.kind !== 'undecided' && v.delta).toBeCloseTo(0.008, 5);
  });

  it('logic: the method committed a token its own evaluation did not rank first', () => {
    const v = classifyDivergence(run(10, 10, 5, 20, 4.999), run(20, 10, 5, 20, 4.999));
    expect(v.kind).toBe('logic');
    expect(v.reason).toContain('the method committed token 20');
  });

  it('logic: plain decoding itself committed a non-argmax token', () => {
    expect(classifyDivergence(run(11, 10, 5, 11, 4.9999), run(10, 10, 5, 11, 4.9999)).kind).toBe('logic');
  });

  it('logic: a margin beyond the tie width in either evaluation', () => {
    // plain's margin 0.5 at logit 5 (width 0.05)
    expect(classifyDivergence(run(10, 10, 5, 20, 4.5), run(20, 20, 5, 10, 4.999)).kind).toBe('logic');
    // the method's evaluation disagrees by far (a broken mask, say)
    const v = classifyDivergence(run(10, 10, 5, 20, 4.999), run(20, 20, 9, 10, 2));
    expect(v.kind).toBe('logic');
    expect(v.kind !== 'undecided' && v.delta).toBeCloseTo(7, 5);
  });

  it('logic from a bound: the other token is not the runner-up and the runner-up is already far behind', () => {
    expect(classifyDivergence(run(10, 10, 5, 30, 3), run(20, 20, 5, 10, 4.999)).kind).toBe('logic');
  });

  it('undecided: three near-tied tokens, or no runner-up kept', () => {
    expect(classifyDivergence(run(10, 10, 5, 30, 4.999), run(20, 20, 5, 10, 4.999)).kind).toBe('undecided');
    expect(classifyDivergence(run(10, 10, 5, NO_RUNNER_UP, Number.NaN), run(20, 20, 5, 10, 4.999)).kind).toBe('undecided');
  });

  it('the width scales with the logit: 0.08 is a tie at logit 10, not at logit 2', () => {
    expect(classifyDivergence(run(1, 1, 10, 2, 9.92), run(2, 2, 10, 1, 9.92)).kind).toBe('numeric');
    expect(classifyDivergence(run(1, 1, 2, 2, 1.92), run(2, 2, 2, 1, 1.92)).kind).toBe('logic');
  });

  it('a wider width (a K-quant sweep) turns a crossed 1.06 % near-tie into numeric, and nothing else', () => {
    // Measured on the Q4_K_M twin: plain 439 over 272 by 0.014, the chain's evaluation 272 over 439 by 0.137.
    const plain = run(439, 439, 12.945, 272, 12.931);
    const method = run(272, 272, 13.0537, 439, 12.9164);
    expect(classifyDivergence(plain, method).kind).toBe('logic');
    const wide = classifyDivergence(plain, method, 0.02);
    expect(wide.kind).toBe('numeric');
    expect(wide.kind !== 'undecided' && wide.delta).toBeCloseTo(0.1373, 4);
    // Still logic at any width: a run that committed a token its own evaluation did not rank first.
    expect(classifyDivergence(plain, run(272, 439, 13.05, 272, 13.04), 0.1).kind).toBe('logic');
    // And a margin past the wider width.
    expect(classifyDivergence(plain, run(272, 272, 13.4, 439, 12.9), 0.02).kind).toBe('logic');
  });
});

/** A bigram mock whose row after token 3 puts tokens 7 and 8 `gap` apart (7 first); every other row is the mock's. */
class NearTieModel extends BigramModel {
  constructor(private readonly gap: number) {
    super({ vocabSize: 20, next: (t) => (t + 1) % 20, topK: 2 });
  }
  private patch(row: number, token: number, out: Predictions): void {
    if (token !== 3) return;
    out.argmax[row] = 7;
    out.topIds[row * out.k] = 7;
    out.topLogits[row * out.k] = 2;
    out.topIds[row * out.k + 1] = 8;
    out.topLogits[row * out.k + 1] = 2 - this.gap;
  }
  override evaluate(draft: Draft, out: Predictions): void {
    super.evaluate(draft, out);
    for (let i = 0; i < draft.count; i++) this.patch(i, draft.tokens[i], out);
  }
  override nodeLogits(row: number): Float32Array {
    const logits = super.nodeLogits(row);
    logits.fill(-5);
    logits[7] = 2;
    logits[8] = 2 - this.gap;
    return logits;
  }
}

describe('reevaluateDivergence', () => {
  it('numeric when both schedules hold a near-tie, logic when the model clearly prefers one token', () => {
    const tie = reevaluateDivergence(new NearTieModel(0.004), Int32Array.of(0, 1), [2, 3], 7, 8);
    expect(tie.verdict.kind).toBe('numeric');
    expect(tie.evaluations.map((e) => e.schedule)).toEqual(['one-at-a-time', 'one-batch']);
    expect(tie.verdict.delta).toBeCloseTo(0.004, 5);
    const clear = reevaluateDivergence(new NearTieModel(0.5), Int32Array.of(0, 1), [2, 3], 7, 8);
    expect(clear.verdict.kind).toBe('logic');
  });

  it('evaluates the prefix one token at a time, then in one batch', () => {
    const model = new NearTieModel(0.004);
    reevaluateDivergence(model, Int32Array.of(0, 1), [2, 3], 7, 8);
    // one at a time: roots 1, 2, 3 alone; one batch: root 3 alone after prefilling 0, 1, 2
    expect(model.evaluatedSizes).toEqual([1, 1, 1, 1]);
    expect(model.committedLength).toBe(3);
  });

  it('logic when a token is outside the top-k of a backend without full rows', () => {
    const model = new NearTieModel(0.004);
    const noRows = Object.assign(Object.create(model), { nodeLogits: undefined }) as NearTieModel;
    expect(reevaluateDivergence(noRows, Int32Array.of(0, 1), [2, 3], 7, 9).verdict.kind).toBe('logic');
    expect(reevaluateDivergence(noRows, Int32Array.of(0, 1), [2, 3], 7, 8).verdict.kind).toBe('numeric');
  });
});
