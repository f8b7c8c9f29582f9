/** One evaluation item: one or more user turns, answered in order (the multi-turn protocol of Spec-Bench). */
export interface Question {
  /** Identifier unique within its dataset (Spec-Bench's question_id as text). */
  id: string;
  /** Column of the report this question counts in (Spec-Bench subtask, or one name for the whole dataset). */
  subtask: string;
  /** Finer label from the source (e.g. MT-bench's writing, roleplay, ...). */
  category: string;
  turns: string[];
}

/** Dataset kinds a config can name. */
export const DATASET_KINDS = ['spec-bench', 'mbpp', 'stories', 'jsonl'] as const;
export type DatasetKind = (typeof DATASET_KINDS)[number];

/** A dataset file read into memory, in file order. */
export interface LoadedDataset {
  kind: DatasetKind;
  /** Absolute path of the file that was read. */
  file: string;
  sha256: string;
  /** Subtasks in report order. */
  subtasks: string[];
  questions: Question[];
}
