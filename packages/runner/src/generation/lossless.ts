import {
  type CommitTraceData,
  classifyDivergence,
  type DivergenceKind,
  NO_RUNNER_UP,
  NUMERIC_TIE_RELATIVE,
  type RunAtDivergence,
  reevaluateDivergence,
  type TargetModel,
} from '@trbench/core';

/** Where a method's output first differs from plain decoding's. */
export interface Divergence {
  /** 1-based turn. */
  turn: number;
  /** 0-based index of the first differing token id within that turn. */
  index: number;
}

/** One run's committed token at a divergence and the target's top-2 there as that run saw them. */
export interface DivergenceSide {
  id: number;
  /** null where not kept (a run without a trace: the verdict then came from re-evaluation). */
  logit: number | null;
  runnerUp: { id: number; logit: number | null } | null;
}

/** A divergence with its diagnosis (`classifyDivergence` in @trbench/core: numeric tie flip or logic bug). */
export interface DiagnosedDivergence extends Divergence {
  kind: DivergenceKind;
  /**
   * numeric: the tie's margin (the larger of both runs' margins between the two tokens); logic: the margin
   * that decided it; null when a run committed a token its own evaluation did not rank first.
   */
  delta: number | null;
  /** `trace`: from both runs' committed top-2; `re-evaluation`: the prefix evaluated again both ways. */
  decidedBy: 'trace' | 're-evaluation' | 'no-data';
  plain: DivergenceSide | null;
  method: DivergenceSide | null;
  reason: string;
}

/** What a run kept per turn besides its tokens, in memory only (records hold the diagnosis, not this). */
export interface TurnEvidence {
  /** The turn's prompt ids. */
  prompt: Int32Array;
  trace: CommitTraceData;
}

/** A run's turns as the diagnosis reads them. */
export interface DiagnosisRun {
  turns: ReadonlyArray<{ tokens: ArrayLike<number> }>;
  evidence?: ReadonlyArray<TurnEvidence>;
}

/** Index of the first position where two token sequences differ, or -1 when identical. */
export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/**
 * Compares token ids turn by turn with the AR reference of the same question; null when identical. A
 * turn present on one side only diverges at its index 0.
 */
export function compareWithReference(
  reference: ReadonlyArray<{ tokens: ArrayLike<number> }>,
  turns: ReadonlyArray<{ tokens: ArrayLike<number> }>,
): Divergence | null {
  const n = Math.max(reference.length, turns.length);
  for (let t = 0; t < n; t++) {
    if (t >= reference.length || t >= turns.length) return { turn: t + 1, index: 0 };
    const d = firstDifference(turns[t].tokens, reference[t].tokens);
    if (d >= 0) return { turn: t + 1, index: d };
  }
  return null;
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

function atPosition(trace: CommitTraceData, tokens: ArrayLike<number>, index: number): RunAtDivergence {
  return {
    committed: tokens[index],
    id: trace.ids[2 * index],
    logit: trace.logits[2 * index],
    runnerUp: { id: trace.ids[2 * index + 1], logit: trace.logits[2 * index + 1] },
  };
}

function sideOf(run: RunAtDivergence | null, committed: number): DivergenceSide {
  if (!run) return { id: committed, logit: null, runnerUp: null };
  return {
    id: run.committed,
    logit: finiteOrNull(run.committed === run.id ? run.logit : run.committed === run.runnerUp.id ? run.runnerUp.logit : Number.NaN),
    runnerUp:
      run.runnerUp.id === NO_RUNNER_UP
        ? null
        : run.committed === run.id
          ? { id: run.runnerUp.id, logit: finiteOrNull(run.runnerUp.logit) }
          : { id: run.id, logit: finiteOrNull(run.logit) },
  };
}

/**
 * Diagnoses a divergence from what both runs kept: each run's committed top-2 at the diverging position
 * (`classifyDivergence`); where that cannot decide (the reference's trace is gone because it was recorded
 * in an earlier session, or three tokens are near-tied), the prefix is evaluated again on `model`, one
 * token at a time and in one batch (`reevaluateDivergence`; this resets the model's KV cache). A side
 * is reported as the token it committed with its logit, and as runner-up the other of its top-2.
 */
export function diagnoseDivergence(
  model: TargetModel,
  divergence: Divergence,
  reference: DiagnosisRun,
  method: DiagnosisRun,
  relativeTie = NUMERIC_TIE_RELATIVE,
): DiagnosedDivergence {
  const t = divergence.turn - 1;
  const p = divergence.index;
  const plainTokens = reference.turns[t]?.tokens;
  const methodTokens = method.turns[t]?.tokens;
  const noData = (reason: string): DiagnosedDivergence => ({
    ...divergence,
    kind: 'logic',
    delta: null,
    decidedBy: 'no-data',
    plain: null,
    method: null,
    reason,
  });
  if (!plainTokens || !methodTokens) return noData(`turn ${divergence.turn} exists in one run only`);
  if (p >= plainTokens.length || p >= methodTokens.length)
    return noData(`one run stopped at token ${p} of turn ${divergence.turn} while the other went on`);
  const plainTrace = reference.evidence?.[t]?.trace;
  const methodEvidence = method.evidence?.[t] ?? reference.evidence?.[t];
  const plainRun = plainTrace && plainTrace.ids.length > 2 * p ? atPosition(plainTrace, plainTokens, p) : null;
  const methodTrace = method.evidence?.[t]?.trace;
  const methodRun = methodTrace && methodTrace.ids.length > 2 * p ? atPosition(methodTrace, methodTokens, p) : null;
  const sides = { plain: sideOf(plainRun, plainTokens[p]), method: sideOf(methodRun, methodTokens[p]) };

  let reason = '';
  if (plainRun && methodRun) {
    const verdict = classifyDivergence(plainRun, methodRun, relativeTie);
    if (verdict.kind !== 'undecided') {
      return {
        ...divergence,
        kind: verdict.kind,
        delta: finiteOrNull(verdict.delta),
        decidedBy: 'trace',
        ...sides,
        reason: verdict.reason,
      };
    }
    reason = `${verdict.reason}; `;
  } else if (methodRun && methodRun.committed !== methodRun.id) {
    return {
      ...divergence,
      kind: 'logic',
      delta: null,
      decidedBy: 'trace',
      ...sides,
      reason: `the method committed token ${methodRun.committed} but its own evaluation ranked ${methodRun.id} first`,
    };
  }
  if (!methodEvidence) return noData('neither run kept its prompt to re-evaluate');
  const common = Array.prototype.slice.call(plainTokens, 0, p) as number[];
  const { verdict } = reevaluateDivergence(model, methodEvidence.prompt, common, plainTokens[p], methodTokens[p], relativeTie);
  return {
    ...divergence,
    kind: verdict.kind,
    delta: finiteOrNull(verdict.delta),
    decidedBy: 're-evaluation',
    ...sides,
    reason: reason + verdict.reason,
  };
}

/** Kind of a recorded divergence; records made before divergences were diagnosed count as `logic`. */
export function divergenceKind(d: Divergence | DiagnosedDivergence): DivergenceKind {
  return 'kind' in d && d.kind !== undefined ? d.kind : 'logic';
}

/** `Δ 0.003`: the margin of a numeric divergence. */
export function formatDelta(delta: number | null | undefined): string {
  if (delta === null || delta === undefined) return 'Δ ?';
  return `Δ ${Number(delta.toPrecision(2))}`;
}
