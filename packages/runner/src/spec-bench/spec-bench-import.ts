import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseJsonlObjects, sha256Bytes, writeFileAtomic } from '@trbench/assets';
import { acceptHistogram, type BackendInfo, TrbenchError } from '@trbench/core';
import { hashOf } from '../config/canonical-json.ts';
import { SPEC_BENCH_SUBTASKS, specBenchSubtask } from '../datasets/spec-bench.ts';
import type { Environment } from '../env/environment.ts';
import { type Hardware, hardwareOf } from '../env/hardware.ts';
import type { TurnOutcome } from '../generation/conversation.ts';
import { writeReport } from '../report/report.ts';
import type { Summary } from '../report/summary.ts';
import { plannedRecords } from '../sweep/merge.ts';
import { type RunRecord, recordKey } from '../sweep/records.ts';
import { type RunManifest, runFiles, writeManifest } from '../sweep/run-dir.ts';
import { issueLines } from '../validation.ts';
import { type AnswerLine, type AnswerProvenance, answerLine } from './spec-bench-answers.ts';

export interface ImportOptions {
  /** Answer files; `FILE.jsonl=NAME` names the method variant (default: the file name without `.jsonl`). */
  files: string[];
  out: string;
  /** Variant of plain decoding (speed.py's `--base-path`); default `ar`. Only for files without trbench provenance. */
  baseline?: string;
  /** Model id for files without provenance (default `spec-bench`). */
  model?: string;
  /** Where files without provenance were measured, in words (e.g. `A100-80GB, PyTorch 2.5.1`). */
  hardware?: string;
  overwrite?: boolean;
}

/** Spec-Bench's own evaluation warms up with 3 generations of the first question (spec-bench.md §3). */
const SPEC_BENCH_WARMUP = 3;

function parseArg(arg: string): { file: string; name: string } {
  const at = arg.indexOf('.jsonl=');
  if (at > 0 && !existsSync(arg)) return { file: arg.slice(0, at + 6), name: arg.slice(at + 7) };
  return { file: arg, name: path.basename(arg).replace(/\.jsonl$/, '') };
}

function readAnswers(file: string): { lines: AnswerLine[]; sha256: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TrbenchError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const lines = parseJsonlObjects(text, file).map(({ line, value }) => {
    const parsed = answerLine.safeParse(value);
    if (!parsed.success)
      throw new TrbenchError(`${file}:${line}: not a Spec-Bench answer line: ${issueLines(parsed.error, value).join('; ')}`);
    const c = parsed.data.choices[0];
    const n = c.turns.length;
    if (c.new_tokens.length !== n || c.wall_time.length !== n || (c.decoding_steps && c.decoding_steps.length !== n))
      throw new TrbenchError(`${file}:${line}: choices[0] has ${n} turns but not as many new_tokens / wall_time / decoding_steps entries`);
    if (c.wall_time.reduce((s, x) => s + x, 0) <= 0) throw new TrbenchError(`${file}:${line}: wall_time sums to 0`);
    return parsed.data;
  });
  return { lines, sha256: sha256Bytes(text) };
}

/** Position of a question in Spec-Bench order: numeric ids ascending, others after them by text. */
function questionOrder(a: string, b: string): number {
  const na = /^\d+$/.test(a) ? Number(a) : Number.POSITIVE_INFINITY;
  const nb = /^\d+$/.test(b) ? Number(b) : Number.POSITIVE_INFINITY;
  return na !== nb ? na - nb : a < b ? -1 : a > b ? 1 : 0;
}

/** First character where two texts differ, or -1. */
function firstCharDifference(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** A record from the Spec-Bench fields alone (answers from Spec-Bench's own code). */
function foreignRecord(
  line: AnswerLine,
  variant: string,
  method: string,
  model: string,
  backend: BackendInfo,
): RunRecord & { texts: string[] } {
  const c = line.choices[0];
  // Accept lengths are one list over all turns; decoding_steps says where each turn's part ends.
  const steps = c.decoding_steps && c.decoding_steps.reduce((s, x) => s + x, 0) === c.accept_lengths.length ? c.decoding_steps : null;
  let from = 0;
  const turns: TurnOutcome[] = c.turns.map((_text, t) => {
    const mine = steps ? c.accept_lengths.slice(from, (from += steps[t])) : t === 0 ? c.accept_lengths : [];
    const wallMs = c.wall_time[t] * 1000;
    return {
      promptTokens: 0,
      tokens: [], // Spec-Bench's answers hold text only
      // not in Spec-Bench's format; nothing in a summary reads it
      stopReason: 'unknown' as TurnOutcome['stopReason'],
      steps: mine.length,
      acceptHist: acceptHistogram(mine),
      meanDraftNodes: 0,
      timing: { prefillMs: 0, draftMs: 0, forwardMs: 0, updateMs: 0, otherMs: wallMs, totalMs: wallMs },
      recount: 0,
    };
  });
  const questionId = String(line.question_id);
  return {
    v: 1,
    session: 0,
    model,
    modelSha256: 'unknown',
    backend,
    template: 'unknown',
    dataset: 'spec-bench',
    subtask: specBenchSubtask(line.category),
    category: line.category,
    questionId,
    index: 0,
    repeat: 0,
    variant,
    method,
    params: {},
    maxNewTokens: 0,
    drafter: { warm: true, requestsBefore: 0, warmupRuns: SPEC_BENCH_WARMUP, warmupProtocol: 'spec-bench' },
    status: 'done',
    turns,
    newTokens: c.new_tokens.reduce((s, x) => s + x, 0),
    steps: turns.reduce((s, t) => s + t.steps, 0),
    wallMs: c.wall_time.reduce((s, x) => s + x * 1000, 0),
    lossless: null,
    finishedAt: line.tstamp !== undefined ? new Date(line.tstamp * 1000).toISOString() : new Date(0).toISOString(),
    texts: c.turns,
  };
}

/**
 * `trbench import spec-bench FILES… --out DIR`: reads Spec-Bench answer files into a run folder that
 * `report` and `merge` treat like any other, marked with where it came from (`run.json` `origin`, a note,
 * and the backend name `spec-bench` on records without trbench provenance).
 *
 * Lines written by `trbench export` carry their record and session environment and are restored exactly.
 * Lines from Spec-Bench's own code give: tokens = Σ `new_tokens`, steps = the number of `accept_lengths`
 * (split into turns by `decoding_steps`), wall time = `wall_time`; they hold text, not token ids, so
 * losslessness is text identity with the baseline's answer per turn (like Spec-Bench's `equal.py`, the
 * index of a divergence is a character), and Spec-Bench's text re-count is not available (0).
 */
export function importSpecBench(options: ImportOptions): { dir: string; summary: Summary; files: string[] } {
  if (options.files.length === 0) throw new TrbenchError('import: no answer files given');
  const out = path.resolve(options.out);
  const files = runFiles(out);
  if (existsSync(files.manifest) || existsSync(files.records)) {
    if (!options.overwrite) throw new TrbenchError(`${out} already holds a run; pass --overwrite to replace it, or choose another --out`);
    for (const f of [files.records, files.summary, files.reportMd, files.reportCsv, files.manifest]) rmSync(f, { force: true });
    rmSync(files.charts, { recursive: true, force: true });
  }
  const modelId = options.model ?? 'spec-bench';
  const baseline = options.baseline ?? 'ar';
  const foreignEnv: Environment = {
    cpu: `unknown (imported from Spec-Bench answers)`,
    cores: 0,
    memoryGiB: 0,
    platform: 'unknown',
    node: 'n/a',
    gitCommit: 'n/a',
    gitDirty: false,
  };
  const foreignHardware = hardwareOf({
    cpu: options.hardware ?? 'unknown (imported from Spec-Bench answers)',
    cores: 0,
    usableCores: null,
    platform: 'unknown',
    gpus: [],
  });
  const foreignBackend: BackendInfo = {
    name: 'spec-bench',
    version: 'imported answers',
    device: options.hardware ?? 'unknown',
    threads: 0,
  };

  // Sessions: one per distinct environment of the answers (their measuring sessions), in order of appearance.
  const sessions: { environment: Environment; hardware: Hardware }[] = [];
  const sessionOf = (environment: Environment, hardware: Hardware) => {
    const key = JSON.stringify([environment, hardware.fingerprint]);
    const i = sessions.findIndex((s) => JSON.stringify([s.environment, s.hardware.fingerprint]) === key);
    if (i >= 0) return i;
    sessions.push({ environment, hardware });
    return sessions.length - 1;
  };

  const records: (RunRecord & { texts?: string[] })[] = [];
  const from: { path: string; sha256: string }[] = [];
  const seen = new Map<string, string>();
  let foreign = false;
  let provenanced = false;
  const mismatched: string[] = [];
  for (const arg of options.files) {
    const { file, name } = parseArg(arg);
    const { lines, sha256 } = readAnswers(file);
    from.push({ path: path.resolve(file), sha256 });
    lines.forEach((line, i) => {
      let record: RunRecord & { texts?: string[] };
      const p = line.trbench as AnswerProvenance | undefined;
      if (p !== undefined) {
        if (p?.schema !== 'trbench-answer/1' || !p.record)
          throw new TrbenchError(`${file}:${i + 1}: the trbench field is not a trbench-answer/1 provenance`);
        const c = line.choices[0];
        if (c.new_tokens.reduce((s, x) => s + x, 0) !== p.record.newTokens || String(line.question_id) !== p.record.questionId)
          throw new TrbenchError(
            `${file}:${i + 1}: the Spec-Bench fields disagree with the trbench record they were exported from (edited?)`,
          );
        provenanced = true;
        record = {
          ...p.record,
          session: sessionOf(p.environment, p.hardware ?? hardwareOf({ ...foreignHardware.facts, cpu: p.environment.cpu })),
        };
      } else {
        foreign = true;
        const method = name === baseline ? 'ar' : name.replace(/\[.*$/, '');
        record = { ...foreignRecord(line, name, method, modelId, foreignBackend), session: sessionOf(foreignEnv, foreignHardware) };
        const c = line.choices[0];
        const accepted = c.accept_lengths.reduce((s, x) => s + x, 0);
        if (accepted !== record.newTokens && mismatched.length < 3)
          mismatched.push(`${file} question ${record.questionId} (${accepted} vs ${record.newTokens})`);
      }
      const key = JSON.stringify([record.model, record.dataset, record.repeat, record.variant, record.questionId]);
      const before = seen.get(key);
      if (before) throw new TrbenchError(`${file}:${i + 1}: question ${record.questionId} of ${record.variant} is also in ${before}`);
      seen.set(key, `${file}:${i + 1}`);
      records.push(record);
    });
  }
  if (records.length === 0) throw new TrbenchError(`${options.files.join(', ')}: no answer lines`);

  // The plan: what the answers cover.
  const models = [...new Set(records.map((r) => r.model))];
  const datasetIds = [...new Set(records.map((r) => r.dataset))];
  const variantIds = [...new Set(records.map((r) => r.variant))];
  const ar = variantIds.filter((v) => records.find((r) => r.variant === v)?.method === 'ar');
  if (ar.length !== 1)
    throw new TrbenchError(
      ar.length === 0
        ? `no baseline among the answers (variants ${variantIds.join(', ')}): name its file FILE.jsonl=ar or pass --baseline NAME`
        : `several baselines among the answers (${ar.join(', ')})`,
    );
  const variants = [ar[0], ...variantIds.filter((v) => v !== ar[0])].map((id) => {
    const r = records.find((x) => x.variant === id)!;
    return { id, method: r.method, params: r.params, datasets: null };
  });
  const datasets = datasetIds.map((id) => {
    const mine = records.filter((r) => r.dataset === id);
    const questions = [...new Map(mine.map((r) => [r.questionId, r.index])).entries()]
      .sort((a, b) => (provenanced && !foreign ? a[1] - b[1] : 0) || questionOrder(a[0], b[0]))
      .map(([q]) => q);
    const subtasks = [...new Set(mine.map((r) => r.subtask))];
    const known = SPEC_BENCH_SUBTASKS.filter((s) => subtasks.includes(s));
    return {
      id,
      kind: 'imported',
      file: from.map((f) => f.path).join(', '),
      sha256: hashOf(questions),
      subtasks: [...known, ...subtasks.filter((s) => !(known as string[]).includes(s))],
      maxNewTokens: Math.max(0, ...mine.map((r) => r.maxNewTokens)),
      questions,
    };
  });
  // Foreign records get the question's position in its dataset; lossless = text identity with the baseline.
  for (const r of records) if (r.texts) r.index = datasets.find((d) => d.id === r.dataset)!.questions.indexOf(r.questionId);
  const baseTexts = new Map(
    records
      .filter((r) => r.variant === ar[0] && r.texts)
      .map((r) => [JSON.stringify([r.model, r.dataset, r.repeat, r.questionId]), r.texts!]),
  );
  for (const r of records) {
    if (!r.texts || r.method === 'ar') continue;
    const base = baseTexts.get(JSON.stringify([r.model, r.dataset, r.repeat, r.questionId]));
    if (!base) continue;
    let divergence: { turn: number; index: number } | null = null;
    for (let t = 0; t < Math.max(base.length, r.texts.length) && !divergence; t++) {
      const d = t < base.length && t < r.texts.length ? firstCharDifference(r.texts[t], base[t]) : 0;
      if (d >= 0) divergence = { turn: t + 1, index: d };
    }
    r.lossless = divergence ? { identical: false, ...divergence } : { identical: true };
  }
  const repeats = Math.max(...records.map((r) => r.repeat)) + 1;
  const normalised = {
    import: 'spec-bench',
    models: models.map((m) => ({ id: m, sha256: records.find((r) => r.model === m)!.modelSha256 })),
    datasets: datasets.map((d) => ({ id: d.id, questions: d.questions })),
    variants,
    repeats,
  };
  const notes = [
    `imported from ${from.length} Spec-Bench answer file${from.length === 1 ? '' : 's'}: ${from.map((f) => f.path).join(', ')}`,
  ];
  if (foreign)
    notes.push(
      "answers from Spec-Bench's own code hold text, not token ids: losslessness is text identity per turn with the baseline's answer " +
        "(as Spec-Bench's equal.py; a divergence index is a character); Spec-Bench's re-count of tokens is not available; warm-up assumed to be eval.py's 3 runs",
    );
  if (mismatched.length > 0)
    notes.push(
      `Σ accept_lengths differs from Σ new_tokens (e.g. ${mismatched.join('; ')}): MAT here is Σ new_tokens / Σ steps, speed.py's is mean(accept_lengths)`,
    );
  const first = records[0];
  const manifest: RunManifest = {
    schema: 'trbench-run/1',
    name: path.basename(out),
    createdAt: new Date().toISOString(),
    config: { file: `spec-bench import (${from.length} files)`, hash: hashOf(normalised), normalised },
    warmup: provenanced && !foreign ? first.drafter.warmupRuns : SPEC_BENCH_WARMUP,
    warmupProtocol: provenanced && !foreign ? (first.drafter.warmupProtocol ?? 'spec-bench') : 'spec-bench',
    repeats,
    models: models.map((id) => {
      const r = records.find((x) => x.model === id)!;
      return {
        id,
        spec: id,
        sha256: r.modelSha256,
        backend: r.backend.name,
        device: r.backend.device,
        threads: r.backend.threads,
        template: r.template,
        contextSize: null,
      };
    }),
    datasets,
    variants,
    units: models.flatMap((m) =>
      datasets.flatMap((d) =>
        Array.from({ length: repeats }, (_, repeat) =>
          variants.map((v) => ({
            key: JSON.stringify([m, d.id, repeat, v.id]),
            model: m,
            dataset: d.id,
            repeat,
            variant: v.id,
            questions: d.questions.length,
          })),
        ).flat(),
      ),
    ),
    notes,
    sessions: sessions.map((s) => ({
      startedAt: new Date().toISOString(),
      resume: false,
      environment: s.environment,
      hardware: s.hardware,
    })),
    origin: { kind: 'import', format: 'spec-bench', from, at: new Date().toISOString() },
  };
  // The order a one-machine run writes records in (`plannedRecords`).
  const order = plannedRecords(manifest);
  records.sort((a, b) => order.get(recordKey(a))!.order - order.get(recordKey(b))!.order);
  mkdirSync(out, { recursive: true });
  writeFileAtomic(files.records, records.map(({ texts: _texts, ...r }) => `${JSON.stringify(r)}\n`).join(''));
  writeManifest(out, manifest);
  const report = writeReport(out);
  return { dir: out, summary: report.summary, files: report.files };
}
