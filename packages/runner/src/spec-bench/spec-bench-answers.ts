import { z } from 'zod';
import type { Environment } from '../env/environment.ts';
import type { Hardware } from '../env/hardware.ts';
import type { RunRecord } from '../sweep/records.ts';

/**
 * Spec-Bench's answer files (`data/spec_bench/model_answer/<model>-<method>.jsonl`): one JSON line per
 * question, written by its `evaluation/eval.py` and read by `evaluation/speed.py`. Inside `choices[0]`,
 * `turns`, `decoding_steps`, `new_tokens` and `wall_time` have one entry per turn and `accept_lengths`
 * one entry per decoding step of all turns together (spec-bench.md §2).
 *
 * Lines trbench writes also carry, under `trbench`, the record they were made from and the environment of
 * the session that measured it (Spec-Bench's scripts ignore the extra field), so that importing them
 * restores the run exactly; lines from Spec-Bench itself have no such field and are imported from the
 * Spec-Bench fields alone.
 */
export const answerLine = z.object({
  question_id: z.union([z.int(), z.string().min(1)]),
  category: z.string(),
  answer_id: z.string().optional(),
  model_id: z.string().optional(),
  choices: z
    .array(
      z.object({
        index: z.int().optional(),
        turns: z.array(z.string()).min(1),
        decoding_steps: z.array(z.int().min(0)).optional(),
        new_tokens: z.array(z.int().min(0)),
        wall_time: z.array(z.number().min(0)),
        accept_lengths: z.array(z.int().min(0)),
      }),
    )
    .min(1),
  tstamp: z.number().optional(),
  trbench: z.unknown().optional(),
});

export type AnswerLine = z.infer<typeof answerLine>;

/** The `trbench` field of an exported line. */
export interface AnswerProvenance {
  schema: 'trbench-answer/1';
  run: string;
  configHash: string;
  record: RunRecord;
  environment: Environment;
  hardware?: Hardware;
}

/** The index file an export writes next to its answer files. */
export interface ExportIndex {
  schema: 'trbench-spec-bench-export/1';
  run: string;
  configHash: string;
  exportedAt: string;
  files: {
    /** Relative to the export folder. */
    file: string;
    model: string;
    dataset: string;
    variant: string;
    method: string;
    repeat: number;
    /** The answers of plain decoding: speed.py's `--base-path`. */
    baseline: string;
    questions: number;
    /** Questions trbench skipped (prompt longer than the context): Spec-Bench's format has no place for them. */
    skipped: string[];
  }[];
  notes: string[];
}

/** Accept lengths of a record, turn after turn, expanded from each turn's histogram (ascending within a turn). */
export function acceptLengthsOf(record: RunRecord): number[] {
  const out: number[] = [];
  for (const t of record.turns) t.acceptHist.forEach((count, length) => out.push(...new Array<number>(count).fill(length)));
  return out;
}

/** A file-name-safe form of an id (variant ids hold brackets, `=`, `:` and possibly `/`). */
export function safeFileName(id: string): string {
  return id.replace(/[^A-Za-z0-9._=,+-]/g, '_');
}
