import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ensureFile, FILES, repoRoot } from '@trbench/assets';

/** One prompt of an evaluation set (raw template: the text is tokenised with BOS, no chat roles). */
export interface SuitePrompt {
  id: string;
  category: string;
  text: string;
}

/** The 48 story openings of datasets/stories/prompts.jsonl, in file order. */
export function storySuite(): SuitePrompt[] {
  const file = path.join(repoRoot, 'datasets', 'stories', 'prompts.jsonl');
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const r = JSON.parse(l) as { id: string; prompt: string };
      return { id: r.id, category: 'story', text: r.prompt };
    });
}

/** First turns of Spec-Bench's 480 questions, in file order; `every` > 1 keeps questions 0, every, 2·every, ... */
export async function specBenchFirstTurns(every = 1): Promise<SuitePrompt[]> {
  const file = (await ensureFile(FILES.specBench)).path;
  const all = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const r = JSON.parse(l) as { question_id: number | string; category: string; turns: string[] };
      return { id: String(r.question_id), category: r.category, text: r.turns[0] };
    });
  return all.filter((_, i) => i % every === 0);
}
