import { parseJsonlObjects } from '@trbench/assets';
import { TrbenchError } from '@trbench/core';
import { z } from 'zod';
import { issueLines } from '../validation.ts';
import type { Question } from './types.ts';

/** Spec-Bench subtasks in the order of the paper's Table 1 (keys as in Spec-Bench's `speed.py`). */
export const SPEC_BENCH_SUBTASKS = ['mt_bench', 'translation', 'summarization', 'qa', 'math_reasoning', 'rag'] as const;
export type SpecBenchSubtask = (typeof SPEC_BENCH_SUBTASKS)[number];

/** Column headers of the paper's Table 1. */
export const SUBTASK_LABELS: Readonly<Record<string, string>> = {
  mt_bench: 'MT',
  translation: 'Trans',
  summarization: 'Sum',
  qa: 'QA',
  math_reasoning: 'Math',
  rag: 'RAG',
  mbpp: 'MBPP',
};

const MT_BENCH_CATEGORIES = new Set(['writing', 'roleplay', 'reasoning', 'math', 'coding', 'extraction', 'stem', 'humanities']);

/** One line of FastChat's MT-bench question format, used by Spec-Bench and the MBPP subset. */
const questionLine = z.object({
  question_id: z.int(),
  category: z.string().min(1),
  turns: z.array(z.string()).min(1),
});

/** Reads MT-bench-format questions; `subtaskOf` maps a category to its report column. */
export function parseMtBenchFormat(text: string, file: string, subtaskOf: (category: string) => string): Question[] {
  const seen = new Set<string>();
  return parseJsonlObjects(text, file).map(({ line, value }) => {
    const parsed = questionLine.safeParse(value);
    if (!parsed.success) throw new TrbenchError(`${file}:${line}: ${issueLines(parsed.error, value).join('; ')}`);
    const q = parsed.data;
    const id = String(q.question_id);
    if (seen.has(id)) throw new TrbenchError(`${file}:${line}: question_id ${id} appears twice`);
    seen.add(id);
    return { id, subtask: subtaskOf(q.category), category: q.category, turns: q.turns };
  });
}

/** Spec-Bench's subtask of a category: the 8 MT-bench categories form `mt_bench`. */
export function specBenchSubtask(category: string): string {
  return MT_BENCH_CATEGORIES.has(category) ? 'mt_bench' : category;
}
