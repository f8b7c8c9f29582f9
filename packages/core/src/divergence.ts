import { NO_RUNNER_UP } from './commit-trace.ts';
import { Draft } from './draft.ts';
import type { TargetModel } from './model.ts';
import { Predictions } from './predictions.ts';

/**
 * What a divergence from plain decoding is:
 * - `numeric`: both runs committed their own evaluation's argmax, and the two tokens are a near-tie in both
 *   evaluations (see {@link tieTolerance}): the model's evaluations differ (batch shape, accumulation order),
 *   not the method;
 * - `logic`: anything else: a run committed a token its own evaluation did not rank first, or the losing
 *   token was clearly behind in one evaluation. A real bug.
 */
export type DivergenceKind = 'numeric' | 'logic';

/** One run's view of the diverging position: the token it committed and the target's top-2 as it saw them. */
export interface RunAtDivergence {
  committed: number;
  id: number;
  logit: number;
  /** `id` = {@link NO_RUNNER_UP} and `logit` NaN when the model was opened with top-1. */
  runnerUp: { id: number; logit: number };
}

export type DivergenceVerdict =
  | {
      kind: DivergenceKind;
      /**
       * For `numeric`: the larger of the two margins (plain's token over the method's in plain's evaluation,
       * and the reverse in the method's), i.e. how close the tie was. For `logic`: the margin that decided it
       * (NaN when a run committed a non-argmax token).
       */
      delta: number;
      /** One line for people. */
      reason: string;
    }
  | { kind: 'undecided'; reason: string };

/** Relative width of a near-tie: a margin up to `NUMERIC_TIE_RELATIVE · max(1, |logit|)` is a tie. */
export const NUMERIC_TIE_RELATIVE = 1e-2;

/**
 * The largest margin between two logits that still counts as a near-tie: `relative · max(1, |logit|)`
 * (default 1e-2), with `logit` the larger of the two. F16 keeps 11 significant bits (relative rounding
 * 2⁻¹¹ ≈ 4.9e-4) and a logit is a dot product over the hidden size whose summation order changes with the
 * batch shape, so evaluations of the same model in different schedules differ by up to a few 1e-3 on logits
 * of order 1-10; 1e-2 leaves room for that while a method that commits a token the model did not predict
 * (margins of order 0.1-10) stays far outside it. Absolute below |logit| = 1 so that logits near 0 get a
 * fixed width. Weights that quantise the activations to 8 bits in every product (llama.cpp's Q8_0/Q4_0/
 * K-quants) amplify that noise into rounding jumps: up to 1.8 % measured on K-quant twins
 * (`results/reports/cpu-quant.md`), which is why a sweep can widen it (config `numericTie`).
 */
export function tieTolerance(logit: number, relative = NUMERIC_TIE_RELATIVE): number {
  return relative * Math.max(1, Math.abs(logit));
}

/**
 * The margin of `winner` over `loser` in one evaluation, from its top-2: exact when `loser` is the runner-up,
 * else a lower bound (the loser ranks at most second). NaN when nothing is known (no runner-up kept).
 */
function marginOver(run: RunAtDivergence, loser: number): { margin: number; exact: boolean } {
  if (run.runnerUp.id === loser) return { margin: run.logit - run.runnerUp.logit, exact: true };
  if (run.runnerUp.id === NO_RUNNER_UP || Number.isNaN(run.runnerUp.logit)) return { margin: Number.NaN, exact: false };
  return { margin: run.logit - run.runnerUp.logit, exact: false };
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toPrecision(3) : String(x));

/**
 * Classifies the first position where a method's tokens differ from plain decoding's, from each run's own
 * top-2 there (the rule of {@link DivergenceKind}, width {@link tieTolerance}). Pure.
 *
 * `undecided` when the top-2 cannot tell: a run kept no runner-up, or the other run's token is not its
 * runner-up while the runner-up is itself within the tie width (three near-tied tokens). The caller then
 * re-evaluates the prefix ({@link reevaluateDivergence}).
 */
export function classifyDivergence(plain: RunAtDivergence, method: RunAtDivergence, relativeTie = NUMERIC_TIE_RELATIVE): DivergenceVerdict {
  for (const [name, run] of [
    ['plain decoding', plain],
    ['the method', method],
  ] as const) {
    if (run.committed !== run.id) {
      return {
        kind: 'logic',
        delta: Number.NaN,
        reason: `${name} committed token ${run.committed} but its own evaluation ranked ${run.id} first (logit ${fmt(run.logit)})`,
      };
    }
  }
  const a = plain.id;
  const b = method.id;
  const sides = [
    { name: 'plain decoding', run: plain, loser: b, ...marginOver(plain, b) },
    { name: "the method's evaluation", run: method, loser: a, ...marginOver(method, a) },
  ];
  for (const s of sides) {
    const tol = tieTolerance(s.run.logit, relativeTie);
    if (s.margin > tol) {
      return {
        kind: 'logic',
        delta: s.margin,
        reason: `${s.name} ranks ${s.run.id} ${s.exact ? '' : 'at least '}${fmt(s.margin)} above ${s.loser} (a tie is ≤ ${fmt(tol)})`,
      };
    }
  }
  const unknown = sides.find((s) => !s.exact);
  if (unknown) {
    return {
      kind: 'undecided',
      reason: `${unknown.name} kept ${unknown.run.runnerUp.id === NO_RUNNER_UP ? 'no runner-up' : `runner-up ${unknown.run.runnerUp.id}, not ${unknown.loser}`}`,
    };
  }
  const delta = Math.max(sides[0].margin, sides[1].margin);
  return {
    kind: 'numeric',
    delta,
    reason: `tie flip: plain ${a} over ${b} by ${fmt(sides[0].margin)}, the method's evaluation ${b} over ${a} by ${fmt(sides[1].margin)}`,
  };
}

/** Logits of the two tokens in one re-evaluation (an upper bound, `exact` false, for one outside the top-k). */
export interface ScheduleLogits {
  schedule: 'one-at-a-time' | 'one-batch';
  plainLogit: number;
  methodLogit: number;
  exact: boolean;
}

function readLogits(model: TargetModel, out: Predictions, a: number, b: number): Omit<ScheduleLogits, 'schedule'> {
  if (model.nodeLogits) {
    const row = model.nodeLogits(0);
    return { plainLogit: row[a], methodLogit: row[b], exact: true };
  }
  const k = out.k;
  const lookup = (t: number) => {
    for (let r = 0; r < k; r++) if (out.topIds[r] === t) return out.topLogits[r];
    return Number.NaN;
  };
  const floor = out.topLogits[k - 1];
  const la = lookup(a);
  const lb = lookup(b);
  return {
    plainLogit: Number.isNaN(la) ? floor : la,
    methodLogit: Number.isNaN(lb) ? floor : lb,
    exact: !Number.isNaN(la) && !Number.isNaN(lb),
  };
}

/**
 * Decides a divergence the committed top-2 could not ({@link classifyDivergence} said `undecided`) by
 * evaluating the prediction at the diverging position again, in two schedules:
 * - one at a time: the prompt but its last token prefilled, then every later token evaluated alone and
 *   committed (plain decoding's schedule);
 * - one batch: the prompt and the common tokens prefilled at once, the last one evaluated alone.
 *
 * `numeric` when, in both, the two tokens' logits (exact: full rows where the backend exposes them, else
 * the top-k) lie within {@link tieTolerance} of each other; `logic` otherwise (including a token outside the
 * top-k whose bound leaves the question open: a bug must not pass as numerics). Leaves the model's KV cache
 * holding the prefix; the decode loop resets it at the next request.
 *
 * @param prompt the request's prompt ids (BOS included where the model wants one)
 * @param common the generated tokens both runs share, before the diverging position
 */
export function reevaluateDivergence(
  model: TargetModel,
  prompt: Int32Array,
  common: ArrayLike<number>,
  plainToken: number,
  methodToken: number,
  relativeTie = NUMERIC_TIE_RELATIVE,
): { verdict: Exclude<DivergenceVerdict, { kind: 'undecided' }>; evaluations: ScheduleLogits[] } {
  const draft = new Draft(1);
  const out = new Predictions(1, model.topK);
  const rootOnly = Int32Array.of(0);
  const evaluations: ScheduleLogits[] = [];
  const evaluateRoot = (root: number) => {
    draft.reset(root);
    model.evaluate(draft, out);
  };

  model.reset();
  if (prompt.length > 1) model.prefill(prompt.subarray(0, prompt.length - 1));
  let root = prompt[prompt.length - 1];
  for (let i = 0; i < common.length; i++) {
    evaluateRoot(root);
    model.commit(rootOnly, 1);
    root = common[i];
  }
  evaluateRoot(root);
  evaluations.push({ schedule: 'one-at-a-time', ...readLogits(model, out, plainToken, methodToken) });

  const all = new Int32Array(prompt.length + common.length);
  all.set(prompt);
  for (let i = 0; i < common.length; i++) all[prompt.length + i] = common[i];
  model.reset();
  if (all.length > 1) model.prefill(all.subarray(0, all.length - 1));
  evaluateRoot(all[all.length - 1]);
  evaluations.push({ schedule: 'one-batch', ...readLogits(model, out, plainToken, methodToken) });

  let delta = 0;
  for (const e of evaluations) {
    const margin = Math.abs(e.plainLogit - e.methodLogit);
    const tol = tieTolerance(Math.max(e.plainLogit, e.methodLogit), relativeTie);
    if (!e.exact || margin > tol) {
      return {
        verdict: {
          kind: 'logic',
          delta: margin,
          reason: `re-evaluated ${e.schedule}: ${plainToken} ${fmt(e.plainLogit)} vs ${methodToken} ${fmt(e.methodLogit)}${e.exact ? '' : ' (one outside the top-k)'}, not a tie (≤ ${fmt(tol)})`,
        },
        evaluations,
      };
    }
    delta = Math.max(delta, margin);
  }
  return {
    verdict: { kind: 'numeric', delta, reason: `re-evaluated both ways: ${plainToken} and ${methodToken} within ${fmt(delta)}` },
    evaluations,
  };
}
