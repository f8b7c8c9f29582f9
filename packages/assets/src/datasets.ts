import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TrbenchError } from '@trbench/core';
import { repoRoot } from './paths.ts';
import { FILES } from './registry.ts';
import { ensureFile } from './store.ts';

/** The committed story suite (48 TinyStories-style openings). */
export const STORY_SUITE_PATH = path.join(repoRoot, 'datasets', 'stories', 'prompts.jsonl');

/** Parses a JSONL file; an unparsable line is reported with its file and line number. */
export function readJsonl(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TrbenchError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const rows: unknown[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      rows.push(JSON.parse(line));
    } catch (err) {
      throw new TrbenchError(`${file}:${i + 1}: not valid JSON (${(err as Error).message})`);
    }
  });
  return rows;
}

export interface StoryPrompt {
  id: string;
  prompt: string;
}

export function loadStorySuite(): StoryPrompt[] {
  return readJsonl(STORY_SUITE_PATH) as StoryPrompt[];
}

/** A Spec-Bench question as in `question.jsonl`. */
export interface SpecBenchQuestion {
  question_id: number;
  category: string;
  turns: string[];
}

/** The 480 Spec-Bench questions (from the cache, mirror or download). */
export async function loadSpecBenchQuestions(): Promise<SpecBenchQuestion[]> {
  return readJsonl((await ensureFile(FILES.specBench)).path) as SpecBenchQuestion[];
}
