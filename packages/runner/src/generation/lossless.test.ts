import { BigramModel } from '@trbench/core/testing';
import { describe, expect, it } from 'vitest';
import { compareWithReference, diagnoseDivergence, formatDelta } from './lossless.ts';

describe('compareWithReference', () => {
  const t = (...tokens: number[]) => ({ tokens });
  it('is null when every turn has the same ids', () => {
    expect(compareWithReference([t(1, 2), t(3)], [t(1, 2), t(3)])).toBeNull();
    expect(compareWithReference([], [])).toBeNull();
  });
  it('names the turn (1-based) and token index of the first difference', () => {
    expect(compareWithReference([t(1, 2), t(3, 4)], [t(1, 2), t(3, 5)])).toEqual({ turn: 2, index: 1 });
    expect(compareWithReference([t(1, 2)], [t(1, 2, 9)])).toEqual({ turn: 1, index: 2 });
  });
  it('treats a turn present on one side only as diverging at its start', () => {
    expect(compareWithReference([t(1)], [t(1), t(2)])).toEqual({ turn: 2, index: 0 });
  });
});

describe('diagnoseDivergence', () => {
  const model = new BigramModel({ vocabSize: 50, next: (t) => (t + 1) % 50, topK: 2 });
  /** A run whose committed tokens `tokens` each came with top-2 `[token, other]` at logits `[l, l - gap]`. */
  const runOf = (tokens: number[], gaps: number[], others: number[]) => ({
    turns: [{ tokens }],
    evidence: [
      {
        prompt: Int32Array.of(1, 2),
        trace: {
          ids: Int32Array.from(tokens.flatMap((t, i) => [t, others[i]])),
          logits: Float32Array.from(gaps.flatMap((g) => [3, 3 - g])),
        },
      },
    ],
  });

  it('numeric from both traces: each side shows its token, logit and runner-up', () => {
    const d = diagnoseDivergence(model, { turn: 1, index: 1 }, runOf([5, 7], [1, 0.004], [9, 8]), runOf([5, 8], [1, 0.006], [9, 7]));
    expect(d).toMatchObject({ kind: 'numeric', decidedBy: 'trace', plain: { id: 7, logit: 3, runnerUp: { id: 8 } } });
    expect(d.method).toMatchObject({ id: 8, logit: 3, runnerUp: { id: 7 } });
    expect(d.delta).toBeCloseTo(0.006, 5);
  });

  it('logic when the method committed a token its evaluation ranked second, even without the reference trace', () => {
    const method = runOf([5, 8], [1, 0.001], [9, 8]);
    method.evidence[0].trace.ids[2] = 7; // its own argmax was 7
    const d = diagnoseDivergence(model, { turn: 1, index: 1 }, { turns: [{ tokens: [5, 7] }] }, method);
    expect(d).toMatchObject({ kind: 'logic', decidedBy: 'trace', method: { id: 8, runnerUp: { id: 7 } } });
  });

  it('logic without data when one run stopped or has no such turn', () => {
    expect(
      diagnoseDivergence(model, { turn: 1, index: 2 }, runOf([5, 7], [1, 1], [9, 9]), runOf([5, 7, 3], [1, 1, 1], [9, 9, 9])),
    ).toMatchObject({
      kind: 'logic',
      decidedBy: 'no-data',
    });
    expect(diagnoseDivergence(model, { turn: 2, index: 0 }, runOf([5], [1], [9]), runOf([5], [1], [9]))).toMatchObject({
      kind: 'logic',
      decidedBy: 'no-data',
    });
  });

  it('re-evaluates when the top-2 cannot tell: the bigram mock ranks the tokens 1.0 apart, so logic', () => {
    // Three-way tie in the trace (the other token is not the runner-up, which is within the width).
    const d = diagnoseDivergence(model, { turn: 1, index: 1 }, runOf([5, 3], [1, 0.001], [9, 30]), runOf([5, 4], [1, 0.001], [9, 31]));
    expect(d.decidedBy).toBe('re-evaluation');
    expect(d.kind).toBe('logic');
  });
});

describe('formatDelta', () => {
  it('prints two significant digits', () => {
    expect(formatDelta(0.0031234)).toBe('Δ 0.0031');
    expect(formatDelta(0.008)).toBe('Δ 0.008');
    expect(formatDelta(null)).toBe('Δ ?');
  });
});
