import { closeSync, existsSync, fsyncSync, openSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs';
import { blameFile } from '@trbench/assets';
import type { BackendInfo, SamplingOptions } from '@trbench/core';
import { TrbenchError } from '@trbench/core';
import type { WarmupProtocol } from '../config/schema.ts';
import type { TurnOutcome } from '../generation/conversation.ts';
import type { DiagnosedDivergence, Divergence } from '../generation/lossless.ts';

/** Identity of a draft model, recorded like the target's. */
export interface DraftModelIdentity {
  name: string;
  sha256: string;
  backend: BackendInfo;
  /**
   * The draft computes the target's function (`isOracleDraft`: both hold the same source weights, e.g. twins of
   * one source): an oracle draft, not a real one. Absent from records made before it was checked.
   */
  oracle?: boolean;
}

/** One line of `records.jsonl`: one question answered by one method variant in one repeat. */
export interface RunRecord {
  v: 1;
  /** Index of the session (fresh start = 0, each `--resume` adds one) that wrote this record. */
  session: number;
  /** Model id (config). */
  model: string;
  modelSha256: string;
  /** Token ids that end generation for this model (`ModelInfo.stopTokens`); absent in records made before trbench recorded them. */
  stopTokens?: number[];
  backend: BackendInfo;
  template: string;
  dataset: string;
  subtask: string;
  category: string;
  questionId: string;
  /** Position of the question in the dataset's selection. */
  index: number;
  repeat: number;
  variant: string;
  method: string;
  /** Every parameter, defaults included. */
  params: Record<string, unknown>;
  maxNewTokens: number;
  /** Sampling options of a sampled run (absent = greedy). Each turn's seed is derived by `turnSeed`. */
  sampling?: SamplingOptions;
  /** The draft model of draft-model speculation (`sps`): what ran, on which engine. */
  draftModel?: DraftModelIdentity;
  /**
   * Drafter state when this question started: requests it served before (warm-up turns included only under
   * `warmupProtocol: spec-bench`, where the warm-up runs on the recorded drafter). `warmupProtocol` is absent
   * from records made before it existed (they ran the warm-up on the recorded drafter: `spec-bench`).
   */
  drafter: { warm: boolean; requestsBefore: number; warmupRuns: number; warmupProtocol?: WarmupProtocol };
  status: 'done' | 'skipped';
  skipReason?: string;
  turns: TurnOutcome[];
  /** Sums over turns. */
  newTokens: number;
  steps: number;
  /**
   * Draft tokens the verifier accepted at each step, over all turns in order (bonus excluded; length =
   * `steps`, split by `turns[i].steps`). Absent from records made before trbench recorded it.
   */
  acceptedPerStep?: number[];
  /** Steps per draft source label (`Drafter.lastDraftSource`), only for a drafter that names its sources. */
  draftSources?: Record<string, number>;
  wallMs: number;
  /** Process CPU time (user + system) over the turns' decoding; absent from records made before it was measured. */
  cpuMs?: number;
  /**
   * Versus the AR record of the same question: null for AR itself (it is the reference). A divergence is
   * diagnosed (`kind` numeric or logic, both runs' top-2 there); records made before that have only its place.
   */
  lossless: null | { identical: true } | ({ identical: false } & (Divergence | DiagnosedDivergence));
  finishedAt: string;
}

/** The identity of a record: one per (model, dataset, repeat, variant, question). */
export function recordKey(r: Pick<RunRecord, 'model' | 'dataset' | 'repeat' | 'variant' | 'questionId'>): string {
  return JSON.stringify([r.model, r.dataset, r.repeat, r.variant, r.questionId]);
}

/**
 * Reads `records.jsonl`. A last line without its newline is what a killed writer leaves: it is reported
 * (`partialTail`) and ignored. Any other bad line, or a record written twice, is an error.
 */
export function readRecords(file: string): { records: RunRecord[]; partialTail: number } {
  if (!existsSync(file)) return { records: [], partialTail: 0 };
  const text = readFileSync(file, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  const records: RunRecord[] = [];
  const seen = new Set<string>();
  const lines = text.slice(0, end).split('\n');
  lines.pop();
  lines.forEach((line, i) => {
    let rec: RunRecord;
    try {
      rec = JSON.parse(line) as RunRecord;
    } catch {
      throw new TrbenchError(`${file}:${i + 1}: not a JSON record; the file was edited or damaged`);
    }
    if (rec?.v !== 1) throw new TrbenchError(`${file}:${i + 1}: not a trbench record (expected "v": 1)`);
    const key = recordKey(rec);
    if (seen.has(key)) throw new TrbenchError(`${file}:${i + 1}: record ${key} appears twice`);
    seen.add(key);
    records.push(rec);
  });
  return { records, partialTail: Buffer.byteLength(text.slice(end)) };
}

/**
 * The append-only record file of a run. Each record is one line written with a single write and fsynced,
 * so a killed run keeps every finished record; opening drops a trailing partial line.
 */
export class RecordLog {
  readonly file: string;
  readonly records: RunRecord[];
  /** Bytes of a partial last line dropped on open (0 when the file was clean). */
  readonly droppedBytes: number;
  private fd: number;
  private readonly keys: Set<string>;

  private constructor(file: string, records: RunRecord[], droppedBytes: number, fd: number) {
    this.file = file;
    this.records = records;
    this.droppedBytes = droppedBytes;
    this.fd = fd;
    this.keys = new Set(records.map(recordKey));
  }

  /** Opens (creating) the record file for appending, after dropping a partial last line. */
  static open(file: string): RecordLog {
    const { records, partialTail } = readRecords(file);
    if (partialTail > 0) truncateSync(file, statSync(file).size - partialTail);
    // O_APPEND: every write lands at the end, whatever the file offset.
    const fd = openSync(file, 'a');
    fsyncSync(fd);
    return new RecordLog(file, records, partialTail, fd);
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Appends one record durably; a record already present is an error (resume must never duplicate). */
  append(record: RunRecord): void {
    const key = recordKey(record);
    if (this.keys.has(key)) throw new Error(`record ${key} written twice`);
    const bytes = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
      fsyncSync(this.fd);
    } catch (err) {
      throw blameFile(err, this.file); // a full disk: the partial line is dropped when the run resumes
    }
    this.keys.add(key);
    this.records.push(record);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
