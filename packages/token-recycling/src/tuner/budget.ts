import { AutoregressiveDrafter, DecodeLoop, measureCostCurve, type TargetModel, TrbenchError } from '@trbench/core';
import { TreeTemplate } from '../template.ts';
import { TokenRecyclingDrafter } from '../token-recycling.ts';
import { calibrationPaths, costCurveSizes, FINAL_CHAINS, ROUND_ONE_CHAINS } from './tune.ts';

/** Default time budget of `--template auto` / `trbench tune` when no explicit knob is given. */
export const DEFAULT_TUNE_BUDGET_SECONDS = 60;

/** Parses `60`, `60s`, `90s`, `2m`, `1.5m` or `1h` into seconds, naming `where` on error. */
export function parseTuneBudget(raw: string | number, where: string): number {
  const m = typeof raw === 'number' ? [String(raw), String(raw), 's'] : /^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$/.exec(raw);
  const seconds = m ? Number(m[1]) * ({ s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h'] ?? 1) : Number.NaN;
  if (!(Number.isFinite(seconds) && seconds > 0))
    throw new TrbenchError(`${where} must be a duration > 0 such as 60s, 5m or 90 (seconds), got ${JSON.stringify(raw)}`);
  return seconds;
}

/** What the tuner will run to fit a time budget, and what that is expected to cost. */
export interface TuningPlan {
  prompts: number;
  maxNewTokens: number;
  /** Largest draft considered (root included); the calibration tree is grown within it. */
  maxNodes: number;
  curveRepeats: number;
  expectedSeconds: number;
  /** Whether even the smallest plan is expected to take longer than the budget. */
  overBudget: boolean;
  /** What the probe measured: ms per plain step, ms per step and MAT of the widest calibration tree. */
  probe: { plainStepMs: number; calibrationStepMs: number; calibrationNodes: number; calibrationMeanAccepted: number };
}

export interface PlanOptions {
  budgetSeconds: number;
  k: number;
  maxDepth: number;
  passes: number;
  iterations: number;
  /** Upper bounds, or fixed values when the user set them (`fixed`). */
  maxNodes: number;
  maxNewTokens: number;
  fixed: { prompts?: boolean; maxNewTokens?: boolean; maxNodes?: boolean };
  signal?: AbortSignal;
}

/**
 * Sizes a tuning run to a time budget on this model and machine. A probe (16 tokens of plain decoding and
 * 16 with the widest calibration tree on the first prompt, and a few warm forwards of that tree; a second
 * or so) measures the step times; the
 * cost of each phase is then predicted with step time linear in draft size between the two, and the
 * largest plan that fits is taken: all prompts and 128 tokens first, then fewer prompts (not below 8),
 * fewer tokens, a smaller tree budget and fewer cost-curve rounds. Knobs the user set stay as set.
 */
export async function planTuning(model: TargetModel, prompts: Int32Array[], options: PlanOptions): Promise<TuningPlan> {
  const { k, maxDepth, passes, iterations, signal } = options;
  const probeTokens = 16;
  const plainLoop = new DecodeLoop(model, new AutoregressiveDrafter());
  const plain = await plainLoop.generateAsync(prompts[0], { maxNewTokens: probeTokens, signal });
  const plainStepMs = (plain.timing.totalMs - plain.timing.prefillMs) / Math.max(1, plain.steps);
  const widest = calibrationPaths(k, Math.min(maxDepth, 8), options.maxNodes);
  const treeLoop = new DecodeLoop(
    model,
    new TokenRecyclingDrafter({
      vocabSize: model.info.vocabSize,
      k,
      template: new TreeTemplate('probe', widest),
      modelSha256: model.info.sha256,
    }),
  );
  const tree = await treeLoop.generateAsync(prompts[0], { maxNewTokens: probeTokens, signal });
  const calibrationNodes = widest.length + 1;
  const calibrationMeanAccepted = Math.max(1, tree.meanAcceptedTokens);
  // The tree's step from warm forwards (a decode loop's first steps pay the engine's re-planning for a new
  // batch shape): plain decoding's step plus what the larger forward adds, t(n) − t(1). (A ratio would
  // scale the loop's own per-step cost too, which dominates on small models.)
  const shape = new TreeTemplate('probe', widest).parent;
  const curve = await measureCostCurve(model, [1, calibrationNodes], (n) => shape.subarray(0, n), {
    contextLength: prompts[0].length,
    repeats: 1,
    signal,
  });
  const calibrationStepMs = plainStepMs + Math.max(0, curve.ms[1] - curve.ms[0]);
  const stepMs = (n: number) =>
    calibrationNodes <= 1 ? plainStepMs : plainStepMs + ((calibrationStepMs - plainStepMs) * (n - 1)) / (calibrationNodes - 1);

  const cost = (promptCount: number, maxNew: number, maxNodes: number, curveRepeats: number) => {
    const calNodes = calibrationPaths(k, Math.min(maxDepth, 8), maxNodes).length + 1;
    const plainRun = maxNew * plainStepMs;
    const calibrationRun = (maxNew / calibrationMeanAccepted) * stepMs(calNodes);
    // Candidates are trees near plain decoding's speed (that is what the tuner looks for).
    const roundOneLanes = Math.min(ROUND_ONE_CHAINS, maxNodes - 1) + 3 + 1;
    const laterLanes = 2 * Math.max(0, iterations - 1);
    // The final round: the best tree, chain:2, chain:3 and plain decoding.
    const finalLanes = FINAL_CHAINS.length + 2;
    const decodeMs = promptCount * (calibrationRun + plainRun + passes * (roundOneLanes + laterLanes + finalLanes) * plainRun);
    const curveMs = (curveRepeats + 1) * 3 * costCurveSizes(maxNodes).reduce((a, n) => a + stepMs(n), 0);
    return (decodeMs + curveMs) / 1000;
  };

  const all = prompts.length;
  const promptChoices = options.fixed.prompts ? [all] : descending(all, Math.min(8, all));
  const tokenChoices = options.fixed.maxNewTokens ? [options.maxNewTokens] : [128, 96, 64, 48, 32].filter((m) => m <= options.maxNewTokens);
  if (tokenChoices.length === 0) tokenChoices.push(options.maxNewTokens);
  const nodeChoices = options.fixed.maxNodes ? [options.maxNodes] : [128, 64, 32, 16].filter((n) => n <= options.maxNodes);
  if (nodeChoices.length === 0) nodeChoices.push(options.maxNodes);
  const plans: Array<[number, number, number, number]> = [];
  // Order of preference: shrink prompts (not below 8), then tokens, then the tree budget, then the
  // curve's rounds; last, fewer than 8 prompts (down to 3) with everything else at its smallest.
  for (const curveRepeats of [7, 5, 3])
    for (const maxNodes of nodeChoices)
      for (const maxNew of tokenChoices) for (const promptCount of promptChoices) plans.push([promptCount, maxNew, maxNodes, curveRepeats]);
  const last = plans[plans.length - 1];
  if (!options.fixed.prompts) for (let p = last[0] - 1; p >= Math.min(3, all); p--) plans.push([p, last[1], last[2], last[3]]);
  const fits = plans.find(([p, m, n, r]) => cost(p, m, n, r) <= options.budgetSeconds);
  const [promptCount, maxNewTokens, maxNodes, curveRepeats] = fits ?? plans[plans.length - 1];
  return {
    prompts: promptCount,
    maxNewTokens,
    maxNodes,
    curveRepeats,
    expectedSeconds: cost(promptCount, maxNewTokens, maxNodes, curveRepeats),
    overBudget: fits === undefined,
    probe: { plainStepMs, calibrationStepMs, calibrationNodes, calibrationMeanAccepted },
  };
}

/** from, from-1, …, down to `to` (inclusive). */
function descending(from: number, to: number): number[] {
  const out: number[] = [];
  for (let n = from; n >= to; n--) out.push(n);
  return out;
}
