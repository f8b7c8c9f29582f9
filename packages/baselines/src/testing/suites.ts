import { loadSpecBenchQuestions, loadStorySuite } from '@trbench/assets';

/** One prompt of an evaluation set (raw template: the text is tokenised with BOS, no chat roles). */
export interface SuitePrompt {
  id: string;
  category: string;
  text: string;
}

/** The 48 story openings of datasets/stories/prompts.jsonl, in file order. */
export function storySuite(): SuitePrompt[] {
  return loadStorySuite().map((s) => ({ id: s.id, category: 'story', text: s.prompt }));
}

/** First turns of Spec-Bench's 480 questions, in file order; `every` > 1 keeps questions 0, every, 2·every, ... */
export async function specBenchFirstTurns(every = 1): Promise<SuitePrompt[]> {
  const all = (await loadSpecBenchQuestions()).map((q) => ({ id: String(q.question_id), category: q.category, text: q.turns[0] }));
  return all.filter((_, i) => i % every === 0);
}
