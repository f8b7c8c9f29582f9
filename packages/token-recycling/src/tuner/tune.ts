import {
  AutoregressiveDrafter,
  type CostCurve,
  costAt,
  DecodeLoop,
  measureCostCurve,
  type PairedSpeedup,
  pairedSpeedup,
  type TargetModel,
  type Timed,
} from '@trbench/core';
import { type AcceptanceModel, chainPaths, compareBfs, greedyPaths, PAPER_2_2_2, type RankPath, TreeTemplate } from '../template.ts';
import { TokenRecyclingDrafter } from '../token-recycling.ts';
import { AcceptanceStats, RecordingDrafter } from './acceptance-stats.ts';

export interface TuneOptions {
  /** Opened with maxDraftNodes >= max(maxNodes, calibration tree) and topK >= k. */
  model: TargetModel;
  modelSha256: string;
  /** Calibration prompts (token ids), disjoint from the evaluation set. */
  prompts: Int32Array[];
  maxNewTokens?: number;
  k?: number;
  /** Largest draft considered, root included (the issue's n = 1 … 128). */
  maxNodes?: number;
  maxDepth?: number;
  /** Rounds of re-measuring the chosen tree and regrowing with its own statistics. */
  iterations?: number;
  /** Calibration passes per candidate (measured round-robin). */
  passes?: number;
  /** Rounds of the cost curve's measurement (default 7). */
  curveRepeats?: number;
  log?: (line: string) => void;
  /** Stops tuning at the next decode step (InterruptedError); nothing is returned or cached then. */
  signal?: AbortSignal;
  /** Progress of each phase (calibration, cost curve, plain decoding, each round): `total` units. */
  progress?: TuneProgressFactory;
  /**
   * The decode time (ms) a measured run is counted with; default its measured wall time. Tests inject a
   * time model here (e.g. steps × t(nodes)) to check the selection rule without depending on timings.
   */
  timeRun?: (run: { nodes: number; steps: number; tokens: number; wallMs: number }) => number;
}

/** Progress of one tuning phase, as `phaseProgress` of @trbench/assets draws it. */
export interface TuneProgress {
  update(done: number, detail?: string): void;
  stop(): void;
}

/** Starts the progress of a phase of `total` `unit` (e.g. 24 prompt runs). */
export type TuneProgressFactory = (label: string, total: number, unit: string) => TuneProgress;

/** Runs `work` under a phase's progress, which stops whatever happens. */
async function inPhase<T>(
  factory: TuneProgressFactory | undefined,
  label: string,
  total: number,
  unit: string,
  work: (progress: TuneProgress) => Promise<T>,
): Promise<T> {
  const progress = factory?.(label, total, unit) ?? { update: () => {}, stop: () => {} };
  try {
    return await work(progress);
  } finally {
    progress.stop();
  }
}

export interface BudgetRow {
  nodes: number;
  expectedAccepted: number;
  stepMs: number;
  predictedTokensPerSecond: number;
}

export interface Candidate {
  nodes: number;
  paths: RankPath[];
  predictedTokensPerSecond: number;
  expectedAccepted: number;
  /** Decode tokens/s measured on the calibration prompts with this tree. */
  calibrationTokensPerSecond: number;
  calibrationMeanAccepted: number;
  /**
   * Speedup over plain decoding measured in the same round, paired by prompt and pass (geometric mean of
   * per-prompt ratios of decode tok/s, with a 95 % interval): the tree is only worth it when `low` > 1.
   */
  gain: Pick<PairedSpeedup, 'estimate' | 'low' | 'high'> | null;
  /** Measured in the final round, side by side with chain:2, chain:3 and plain decoding (the choice is made there). */
  final?: boolean;
}

export interface TuneResult {
  /** `tuned-<nodes>`, or `plain` when no tree was significantly faster than plain decoding (then `paths` is empty). */
  name: string;
  /** True when plain decoding was kept: no candidate's gain interval lies above 1. */
  plain: boolean;
  paths: RankPath[];
  nodes: number;
  k: number;
  expectedAccepted: number;
  predictedTokensPerSecond: number;
  calibrationTokensPerSecond: number;
  /** Plain decoding's measured step time on the calibration prompts; step(n) = this × t(n) / t(1). */
  plainStepMs: number;
  /** Plain decoding on the calibration prompts, decode tokens/s. */
  autoregressiveTokensPerSecond: number;
  costCurve: CostCurve;
  budgets: BudgetRow[];
  candidates: Candidate[];
  /** Positional acceptance measured with the calibration tree. */
  calibrationStats: ReturnType<AcceptanceStats['toJSON']>;
}

/** Rank-0 chains (1 … this many drafts) measured in round 1 next to the predicted trees. */
export const ROUND_ONE_CHAINS = 8;

/** Chains (drafts) the final round always measures next to the best tree: the tuner is never worse than these. */
export const FINAL_CHAINS = [2, 3];

/** Draft sizes the cost curve times: every size up to 32, then every 8th, and the largest. */
export function costCurveSizes(maxNodes: number): number[] {
  const sizes: number[] = [];
  for (let n = 1; n <= Math.min(32, maxNodes); n++) sizes.push(n);
  for (let n = 40; n <= maxNodes; n += 8) sizes.push(n);
  if (sizes[sizes.length - 1] !== maxNodes) sizes.push(maxNodes);
  return sizes;
}

/** The calibration tree: the paper tree plus every rank hanging off the rank-0 spine down to `depth`. */
export function calibrationPaths(k: number, depth: number, maxNodes: number): RankPath[] {
  const keys = new Set<string>();
  const out: RankPath[] = [];
  const add = (p: RankPath) => {
    const key = p.join(',');
    if (!keys.has(key) && out.length < maxNodes - 1) {
      keys.add(key);
      out.push(p);
    }
  };
  const spine = chainPaths(depth);
  for (let d = 0; d < depth; d++) for (let r = 0; r < k; r++) add([...(d > 0 ? spine[d - 1] : []), r]);
  for (const p of PAPER_2_2_2) if (p.every((r) => r < k)) add(p);
  return out.sort(compareBfs);
}

/**
 * Picks the TR tree that maximises decode tokens per second on this model, backend and machine:
 * 1. run TR with a wide calibration tree and record positional acceptance by (depth, rank);
 * 2. measure the forward cost t(n) of drafts of n nodes;
 * 3. for every budget n grow the tree that maximises expected accepted tokens (best-first on path
 *    probability) and predict tokens/s = E(n) / (plain decoding step × t(n) / t(1));
 * 4. measure candidates on the calibration prompts together with plain decoding, several passes, prompt
 *    by prompt in a rotating order (paired measurements): first the rank-0 chains and the three best
 *    predicted budgets; then regrow from the best one's own statistics and measure the new best
 *    prediction, and repeat;
 * 5. keep the candidate with the best measured calibration speed, but only if its gain over plain
 *    decoding is significant (the 95 % interval of the paired speedup lies above 1); otherwise plain
 *    decoding (`plain: true`): a tree that is not clearly faster is not worth its risk.
 */
export async function tuneTemplate(options: TuneOptions): Promise<TuneResult> {
  const { model } = options;
  const k = options.k ?? 8;
  const maxNodes = options.maxNodes ?? 128;
  const maxDepth = options.maxDepth ?? 12;
  const maxNew = options.maxNewTokens ?? 128;
  const iterations = options.iterations ?? 3;
  const passes = options.passes ?? 3;
  const log = options.log ?? (() => {});
  const { signal } = options;
  const promptCount = options.prompts.length;
  const timeRun = options.timeRun ?? ((run: { wallMs: number }) => run.wallMs);

  const decodeSpeed = async (loop: DecodeLoop, progress: TuneProgress, what: string) => {
    let tokens = 0;
    let steps = 0;
    let decodeMs = 0;
    let context = 0;
    for (const [p, prompt] of options.prompts.entries()) {
      progress.update(p, `prompt ${p + 1}/${promptCount}, ${what}`);
      const r = await loop.generateAsync(prompt, { maxNewTokens: maxNew, signal });
      tokens += r.tokens.length;
      steps += r.steps;
      decodeMs += r.timing.totalMs - r.timing.prefillMs;
      context += prompt.length + r.tokens.length / 2;
    }
    progress.update(promptCount);
    return {
      tokens,
      steps,
      decodeMs,
      tokensPerSecond: (tokens / decodeMs) * 1000,
      stepMs: decodeMs / steps,
      meanAccepted: tokens / steps,
      meanContext: Math.round(context / options.prompts.length),
    };
  };
  const runTree = async (paths: RankPath[], progress: TuneProgress, stats = new AcceptanceStats(maxDepth, k)) => {
    const template = new TreeTemplate('candidate', paths);
    const drafter = new RecordingDrafter(
      new TokenRecyclingDrafter({ vocabSize: model.info.vocabSize, k, template, modelSha256: options.modelSha256 }),
      stats,
    );
    return { stats, ...(await decodeSpeed(new DecodeLoop(model, drafter), progress, `tree ${paths.length + 1} nodes`)) };
  };

  const calibration = calibrationPaths(k, Math.min(maxDepth, 8), maxNodes);
  log(`calibration tree: ${calibration.length + 1} nodes over ${options.prompts.length} prompts`);
  const base = await inPhase(options.progress, 'calibration', promptCount, 'prompts', (progress) => runTree(calibration, progress));
  log(`calibration MAT ${base.meanAccepted.toFixed(3)}, ${base.tokensPerSecond.toFixed(1)} tok/s`);

  const sizes = costCurveSizes(maxNodes);
  const shapeOrder = greedyPaths(maxNodes - 1, maxDepth, k, base.stats.model());
  const curveRepeats = options.curveRepeats ?? 7;
  const costCurve = await inPhase(options.progress, 'cost curve', curveRepeats + 1, 'rounds', (progress) =>
    measureCostCurve(model, sizes, (n) => new TreeTemplate('s', shapeOrder.slice(0, n - 1)).parent, {
      contextLength: base.meanContext,
      repeats: curveRepeats,
      signal,
      onRound: (done) => progress.update(done, `${sizes.length} draft sizes up to ${sizes[sizes.length - 1]} nodes`),
    }),
  );
  log(`cost curve at context ${base.meanContext}: ${costCurve.sizes.map((n, i) => `t(${n})=${costCurve.ms[i].toFixed(2)}`).join(' ')}`);

  // Time model: the curve's shape (t(n)/t(1), measured round-robin, so robust to uniform load) scaled by
  // plain decoding's measured step time, which carries the decode loop's own per-step costs.
  const plain = await inPhase(options.progress, 'plain decoding', promptCount, 'prompts', (progress) =>
    decodeSpeed(new DecodeLoop(model, new AutoregressiveDrafter()), progress, 'plain decoding'),
  );
  const t1 = costAt(costCurve, 1);
  const stepMs = (n: number) => plain.stepMs * (costAt(costCurve, n) / t1);
  log(`plain decoding ${plain.tokensPerSecond.toFixed(1)} tok/s (${plain.stepMs.toFixed(3)} ms/step)`);
  const candidates: Candidate[] = [];
  const tried = (paths: RankPath[]) => candidates.some((c) => samePaths(c.paths, paths));
  // The new candidates of a round and plain decoding are run `passes` times on the calibration prompts,
  // each pass with fresh drafters, prompt by prompt with the candidates taking turns in a rotating order:
  // a burst of load from elsewhere then hits them alike, and each prompt gives a paired ratio.
  const measureRound = async (list: RankPath[][], round: number, final = false): Promise<AcceptanceModel | null> => {
    const fresh = list.filter(
      (paths, i) => paths.length > 0 && (final || !tried(paths)) && list.findIndex((q) => samePaths(q, paths)) === i,
    );
    if (fresh.length === 0) return null;
    const totals = fresh.map(() => ({ tokens: 0, steps: 0, ms: 0, stats: new AcceptanceStats(maxDepth, k), runs: [] as Timed[] }));
    const plainRuns: Timed[] = [];
    const lanes = fresh.length + 1;
    const progress = options.progress?.(
      `${final ? 'final round' : `round ${round}`}: ${fresh.length} trees + plain decoding`,
      passes * promptCount * lanes,
      'runs',
    );
    try {
      for (let pass = 0; pass < passes; pass++) {
        const loops = fresh.map(
          (paths, i) =>
            new DecodeLoop(
              model,
              new RecordingDrafter(
                new TokenRecyclingDrafter({
                  vocabSize: model.info.vocabSize,
                  k,
                  template: new TreeTemplate('candidate', paths),
                  modelSha256: options.modelSha256,
                }),
                totals[i].stats,
              ),
            ),
        );
        const plainLoop = new DecodeLoop(model, new AutoregressiveDrafter());
        for (const [p, prompt] of options.prompts.entries()) {
          for (let j = 0; j < lanes; j++) {
            const lane = (j + p + pass) % lanes; // lane fresh.length = plain decoding
            progress?.update(
              (pass * promptCount + p) * lanes + j,
              `pass ${pass + 1}/${passes}, prompt ${p + 1}/${promptCount}, ${lane === fresh.length ? 'plain decoding' : `tree ${fresh[lane].length + 1} nodes`}`,
            );
            const r = await (lane === fresh.length ? plainLoop : loops[lane]).generateAsync(prompt, { maxNewTokens: maxNew, signal });
            const nodes = lane === fresh.length ? 1 : fresh[lane].length + 1;
            const wallMs = timeRun({ nodes, steps: r.steps, tokens: r.tokens.length, wallMs: r.timing.totalMs - r.timing.prefillMs });
            const run: Timed = { questionId: String(p), repeat: pass, newTokens: r.tokens.length, wallMs };
            if (lane === fresh.length) {
              plainRuns.push(run);
              continue;
            }
            const t = totals[lane];
            t.tokens += r.tokens.length;
            t.steps += r.steps;
            t.ms += run.wallMs;
            t.runs.push(run);
          }
        }
      }
    } finally {
      progress?.stop();
    }
    let bestModel: AcceptanceModel | null = null;
    let bestSpeed = -1;
    fresh.forEach((paths, i) => {
      const t = totals[i];
      const ownModel = t.stats.model(base.stats);
      const expected = expectedAccepted(paths, ownModel);
      const gain = pairedSpeedup(t.runs, plainRuns);
      const candidate: Candidate = {
        nodes: paths.length + 1,
        paths,
        expectedAccepted: expected,
        predictedTokensPerSecond: (expected / stepMs(paths.length + 1)) * 1000,
        calibrationTokensPerSecond: (t.tokens / t.ms) * 1000,
        calibrationMeanAccepted: t.tokens / t.steps,
        gain: gain && { estimate: gain.estimate, low: gain.low, high: gain.high },
        ...(final ? { final: true } : {}),
      };
      candidates.push(candidate);
      log(
        `${final ? 'final round' : `round ${round}`}: ${candidate.nodes} nodes ${JSON.stringify(paths)}: predicted ${candidate.predictedTokensPerSecond.toFixed(1)} tok/s, ` +
          `measured ${candidate.calibrationTokensPerSecond.toFixed(1)} tok/s (MAT ${candidate.calibrationMeanAccepted.toFixed(3)}), ` +
          `vs plain decoding ${formatGain(candidate.gain)}`,
      );
      if (candidate.calibrationTokensPerSecond > bestSpeed) {
        bestSpeed = candidate.calibrationTokensPerSecond;
        bestModel = ownModel;
      }
    });
    return bestModel;
  };

  let acceptance: AcceptanceModel = base.stats.model();
  let budgets: BudgetRow[] = [];
  for (let it = 0; it < iterations; it++) {
    const order = greedyPaths(maxNodes - 1, maxDepth, k, acceptance);
    budgets = budgetTable(order, acceptance, stepMs);
    const ranked = [...budgets].sort((a, b) => b.predictedTokensPerSecond - a.predictedTokensPerSecond);
    // Round 1 also measures the rank-0 chains, so the tuned tree is never worse on calibration than the
    // simple alternatives (every round measures plain decoding next to its candidates); later rounds regrow
    // the tree from the best candidate's own statistics.
    const list: RankPath[][] =
      it === 0
        ? [
            ...Array.from({ length: Math.min(ROUND_ONE_CHAINS, maxNodes - 1) }, (_, i) => chainPaths(i + 1)),
            ...ranked.slice(0, 3).map((row) => order.slice(0, row.nodes - 1)),
          ]
        : [order.slice(0, ranked[0].nodes - 1)];
    const next = await measureRound(list, it + 1);
    if (!next) break;
    acceptance = next;
  }
  // Final round: the best tree of the rounds (by its paired gain over plain decoding, measured in its own
  // round, so rounds run at different moments of a shared machine compare fairly) is measured again side by
  // side with chain:2 and chain:3 and plain decoding on the same calibration prompts, and the choice is made
  // there: the tuned tree is never one that lost to a plain chain on the same measurements.
  const roundBest = bestByGain(candidates);
  const finalists = [...(roundBest ? [roundBest.paths] : []), ...FINAL_CHAINS.filter((n) => n + 1 <= maxNodes).map((n) => chainPaths(n))];
  await measureRound(finalists, iterations + 1, true);
  const best = bestByGain(candidates.filter((c) => c.final));
  const significant = best !== null && best.gain?.low != null && best.gain.low > 1;
  if (!significant) {
    log(
      `no tree is significantly faster than plain decoding (best: ${best ? `${best.nodes} nodes, ${formatGain(best.gain)}` : 'none'}): keeping plain decoding`,
    );
  }
  const plainRow = budgets[0] ?? { expectedAccepted: 1, predictedTokensPerSecond: (1 / plain.stepMs) * 1000 };
  const chosen =
    significant && best
      ? best
      : {
          nodes: 1,
          paths: [] as RankPath[],
          expectedAccepted: 1,
          predictedTokensPerSecond: plainRow.predictedTokensPerSecond,
          calibrationTokensPerSecond: plain.tokensPerSecond,
        };
  return {
    name: significant ? `tuned-${chosen.nodes}` : 'plain',
    plain: !significant,
    paths: chosen.paths,
    nodes: chosen.nodes,
    k,
    expectedAccepted: chosen.expectedAccepted,
    predictedTokensPerSecond: chosen.predictedTokensPerSecond,
    calibrationTokensPerSecond: chosen.calibrationTokensPerSecond,
    plainStepMs: plain.stepMs,
    autoregressiveTokensPerSecond: plain.tokensPerSecond,
    costCurve,
    budgets,
    candidates,
    calibrationStats: base.stats.toJSON(),
  };
}

/**
 * The candidate with the highest paired gain over plain decoding (ties: the smaller tree, then the first
 * measured); candidates without a gain are ranked by their calibration speed after every one with a gain.
 */
export function bestByGain(candidates: ReadonlyArray<Candidate>): Candidate | null {
  let best: Candidate | null = null;
  for (const c of candidates) {
    if (best === null) {
      best = c;
      continue;
    }
    const a = best.gain?.estimate ?? Number.NEGATIVE_INFINITY;
    const b = c.gain?.estimate ?? Number.NEGATIVE_INFINITY;
    if (
      b > a ||
      (b === a &&
        (c.nodes < best.nodes ||
          (c.nodes === best.nodes && a === Number.NEGATIVE_INFINITY && c.calibrationTokensPerSecond > best.calibrationTokensPerSecond)))
    )
      best = c;
  }
  return best;
}

/** Expected tokens per step of a tree: 1 (bonus) + Σ over nodes of the product of acceptance along the path. */
export function expectedAccepted(paths: ReadonlyArray<RankPath>, acceptance: AcceptanceModel): number {
  let e = 1;
  for (const p of paths) {
    let prob = 1;
    for (let d = 0; d < p.length; d++) prob *= acceptance(d + 1, p[d]);
    e += prob;
  }
  return e;
}

function budgetTable(order: RankPath[], acceptance: AcceptanceModel, stepMs: (n: number) => number): BudgetRow[] {
  const rows: BudgetRow[] = [];
  let expected = 1;
  for (let n = 1; n <= order.length + 1; n++) {
    if (n > 1) {
      const p = order[n - 2];
      let prob = 1;
      for (let d = 0; d < p.length; d++) prob *= acceptance(d + 1, p[d]);
      expected += prob;
    }
    const ms = stepMs(n);
    rows.push({ nodes: n, expectedAccepted: expected, stepMs: ms, predictedTokensPerSecond: (expected / ms) * 1000 });
  }
  return rows;
}

/** `1.08× [1.03, 1.13]`, or `–` when not measured. */
export function formatGain(gain: Candidate['gain']): string {
  if (!gain) return '–';
  const ci = gain.low !== null && gain.high !== null ? ` [${gain.low.toFixed(2)}, ${gain.high.toFixed(2)}]` : '';
  return `${gain.estimate.toFixed(2)}×${ci}`;
}

function samePaths(a: RankPath[], b: RankPath[]): boolean {
  return a.length === b.length && a.every((p, i) => p.join(',') === b[i].join(','));
}
