import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cacheDir, readJsonl, repoRoot, sha256Bytes, writeFileAtomic } from '@trbench/assets';
import { type TargetModel, TrbenchError } from '@trbench/core';
import { type TuneOptions, type TuneResult, tuneTemplate } from './tune.ts';

/** The committed calibration prompts (disjoint from the story suite). */
export const CALIBRATION_PROMPTS_PATH = path.join(repoRoot, 'datasets', 'stories', 'calibration.jsonl');

export function loadCalibrationPrompts(file = CALIBRATION_PROMPTS_PATH): string[] {
  return (readJsonl(file) as Array<{ prompt?: unknown }>).map((row, i) => {
    if (typeof row.prompt !== 'string') throw new TrbenchError(`${file}:${i + 1}: expected a "prompt" string`);
    return row.prompt;
  });
}

/** Bumped whenever the tuner's algorithm changes, so cached trees from an older tuner are not reused. */
export const TUNER_VERSION = 3;

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
  };
}

/** Cache file of the tuned template for this model, backend and machine. */
export function tunedTemplatePath(model: TargetModel, k: number, maxNodes: number, prompts: string[], maxNewTokens?: number): string {
  const key = sha256Bytes(JSON.stringify(tuningKey(model, k, maxNodes, prompts, maxNewTokens))).slice(0, 16);
  return path.join(cacheDir(), 'tuned-templates', `${model.info.name}-${key}.json`);
}

/** The JSON a tuned template is stored as; `--template file.json` reads `paths` from it. */
export interface TunedTemplateFile extends TuneResult {
  key: Record<string, unknown>;
  createdAt: string;
}

/**
 * `--template auto`: the cached tuned tree for this model + backend + machine, or a fresh tuning run on
 * the calibration prompts (then cached). The model must be opened for `maxNodes` nodes and top-k >= k.
 */
export function ensureTunedTemplate(
  model: TargetModel,
  options: { k?: number; maxNodes?: number; prompts?: string[]; force?: boolean; log?: (line: string) => void } & Pick<
    TuneOptions,
    'maxNewTokens'
  > = {},
): { file: string; result: TunedTemplateFile; fromCache: boolean } {
  const k = options.k ?? 8;
  const maxNodes = Math.min(options.maxNodes ?? 128, model.maxDraftNodes);
  const texts = options.prompts ?? loadCalibrationPrompts();
  const file = tunedTemplatePath(model, k, maxNodes, texts, options.maxNewTokens);
  if (existsSync(file) && !options.force) {
    return { file, result: JSON.parse(readFileSync(file, 'utf8')) as TunedTemplateFile, fromCache: true };
  }
  const result = tuneTemplate({
    model,
    modelSha256: model.info.sha256,
    prompts: texts.map((p) => model.tokenize(p, true)),
    k,
    maxNodes,
    maxNewTokens: options.maxNewTokens,
    log: options.log,
  });
  const stored: TunedTemplateFile = {
    ...result,
    key: tuningKey(model, k, maxNodes, texts, options.maxNewTokens),
    createdAt: new Date().toISOString(),
  };
  writeFileAtomic(file, `${JSON.stringify(stored, null, 1)}\n`);
  return { file, result: stored, fromCache: false };
}
