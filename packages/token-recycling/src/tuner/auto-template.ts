import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cacheDir, formatDuration, readJsonl, repoRoot, sha256Bytes, writeFileAtomic } from '@trbench/assets';
import { describeInterruption, type TargetModel, TrbenchError } from '@trbench/core';
import { DEFAULT_TUNE_BUDGET_SECONDS, planTuning, type TuningPlan } from './budget.ts';
import { formatGain, type TuneProgressFactory, type TuneResult, tuneTemplate } from './tune.ts';

/** The committed calibration prompts (disjoint from the story suite). */
export const CALIBRATION_PROMPTS_PATH = path.join(repoRoot, 'datasets', 'stories', 'calibration.jsonl');

export function loadCalibrationPrompts(file = CALIBRATION_PROMPTS_PATH): string[] {
  return (readJsonl(file) as Array<{ prompt?: unknown }>).map((row, i) => {
    if (typeof row.prompt !== 'string') throw new TrbenchError(`${file}:${i + 1}: expected a "prompt" string`);
    return row.prompt;
  });
}

/** Bumped whenever the tuner's algorithm changes, so cached trees from an older tuner are not reused. */
export const TUNER_VERSION = 5;

/**
 * What a tuned tree depends on: the model, the engine and its settings, the machine, and the tuner's knobs
 * (`maxNewTokens` only when it is not the default 128, so keys of earlier tunings stay valid).
 */
export function tuningKey(
  model: TargetModel,
  k: number,
  maxNodes: number,
  prompts: string[],
  maxNewTokens?: number,
  budgetSeconds?: number,
): Record<string, unknown> {
  return {
    tuner: TUNER_VERSION,
    calibrationSha256: sha256Bytes(JSON.stringify(prompts)),
    modelSha256: model.info.sha256,
    backend: model.backend,
    contextSize: model.info.contextSize,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    k,
    maxNodes,
    ...(maxNewTokens !== undefined && maxNewTokens !== 128 ? { maxNewTokens } : {}),
    // A budget-sized run depends on the budget, not on what the probe made of it on a given day.
    ...(budgetSeconds !== undefined ? { budgetSeconds } : {}),
  };
}

/** Cache file of the tuned template for this model, backend and machine. */
export function tunedTemplatePath(
  model: TargetModel,
  k: number,
  maxNodes: number,
  prompts: string[],
  maxNewTokens?: number,
  budgetSeconds?: number,
): string {
  const key = sha256Bytes(JSON.stringify(tuningKey(model, k, maxNodes, prompts, maxNewTokens, budgetSeconds))).slice(0, 16);
  return path.join(cacheDir(), 'tuned-templates', `${model.info.name}-${key}.json`);
}

/** The JSON a tuned template is stored as; `--template file.json` reads `paths` from it. */
export interface TunedTemplateFile extends TuneResult {
  key: Record<string, unknown>;
  /** How the run was sized (absent in files of older tuners). */
  plan?: TuningPlan;
  createdAt: string;
}

/** Depth of a tree given by its rank paths (0 for plain decoding). */
export function pathsDepth(paths: ReadonlyArray<ReadonlyArray<number>>): number {
  return paths.reduce((d, p) => Math.max(d, p.length), 0);
}

/**
 * One line about the tree `--template auto` uses: `tuned-9 (9 nodes, depth 4): predicted … tok/s, measured
 * … tok/s on calibration (plain decoding … tok/s), gain 1.12× [1.05, 1.19]; cached in FILE` — or that it
 * keeps plain decoding because no tree was significantly faster.
 */
export function describeTuned(result: TunedTemplateFile, file: string, fromCache: boolean): string {
  const where = `${fromCache ? 'cached' : 'new, saved'} in ${file}`;
  const plainSpeed = `plain decoding ${result.autoregressiveTokensPerSecond.toFixed(1)} tok/s`;
  if (result.plain) {
    const best = result.candidates.reduce<TunedTemplateFile['candidates'][number] | null>(
      (a, b) => (a === null || b.calibrationTokensPerSecond > a.calibrationTokensPerSecond ? b : a),
      null,
    );
    return (
      `--template auto resolves to plain decoding: no tree was significantly faster on calibration (${plainSpeed}` +
      `${best ? `; best tree ${best.nodes} nodes, ${best.calibrationTokensPerSecond.toFixed(1)} tok/s, ${formatGain(best.gain)}` : ''}); ${where}`
    );
  }
  const same = (c: TunedTemplateFile['candidates'][number]) => c.nodes === result.nodes && c.paths.length === result.paths.length;
  const chosen = result.candidates.find((c) => c.final && same(c)) ?? result.candidates.find(same);
  return (
    `--template auto uses ${result.name} (${result.nodes} nodes, depth ${pathsDepth(result.paths)}): predicted ${result.predictedTokensPerSecond.toFixed(1)} tok/s, ` +
    `measured ${result.calibrationTokensPerSecond.toFixed(1)} tok/s on calibration (${plainSpeed}), gain ${formatGain(chosen?.gain ?? null)}; ${where}`
  );
}

/**
 * `--template auto`: the cached tuned tree for this model + backend + machine, or a fresh tuning run on
 * the calibration prompts (then cached). The model must be opened for `maxNodes` nodes and top-k >= k.
 *
 * Without explicit knobs (`promptCount`, `maxNewTokens`) the run is sized to a time budget
 * (`budgetSeconds`, default {@link DEFAULT_TUNE_BUDGET_SECONDS}) measured on this machine by
 * {@link planTuning}; knobs that are given stay as given. The plan and the time it expects are logged
 * before tuning starts. An interruption (`signal`) stops at the next decode step and caches nothing:
 * finished measurements are discarded and the next run tunes from the start.
 */
export async function ensureTunedTemplate(
  model: TargetModel,
  options: {
    k?: number;
    maxNodes?: number;
    /** Calibration prompts (texts); default: the committed stories calibration set. */
    prompts?: string[];
    /** Use only the first n prompts (an explicit knob: not resized by the budget). */
    promptCount?: number;
    /** Tokens per calibration prompt (an explicit knob). */
    maxNewTokens?: number;
    /** The largest tree was set by the user (not resized by the budget). */
    maxNodesFixed?: boolean;
    /** Time budget in seconds; default 60 unless an explicit knob is given (then the knobs alone decide). */
    budgetSeconds?: number;
    force?: boolean;
    log?: (line: string) => void;
    /** Called once before calibrating, only when there is no cached result (to say so). */
    onCalibrate?: (prompts: number) => void;
    signal?: AbortSignal;
    progress?: TuneProgressFactory;
  } = {},
): Promise<{ file: string; result: TunedTemplateFile; fromCache: boolean }> {
  const k = options.k ?? 8;
  const maxNodes = Math.min(options.maxNodes ?? 128, model.maxDraftNodes);
  const allTexts = options.prompts ?? loadCalibrationPrompts();
  const explicit = options.promptCount !== undefined || options.maxNewTokens !== undefined;
  const budgetSeconds = options.budgetSeconds ?? (explicit ? undefined : DEFAULT_TUNE_BUDGET_SECONDS);
  const texts = options.promptCount === undefined ? allTexts : allTexts.slice(0, options.promptCount);
  const file = tunedTemplatePath(model, k, maxNodes, texts, options.maxNewTokens, budgetSeconds);
  if (existsSync(file) && !options.force) {
    return { file, result: JSON.parse(readFileSync(file, 'utf8')) as TunedTemplateFile, fromCache: true };
  }
  const log = options.log ?? (() => {});
  let phase = 'probing step times';
  const progress: TuneProgressFactory | undefined =
    options.progress &&
    ((label, total, unit) => {
      phase = label;
      return options.progress!(label, total, unit);
    });
  return describeInterruption(
    () => `tuning the TR tree (${phase})`,
    'nothing was cached: finished measurements are discarded and the next run tunes again from the start',
    async () => {
      const tokenized = texts.map((p) => model.tokenize(p, true));
      const maxDepth = 12;
      const passes = 3;
      const iterations = 3;
      const plan = await planTuning(model, tokenized, {
        budgetSeconds: budgetSeconds ?? Number.POSITIVE_INFINITY,
        k,
        maxDepth,
        passes,
        iterations,
        maxNodes,
        maxNewTokens: options.maxNewTokens ?? 128,
        fixed: {
          prompts: budgetSeconds === undefined || options.promptCount !== undefined,
          maxNewTokens: budgetSeconds === undefined || options.maxNewTokens !== undefined,
          maxNodes: budgetSeconds === undefined || options.maxNodesFixed === true,
        },
        signal: options.signal,
      });
      options.onCalibrate?.(plan.prompts);
      log(describePlan(plan, budgetSeconds, texts.length));
      const result = await tuneTemplate({
        model,
        modelSha256: model.info.sha256,
        prompts: tokenized.slice(0, plan.prompts),
        k,
        maxNodes: plan.maxNodes,
        maxDepth,
        passes,
        iterations,
        curveRepeats: plan.curveRepeats,
        maxNewTokens: plan.maxNewTokens,
        log: options.log,
        signal: options.signal,
        progress,
      });
      const stored: TunedTemplateFile = {
        ...result,
        key: tuningKey(model, k, maxNodes, texts, options.maxNewTokens, budgetSeconds),
        plan,
        createdAt: new Date().toISOString(),
      };
      writeFileAtomic(file, `${JSON.stringify(stored, null, 1)}\n`);
      return { file, result: stored, fromCache: false };
    },
  );
}

/** `budget 60s: 12 of 24 prompts × 128 tokens, trees up to 64 nodes; expected ≈ 55s (…)`. */
export function describePlan(plan: TuningPlan, budgetSeconds: number | undefined, available: number): string {
  const p = plan.probe;
  const head = budgetSeconds === undefined ? 'explicit knobs' : `budget ${formatDuration(budgetSeconds)}`;
  return (
    `${head}: ${plan.prompts} of ${available} prompts × ${plan.maxNewTokens} tokens, trees up to ${plan.maxNodes} nodes, ` +
    `cost curve ${plan.curveRepeats} rounds; expected ≈ ${formatDuration(plan.expectedSeconds)}` +
    `${plan.overBudget ? ' (over the budget: this is the smallest tuning run)' : ''} ` +
    `(measured now: plain step ${p.plainStepMs.toFixed(2)} ms, ${p.calibrationNodes}-node step ${p.calibrationStepMs.toFixed(2)} ms)`
  );
}
