import { type BackendInfo, type PairedSpeedup, pairedSpeedup } from '@trbench/core';
import type { WarmupProtocol } from '../config/schema.ts';
import { type DiagnosedDivergence, divergenceKind } from '../generation/lossless.ts';
import {
  mean,
  pooledMat,
  pooledTokensPerSecond,
  questionTokensPerSecond,
  runSpeedup,
  sampleStd,
} from '../spec-bench/spec-bench-metrics.ts';
import type { DraftModelIdentity, RunRecord } from '../sweep/records.ts';
import type { RunManifest } from '../sweep/run-dir.ts';

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
  /**
   * Speedup over AR from paired measurements: geometric mean over questions of (tok/s ÷ AR's tok/s on the
   * same question and repeat); AR = 1. See `paired-speedup.ts`.
   */
  speedup: number | null;
  /** Its 95 % confidence interval and what it rests on; null for AR and when nothing was paired. */
  speedupCi: Omit<PairedSpeedup, 'estimate'> | null;
  /**
   * Spec-Bench's point estimate: macro tok/s ÷ AR's macro tok/s over the questions both finished, mean
   * over repeats; AR = 1. Kept for comparison with published numbers.
   */
  specBenchSpeedup: number | null;
  /**
   * The paired speedup on CPU time instead of wall time (process CPU time per token, AR's ÷ the method's),
   * with its interval: insensitive to waiting for a core on a shared machine, the same as the wall-clock
   * speedup for a single-threaded backend on an idle one. Null for AR and for records without CPU time.
   */
  cpuSpeedup: number | null;
  cpuSpeedupCi: Omit<PairedSpeedup, 'estimate'> | null;
  /** Sampled runs (temperature > 0): no token-identity check applies. */
  sampled: boolean;
  /**
   * Token-id identity with AR per question run; null for AR. Runs that differ are diagnosed (`numeric`:
   * a floating-point tie flip; `logic`: a bug); `identical + numeric + logic = compared`. `numeric` and
   * `divergences` are absent from summaries made before divergences were diagnosed (all counted as logic).
   */
  lossless: {
    compared: number;
    identical: number;
    numeric?: number;
    /** The first divergence of a `logic` kind (or of any kind in an older summary). */
    firstDivergence: { questionId: string; repeat: number; turn: number; index: number } | null;
    /** Every divergence, in record order. */
    divergences?: DivergenceEntry[];
  } | null;
  /** Steps per accepted length (index = tokens committed in a step). */
  acceptHistogram: number[];
  /**
   * Milliseconds summed over finished runs. `verifyMs` is 0 for records made before the loop timed the
   * verifier separately (their verification is in `otherMs`).
   */
  time: TimeSplit;
  meanDraftNodes: number | null;
  /** Draft models the records name (`sps`), distinct by sha256. */
  draftModels?: DraftModelIdentity[];
  /** Σ of Spec-Bench's text re-count of tokens (comparison with the leaderboard only). */
  specBenchRecount: number;
}

/** One diagnosed divergence of a row (question, repeat, turn, token index within the turn, both sides). */
export type DivergenceEntry = { questionId: string; repeat: number } & DiagnosedDivergence;

/**
 * Question runs of a row that fail the lossless check: those with a `logic` divergence, and with
 * `strictNumerics` the numeric ones too (a summary without `numeric` predates the diagnosis: all fail).
 */
export function losslessFailures(lossless: NonNullable<MetricRow['lossless']>, strictNumerics: boolean): number {
  const different = lossless.compared - lossless.identical;
  return strictNumerics ? different : different - (lossless.numeric ?? 0);
}

/** Where a method's decoding time goes (ms): prefill, then per step draft, forward, verify, update, rest. */
export interface TimeSplit {
  prefillMs: number;
  draftMs: number;
  forwardMs: number;
  verifyMs: number;
  updateMs: number;
  otherMs: number;
  totalMs: number;
}

/** Version of summary.json; 2: `speedup` is the paired estimate with `speedupCi`, Spec-Bench's is `specBenchSpeedup`. */
export const SUMMARY_SCHEMA = 'trbench-summary/2';

export interface Summary {
  schema: typeof SUMMARY_SCHEMA;
  name: string;
  /** Every planned record is present. */
  complete: boolean;
  records: number;
  expectedRecords: number;
  config: RunManifest['config'];
  warmup: number;
  /** Where the warm-up ran (`spec-bench` for runs made before the protocol was recorded: that was the only one). */
  warmupProtocol: WarmupProtocol;
  repeats: number;
  environment: RunManifest['sessions'][number]['environment'] | null;
  sessions: RunManifest['sessions'];
  /** `stopTokens`: the ids that ended generation, as recorded (null for records made before they were). */
  models: (RunManifest['models'][number] & { backendInfo: BackendInfo | null; stopTokens: number[] | null })[];
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

function intervalOf(p: PairedSpeedup | null): Omit<PairedSpeedup, 'estimate'> | null {
  return p && { low: p.low, high: p.high, questions: p.questions, pairs: p.pairs, interval: p.interval };
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
    const divergences: DivergenceEntry[] = [];
    for (const r of compared) {
      if (!r.lossless || r.lossless.identical) continue;
      const d = r.lossless as Partial<DiagnosedDivergence> & { turn: number; index: number };
      divergences.push({
        questionId: r.questionId,
        repeat: r.repeat,
        turn: d.turn,
        index: d.index,
        kind: divergenceKind(d),
        delta: d.delta ?? null,
        decidedBy: d.decidedBy ?? 'no-data',
        plain: d.plain ?? null,
        method: d.method ?? null,
        reason: d.reason ?? 'recorded before divergences were diagnosed',
      });
    }
    const first = compared.find((r) => r.lossless && !r.lossless.identical && divergenceKind(r.lossless) === 'logic');
    lossless = {
      compared: compared.length,
      identical: compared.filter((r) => r.lossless?.identical).length,
      numeric: divergences.filter((d) => d.kind === 'numeric').length,
      divergences,
      firstDivergence:
        first?.lossless && !first.lossless.identical
          ? { questionId: first.questionId, repeat: first.repeat, turn: first.lossless.turn, index: first.lossless.index }
          : null,
    };
  }
  const hist: number[] = [];
  const time: TimeSplit = { prefillMs: 0, draftMs: 0, forwardMs: 0, verifyMs: 0, updateMs: 0, otherMs: 0, totalMs: 0 };
  let nodeSteps = 0;
  let recount = 0;
  for (const r of done) {
    for (const t of r.turns) {
      addHistogram(hist, t.acceptHist);
      const timing: Partial<TimeSplit> = t.timing; // verifyMs: absent in older records
      for (const k of Object.keys(time) as (keyof TimeSplit)[]) time[k] += timing[k] ?? 0;
      nodeSteps += t.meanDraftNodes * t.steps;
      recount += t.recount;
    }
  }
  const steps = done.reduce((s, r) => s + r.steps, 0);
  const isAr = base.method === 'ar';
  const refDone = reference.filter((r) => r.status === 'done');
  const paired = isAr ? null : pairedSpeedup(done, refDone);
  const onCpu = (list: readonly RunRecord[]) => list.map((r) => ({ ...r, wallMs: r.cpuMs ?? Number.NaN }));
  const cpu = isAr || done.some((r) => r.cpuMs === undefined) ? null : pairedSpeedup(onCpu(done), onCpu(refDone));
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
    speedup: isAr ? (done.length > 0 ? 1 : null) : (paired?.estimate ?? null),
    speedupCi: intervalOf(paired),
    specBenchSpeedup: isAr ? (done.length > 0 ? 1 : null) : finite(mean(speedups)),
    cpuSpeedup: cpu?.estimate ?? null,
    cpuSpeedupCi: intervalOf(cpu),
    lossless,
    sampled: records.some((r) => r.sampling !== undefined),
    acceptHistogram: hist,
    time,
    meanDraftNodes: steps > 0 ? nodeSteps / steps : null,
    ...draftModelsOf(done),
    specBenchRecount: recount,
  };
}

/** What reports call a draft model that computes the target's function. */
export const ORACLE_DRAFT = 'oracle draft';

/**
 * Whether a variant drafts with an oracle draft on `model`: its records say so (`draftModel.oracle`), or,
 * for records made before that was checked, the draft and the target are both stories260K or twins of it
 * (every twin trbench builds computes stories260K's function).
 */
export function usesOracleDraft(summary: Pick<Summary, 'rows' | 'models'>, model: string, variant: string): boolean {
  const spec = summary.models.find((m) => m.id === model)?.spec ?? model;
  const sameFunction = (name: string) => /^(twin:|stories260K$)/.test(name) && /^(twin:|stories260K$)/.test(spec) && name !== spec;
  return summary.rows.some(
    (r) => r.model === model && r.variant === variant && (r.draftModels ?? []).some((d) => d.oracle ?? sameFunction(d.name)),
  );
}

/** A variant's name in tables and charts: its id, marked when it drafts with an oracle draft on `model`. */
export function variantLabel(summary: Pick<Summary, 'rows' | 'models'>, model: string, variant: string): string {
  return usesOracleDraft(summary, model, variant) ? `${variant} (${ORACLE_DRAFT})` : variant;
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
    schema: SUMMARY_SCHEMA,
    name: manifest.name,
    complete: records.length === expectedRecords,
    records: records.length,
    expectedRecords,
    config: manifest.config,
    warmup: manifest.warmup,
    warmupProtocol: manifest.warmupProtocol ?? 'spec-bench',
    repeats: manifest.repeats,
    environment: manifest.sessions[0]?.environment ?? null,
    sessions: manifest.sessions,
    models: manifest.models.map((m) => {
      const first = records.find((r) => r.model === m.id);
      return { ...m, backendInfo: first?.backend ?? null, stopTokens: first?.stopTokens ?? null };
    }),
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
