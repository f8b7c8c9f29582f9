import type { BackendInfo } from '@trbench/core';
import type { DraftModelIdentity, RunRecord } from './records.ts';
import type { RunManifest } from './run-dir.ts';
import { mean, pooledMat, pooledTokensPerSecond, questionTokensPerSecond, runSpeedup, sampleStd } from './spec-bench-metrics.ts';

/** The row name of all subtasks together. */
export const OVERALL = 'overall';

/** Metrics of one method variant on one subtask (or `overall`) of one dataset and model. */
export interface MetricRow {
  model: string;
  dataset: string;
  variant: string;
  method: string;
  params: Record<string, unknown>;
  subtask: string;
  /** Distinct questions finished / skipped (prompt does not fit the context). */
  questions: number;
  skipped: number;
  /** Finished question runs over all repeats. */
  runs: number;
  /** Σ new tokens and Σ steps over finished runs (deterministic). */
  newTokens: number;
  steps: number;
  /** Mean accepted tokens per step, pooled over all steps (Spec-Bench). */
  mat: number | null;
  /** Spec-Bench tok/s: mean over questions of per-question tok/s, then mean over repeats. */
  tokensPerSecond: number | null;
  /** Standard deviation over repeats (ddof 1); null with one repeat. */
  tokensPerSecondStd: number | null;
  /** Σ tokens / Σ seconds. */
  pooledTokensPerSecond: number | null;
  /** Macro tok/s ÷ AR's macro tok/s over the questions both finished, mean over repeats; AR = 1. */
  speedup: number | null;
  /** Sampled runs (temperature > 0): no token-identity check applies. */
  sampled: boolean;
  /** Token-id identity with AR per question run; null for AR. */
  lossless: {
    compared: number;
    identical: number;
    firstDivergence: { questionId: string; repeat: number; turn: number; index: number } | null;
  } | null;
  /** Steps per accepted length (index = tokens committed in a step). */
  acceptHistogram: number[];
  /** Milliseconds summed over finished runs. */
  time: { prefillMs: number; draftMs: number; forwardMs: number; updateMs: number; otherMs: number; totalMs: number };
  meanDraftNodes: number | null;
  /** Draft models the records name (`sps`), distinct by sha256. */
  draftModels?: DraftModelIdentity[];
  /** Σ of Spec-Bench's text re-count of tokens (comparison with the leaderboard only). */
  specBenchRecount: number;
}

export interface Summary {
  schema: 'trbench-summary/1';
  name: string;
  /** Every planned record is present. */
  complete: boolean;
  records: number;
  expectedRecords: number;
  config: RunManifest['config'];
  warmup: number;
  repeats: number;
  environment: RunManifest['sessions'][number]['environment'] | null;
  sessions: RunManifest['sessions'];
  models: (RunManifest['models'][number] & { backendInfo: BackendInfo | null })[];
  datasets: (Omit<RunManifest['datasets'][number], 'questions'> & { questions: number })[];
  variants: RunManifest['variants'];
  notes: string[];
  rows: MetricRow[];
  /** Questions AR skipped (first repeat) and why: prompts that do not fit the model's context. */
  skippedQuestions: { model: string; dataset: string; subtask: string; questionId: string; reason: string }[];
  /** Σ measured wall time of all recorded runs (s). */
  measuredSeconds: number;
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function addHistogram(into: number[], h: readonly number[]): void {
  for (let i = 0; i < h.length; i++) {
    while (into.length <= i) into.push(0);
    into[i] += h[i];
  }
}

function byQuestion(records: readonly RunRecord[]): Map<string, RunRecord> {
  return new Map(records.map((r) => [r.questionId, r]));
}

function metricRow(
  base: Pick<MetricRow, 'model' | 'dataset' | 'variant' | 'method' | 'params' | 'subtask'>,
  records: readonly RunRecord[],
  reference: readonly RunRecord[],
  repeats: number,
): MetricRow {
  const done = records.filter((r) => r.status === 'done');
  const doneIds = new Set(done.map((r) => r.questionId));
  const skippedIds = new Set(records.filter((r) => r.status !== 'done' && !doneIds.has(r.questionId)).map((r) => r.questionId));
  const perRepeat: number[] = [];
  const speedups: number[] = [];
  for (let rep = 0; rep < repeats; rep++) {
    const mine = done.filter((r) => r.repeat === rep);
    if (mine.length > 0) perRepeat.push(mean(mine.map(questionTokensPerSecond)));
    const ref = reference.filter((r) => r.repeat === rep && r.status === 'done');
    const s = runSpeedup(byQuestion(mine), byQuestion(ref));
    if (Number.isFinite(s)) speedups.push(s);
  }
  let lossless: MetricRow['lossless'] = null;
  if (base.method !== 'ar') {
    const compared = records.filter((r) => r.lossless !== null && r.turns.length > 0);
    const first = compared.find((r) => r.lossless && !r.lossless.identical);
    lossless = {
      compared: compared.length,
      identical: compared.filter((r) => r.lossless?.identical).length,
      firstDivergence:
        first?.lossless && !first.lossless.identical
          ? { questionId: first.questionId, repeat: first.repeat, turn: first.lossless.turn, index: first.lossless.index }
          : null,
    };
  }
  const hist: number[] = [];
  const time = { prefillMs: 0, draftMs: 0, forwardMs: 0, updateMs: 0, otherMs: 0, totalMs: 0 };
  let nodeSteps = 0;
  let recount = 0;
  for (const r of done) {
    for (const t of r.turns) {
      addHistogram(hist, t.acceptHist);
      for (const k of Object.keys(time) as (keyof typeof time)[]) time[k] += t.timing[k];
      nodeSteps += t.meanDraftNodes * t.steps;
      recount += t.recount;
    }
  }
  const steps = done.reduce((s, r) => s + r.steps, 0);
  return {
    ...base,
    questions: doneIds.size,
    skipped: skippedIds.size,
    runs: done.length,
    newTokens: done.reduce((s, r) => s + r.newTokens, 0),
    steps,
    mat: finite(pooledMat(done)),
    tokensPerSecond: finite(mean(perRepeat)),
    tokensPerSecondStd: finite(sampleStd(perRepeat)),
    pooledTokensPerSecond: finite(pooledTokensPerSecond(done)),
    speedup: base.method === 'ar' ? (done.length > 0 ? 1 : null) : finite(mean(speedups)),
    lossless,
    sampled: records.some((r) => r.sampling !== undefined),
    acceptHistogram: hist,
    time,
    meanDraftNodes: steps > 0 ? nodeSteps / steps : null,
    ...draftModelsOf(done),
    specBenchRecount: recount,
  };
}

function draftModelsOf(records: readonly RunRecord[]): Pick<MetricRow, 'draftModels'> {
  const bySha = new Map<string, DraftModelIdentity>();
  for (const r of records) if (r.draftModel && !bySha.has(r.draftModel.sha256)) bySha.set(r.draftModel.sha256, r.draftModel);
  return bySha.size > 0 ? { draftModels: [...bySha.values()] } : {};
}

/**
 * Summarises a run from its manifest and records alone (so `trbench report` can redo it): one row per
 * model × dataset × variant × subtask, plus an `overall` row, with Spec-Bench's metrics.
 */
export function summarize(manifest: RunManifest, records: readonly RunRecord[]): Summary {
  const rows: MetricRow[] = [];
  for (const model of manifest.models) {
    for (const dataset of manifest.datasets) {
      const here = records.filter((r) => r.model === model.id && r.dataset === dataset.id);
      const ar = manifest.variants.find((v) => v.method === 'ar');
      const reference = here.filter((r) => r.variant === ar?.id);
      for (const variant of manifest.variants) {
        if (variant.datasets && !variant.datasets.includes(dataset.id)) continue;
        const mine = here.filter((r) => r.variant === variant.id);
        const base = { model: model.id, dataset: dataset.id, variant: variant.id, method: variant.method, params: variant.params };
        for (const subtask of dataset.subtasks) {
          rows.push(
            metricRow(
              { ...base, subtask },
              mine.filter((r) => r.subtask === subtask),
              reference.filter((r) => r.subtask === subtask),
              manifest.repeats,
            ),
          );
        }
        rows.push(metricRow({ ...base, subtask: OVERALL }, mine, reference, manifest.repeats));
      }
    }
  }
  const expectedRecords = manifest.units.reduce((s, u) => s + u.questions, 0);
  return {
    schema: 'trbench-summary/1',
    name: manifest.name,
    complete: records.length === expectedRecords,
    records: records.length,
    expectedRecords,
    config: manifest.config,
    warmup: manifest.warmup,
    repeats: manifest.repeats,
    environment: manifest.sessions[0]?.environment ?? null,
    sessions: manifest.sessions,
    models: manifest.models.map((m) => ({ ...m, backendInfo: records.find((r) => r.model === m.id)?.backend ?? null })),
    datasets: manifest.datasets.map(({ questions, ...d }) => ({ ...d, questions: questions.length })),
    variants: manifest.variants,
    notes: manifest.notes ?? [],
    rows,
    skippedQuestions: records
      .filter((r) => r.method === 'ar' && r.repeat === 0 && r.status === 'skipped')
      .map((r) => ({ model: r.model, dataset: r.dataset, subtask: r.subtask, questionId: r.questionId, reason: r.skipReason ?? '' })),
    measuredSeconds: records.reduce((s, r) => s + r.wallMs, 0) / 1000,
  };
}
