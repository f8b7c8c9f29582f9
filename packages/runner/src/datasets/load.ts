import { existsSync, readFileSync } from 'node:fs';
import { ensureFile, FILES, STORY_SUITE_PATH, sha256Bytes } from '@trbench/assets';
import { TrbenchError } from '@trbench/core';
import { type JsonlFields, parseGenericJsonl } from './generic-jsonl.ts';
import { parseMtBenchFormat, SPEC_BENCH_SUBTASKS, specBenchSubtask } from './spec-bench.ts';
import type { LoadedDataset, Question } from './types.ts';

/** What to read: a known dataset, or a JSONL file (absolute path) with its field mapping. */
export type DatasetSource =
  | { kind: 'spec-bench' }
  | { kind: 'mbpp' }
  | { kind: 'stories' }
  | { kind: 'jsonl'; path: string; fields: JsonlFields };

function readLocal(file: string): Buffer {
  if (!existsSync(file)) throw new TrbenchError(`dataset file not found: ${file}`);
  return readFileSync(file);
}

function orderedSubtasks(questions: readonly Question[], preferred: readonly string[] = []): string[] {
  const present = new Set(questions.map((q) => q.subtask));
  const out = preferred.filter((s) => present.has(s));
  for (const q of questions) if (!out.includes(q.subtask)) out.push(q.subtask);
  return out;
}

/**
 * Reads a dataset: Spec-Bench and MBPP from the mirror / cache / download (sha256-checked), the story
 * suite from the repository, generic JSONL from its path.
 */
export async function loadDatasetSource(source: DatasetSource): Promise<LoadedDataset> {
  switch (source.kind) {
    case 'spec-bench':
    case 'mbpp': {
      const remote = source.kind === 'spec-bench' ? FILES.specBench : FILES.mbpp;
      const file = (await ensureFile(remote)).path;
      const text = readFileSync(file, 'utf8');
      const questions =
        source.kind === 'spec-bench' ? parseMtBenchFormat(text, file, specBenchSubtask) : parseMtBenchFormat(text, file, () => 'mbpp');
      return { kind: source.kind, file, sha256: remote.sha256, subtasks: orderedSubtasks(questions, SPEC_BENCH_SUBTASKS), questions };
    }
    case 'stories': {
      const bytes = readLocal(STORY_SUITE_PATH);
      const questions = parseGenericJsonl(bytes.toString('utf8'), STORY_SUITE_PATH, { id: 'id', prompt: 'prompt' }).map((q) => ({
        ...q,
        subtask: 'stories',
        category: 'stories',
      }));
      return { kind: 'stories', file: STORY_SUITE_PATH, sha256: sha256Bytes(bytes), subtasks: ['stories'], questions };
    }
    case 'jsonl': {
      const bytes = readLocal(source.path);
      const questions = parseGenericJsonl(bytes.toString('utf8'), source.path, source.fields);
      if (questions.length === 0) throw new TrbenchError(`${source.path}: no questions (the file has no JSON lines)`);
      return { kind: 'jsonl', file: source.path, sha256: sha256Bytes(bytes), subtasks: orderedSubtasks(questions), questions };
    }
  }
}
