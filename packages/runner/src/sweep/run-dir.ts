import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, writeFileAtomic } from '@trbench/assets';
import { NUMERIC_TIE_RELATIVE, TrbenchError } from '@trbench/core';
import type { SweepConfig } from '../config/load.ts';
import type { WarmupProtocol } from '../config/schema.ts';
import type { Environment } from '../env/environment.ts';
import type { Hardware } from '../env/hardware.ts';
import { planBlocks } from './plan.ts';
import { pairKey, SHARD_RULE, type ShardSpec, shardRanges } from './shard.ts';

/** Files of a run folder. */
export function runFiles(dir: string) {
  return {
    dir,
    manifest: path.join(dir, 'run.json'),
    records: path.join(dir, 'records.jsonl'),
    summary: path.join(dir, 'summary.json'),
    reportMd: path.join(dir, 'report.md'),
    reportCsv: path.join(dir, 'report.csv'),
    charts: path.join(dir, 'charts'),
  };
}

/** What a run folder holds besides its records: the plan and provenance, enough to summarise without the config. */
export interface RunManifest {
  schema: 'trbench-run/1';
  name: string;
  createdAt: string;
  /**
   * `strictNumerics`: the config makes numeric divergences fail the run (absent = false). `numericTie`: the
   * diagnosis's relative near-tie width when the config changed it (absent = 0.01).
   */
  config: { file: string; hash: string; normalised: Record<string, unknown>; strictNumerics?: boolean; numericTie?: number };
  warmup: number;
  /** Where the warm-up ran; absent in runs made before it was chosen (they ran it on the recorded drafter: `spec-bench`). */
  warmupProtocol?: WarmupProtocol;
  repeats: number;
  models: {
    id: string;
    spec: string;
    sha256: string;
    backend: string;
    device: string | null;
    threads: number;
    template: string;
    contextSize: number | null;
  }[];
  datasets: { id: string; kind: string; file: string; sha256: string; subtasks: string[]; maxNewTokens: number; questions: string[] }[];
  /** `speedupGate: false`: `trbench check` does not gate this variant's speedups (absent = gated). */
  variants: { id: string; method: string; params: Record<string, unknown>; datasets: string[] | null; speedupGate?: false }[];
  /** Planned units in order, with the records each should produce (in a shard: the shard's share). */
  units: { key: string; model: string; dataset: string; repeat: number; variant: string; questions: number }[];
  /** Notes from validation (optional methods this build lacks). */
  notes: string[];
  /** One entry per start: the first run, then each `--resume`; `shard` is set on the sessions of a merged run. */
  sessions: { startedAt: string; resume: boolean; environment: Environment; hardware?: Hardware; shard?: string }[];
  /** Set when the run covers one shard of the plan: which, and each (model, dataset)'s question range. */
  shard?: ShardSpec & { rule: string; ranges: { model: string; dataset: string; start: number; end: number }[] };
  /** Set on a run folder made by `trbench merge` or `trbench import`: where its records came from. */
  origin?: { kind: 'merge' | 'import'; format?: string; from: { path: string; sha256?: string; shard?: string }[]; at: string };
}

/** The manifest of a validated config (sessions empty), of the whole plan or of one shard of it. */
export function manifestOf(config: SweepConfig, name: string, shard?: ShardSpec): RunManifest {
  const ranges = shard
    ? shardRanges(
        config.models.map((m) => m.id),
        config.datasets.map((d) => ({ id: d.id, questions: d.questions.length })),
        shard.index,
        shard.count,
      )
    : null;
  return {
    schema: 'trbench-run/1',
    name,
    createdAt: new Date().toISOString(),
    config: {
      file: config.display,
      hash: config.hash,
      normalised: config.normalised,
      ...(config.strictNumerics ? { strictNumerics: true } : {}),
      ...(config.numericTie !== NUMERIC_TIE_RELATIVE ? { numericTie: config.numericTie } : {}),
    },
    warmup: config.warmup,
    warmupProtocol: config.warmupProtocol,
    repeats: config.repeats,
    models: config.models.map((m) => ({
      id: m.id,
      spec: m.spec,
      sha256: m.resolved.sha256,
      backend: m.backend,
      device: m.device ?? null,
      threads: m.threads,
      template: m.template,
      contextSize: m.contextSize ?? null,
    })),
    datasets: config.datasets.map((d) => ({
      id: d.id,
      kind: d.kind,
      file: path.relative(repoRoot, d.file).startsWith('..') ? d.file : path.relative(repoRoot, d.file),
      sha256: d.sha256,
      subtasks: d.subtasks,
      maxNewTokens: d.maxNewTokens,
      questions: d.questions.map((q) => q.id),
    })),
    variants: config.variants.map((v) => ({
      id: v.id,
      method: v.method,
      params: v.params,
      datasets: v.datasets,
      ...(v.speedupGate === false ? { speedupGate: false as const } : {}),
    })),
    units: planBlocks(config, ranges ?? undefined).flatMap((b) =>
      b.units.map((u) => ({
        key: u.key,
        model: u.model.id,
        dataset: u.dataset.id,
        repeat: u.repeat,
        variant: u.variant.id,
        questions: b.questions.length,
      })),
    ),
    notes: config.notes,
    sessions: [],
    ...(shard && ranges
      ? {
          shard: {
            ...shard,
            rule: SHARD_RULE,
            ranges: config.models.flatMap((m) =>
              config.datasets.map((d) => ({ model: m.id, dataset: d.id, ...ranges.get(pairKey(m.id, d.id))! })),
            ),
          },
        }
      : {}),
  };
}

export function readManifest(dir: string): RunManifest {
  const file = runFiles(dir).manifest;
  if (!existsSync(file)) throw new TrbenchError(`${dir} is not a trbench run folder (no run.json)`);
  let m: RunManifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as RunManifest;
  } catch (err) {
    throw new TrbenchError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (m.schema !== 'trbench-run/1') throw new TrbenchError(`${file}: unknown schema ${JSON.stringify(m.schema)} (expected trbench-run/1)`);
  return m;
}

export function writeManifest(dir: string, manifest: RunManifest): void {
  writeFileAtomic(runFiles(dir).manifest, `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Why a run folder made from `before` cannot be resumed with `now` (null when it can): a different
 * config, model file or dataset would mix incomparable records.
 */
export function resumeMismatch(before: RunManifest, now: RunManifest): string | null {
  const shardOf = (m: RunManifest) => (m.shard ? `shard ${m.shard.index}/${m.shard.count}` : 'the whole plan');
  if (shardOf(before) !== shardOf(now)) return `the run covers ${shardOf(before)}, this command ${shardOf(now)}`;
  if (before.config.hash !== now.config.hash)
    return `the config changed since the run started (config hash ${before.config.hash.slice(0, 12)} then, ${now.config.hash.slice(0, 12)} now)`;
  for (const m of now.models) {
    const old = before.models.find((x) => x.id === m.id);
    if (old && old.sha256 !== m.sha256)
      return `model ${m.id} changed (sha256 ${old.sha256.slice(0, 12)} then, ${m.sha256.slice(0, 12)} now)`;
  }
  for (const d of now.datasets) {
    const old = before.datasets.find((x) => x.id === d.id);
    if (old && (old.sha256 !== d.sha256 || old.questions.join('\n') !== d.questions.join('\n')))
      return `dataset ${d.id} changed (sha256 ${old.sha256.slice(0, 12)} then, ${d.sha256.slice(0, 12)} now)`;
  }
  return null;
}
