import type { Question } from './types.ts';

/** How `limit` picks questions within a subtask: the first N, or N spread evenly over the subtask. */
export type PickRule = 'first' | 'spread';

/**
 * Keeps the questions of the given subtasks (all when `subset` is undefined) and at most `limit` per
 * subtask, in file order. `spread` takes indices ⌊i·n/limit⌋, e.g. one MT-bench question per category.
 */
export function selectQuestions(
  questions: readonly Question[],
  options: { subset?: readonly string[]; limit?: number; pick: PickRule },
): Question[] {
  const bySubtask = new Map<string, Question[]>();
  for (const q of questions) {
    if (options.subset && !options.subset.includes(q.subtask)) continue;
    let list = bySubtask.get(q.subtask);
    if (!list) bySubtask.set(q.subtask, (list = []));
    list.push(q);
  }
  const keep = new Set<Question>();
  for (const list of bySubtask.values()) {
    const n = list.length;
    const limit = options.limit === undefined ? n : Math.min(options.limit, n);
    for (let i = 0; i < limit; i++) keep.add(list[options.pick === 'spread' ? Math.floor((i * n) / limit) : i]);
  }
  return questions.filter((q) => keep.has(q));
}
