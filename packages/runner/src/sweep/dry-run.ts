import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { locateModel, type ModelLocation } from '@trbench/assets';
import type { SweepConfigPlan, Variant } from '../config/load.ts';
import { SUBTASK_LABELS } from '../datasets/spec-bench.ts';

/** A file a method variant reads (a REST datastore, a TR matrix or template file), as the run will look for it. */
export interface MethodFile {
  variant: string;
  param: string;
  file: string;
  present: boolean;
}

/** What `trbench run CONFIG --dry-run` prints, also as data (tests, scripts). */
export interface DryRunPlan {
  config: string;
  name: string;
  models: Array<{ id: string; spec: string; location: ModelLocation; settings: string }>;
  datasets: Array<{ id: string; file: string; questions: number; turns: number; perSubtask: string; maxNewTokens: number }>;
  variants: string[];
  methodFiles: MethodFile[];
  /** Recorded question runs (every turn of a question is one run's work) over all models, datasets, repeats. */
  questionRuns: number;
  /** Turns those runs answer (MT-bench questions have two). */
  turns: number;
  /** Unrecorded warm-up generations (each: the first question of a dataset, all its turns). */
  warmupRuns: number;
  /** Upper bound of generated tokens: every recorded turn reaching maxNewTokens. */
  maxTokens: number;
  notes: string[];
  missing: string[];
}

// Method parameters that name a file a run reads; TR templates only when they are a file (`*.json`).
const FILE_PARAMS: ReadonlyArray<{ method: string; param: string; isFile?: (v: string) => boolean }> = [
  { method: 'rest', param: 'datastore', isFile: (v) => v !== 'auto' },
  { method: 'tr', param: 'matrixIn' },
  { method: 'tr', param: 'template', isFile: (v) => v.endsWith('.json') },
];

function methodFiles(variants: readonly Variant[]): MethodFile[] {
  const out: MethodFile[] = [];
  for (const v of variants) {
    for (const fp of FILE_PARAMS) {
      const value = v.params[fp.param];
      if (v.method !== fp.method || typeof value !== 'string' || (fp.isFile && !fp.isFile(value))) continue;
      // Method parameters are taken as written, relative to the working folder (runner README).
      const file = path.resolve(value);
      out.push({ variant: v.id, param: fp.param, file, present: existsSync(file) && statSync(file).isFile() });
    }
  }
  return out;
}

/**
 * The plan of a sweep without running it: models located (not opened, downloaded or generated), datasets
 * counted, variants, the files methods read, and how many runs, turns and warm-ups the sweep makes.
 */
export function dryRunPlan(plan: SweepConfigPlan): DryRunPlan {
  const models = plan.models.map((m) => {
    const location = locateModel(m.resolveSpec);
    const settings = [
      `backend ${m.backend}`,
      m.device ? `device ${m.device}` : 'device: the backend default',
      `${m.threads} thread${m.threads === 1 ? '' : 's'}`,
      `rank ${m.rank ?? 'auto'}`,
      `template ${m.template ?? "the model's default"}`,
      m.contextSize ? `context ${m.contextSize}` : "context: the model's",
      m.sampling ? `temperature ${m.sampling.temperature}` : 'greedy',
    ].join(', ');
    return { id: m.id, spec: m.spec, location, settings };
  });
  const datasets = plan.datasets.map((d) => {
    const counts = new Map<string, number>();
    for (const q of d.questions) counts.set(q.subtask, (counts.get(q.subtask) ?? 0) + 1);
    const perSubtask = d.subtasks.map((s) => `${SUBTASK_LABELS[s] ?? s} ${counts.get(s) ?? 0}`).join(', ');
    const turns = d.questions.reduce((n, q) => n + q.turns.length, 0);
    return { id: d.id, file: d.file, questions: d.questions.length, turns, perSubtask, maxNewTokens: d.maxNewTokens };
  });
  let questionRuns = 0;
  let turns = 0;
  let warmupRuns = 0;
  let maxTokens = 0;
  for (const _ of plan.models) {
    for (let i = 0; i < plan.datasets.length; i++) {
      const d = plan.datasets[i];
      const units = plan.variants.filter((v) => !v.datasets || v.datasets.includes(d.id)).length;
      questionRuns += plan.repeats * units * datasets[i].questions;
      turns += plan.repeats * units * datasets[i].turns;
      warmupRuns += plan.repeats * units * plan.warmup;
      maxTokens += plan.repeats * units * datasets[i].turns * d.maxNewTokens;
    }
  }
  const files = methodFiles(plan.variants);
  const missing = [
    ...models.filter((m) => m.location.kind === 'path' && !m.location.present).map((m) => `model ${m.id}: ${m.location.file}`),
    ...files.filter((f) => !f.present).map((f) => `${f.variant} ${f.param}: ${f.file}`),
  ];
  return {
    config: plan.display,
    name: plan.name,
    models,
    datasets,
    variants: plan.variants.map((v) => v.id),
    methodFiles: files,
    questionRuns,
    turns,
    warmupRuns,
    maxTokens,
    notes: plan.notes,
    missing,
  };
}

function gib(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** The dry run as text, one fact per line. */
export function renderDryRun(p: DryRunPlan, runDir: string): string {
  const lines = [`dry run of ${p.config}: no model opened, downloaded or generated (datasets are read); run folder ${runDir}`];
  for (const m of p.models) {
    const where = m.location.present
      ? `${m.location.file}${m.location.bytes !== undefined ? ` (${gib(m.location.bytes)})` : ''}`
      : m.location.file;
    lines.push(`model ${m.id} (${m.spec}): ${where}: ${m.location.action}`);
    lines.push(`  ${m.settings}`);
  }
  for (const d of p.datasets) {
    lines.push(
      `dataset ${d.id}: ${d.questions} questions (${d.perSubtask}), ${d.turns} turns, up to ${d.maxNewTokens} new tokens per turn; ${d.file}`,
    );
  }
  lines.push(`methods (${p.variants.length} variants, ar first): ${p.variants.join(', ')}`);
  for (const f of p.methodFiles) lines.push(`  ${f.variant} reads ${f.param} ${f.file}: ${f.present ? 'found' : 'NOT FOUND'}`);
  for (const n of p.notes) lines.push(`note: ${n}`);
  lines.push(
    `runs: ${p.questionRuns} recorded question runs (${p.turns} turns, at most ${p.maxTokens} new tokens) + ${p.warmupRuns} unrecorded warm-up generations; questions whose prompt does not fit the context are skipped and counted at run time`,
  );
  lines.push(p.missing.length === 0 ? 'ready: every file the run needs is in place' : `missing: ${p.missing.join('; ')}`);
  return `${lines.join('\n')}\n`;
}
