import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TrbenchError } from '@trbench/core';
import { repoRoot } from './paths.ts';
import { FILES } from './registry.ts';
import { ensureFile } from './store.ts';

/** The committed story suite (48 TinyStories-style openings). */
export const STORY_SUITE_PATH = path.join(repoRoot, 'datasets', 'stories', 'prompts.jsonl');

/**
 * Parses JSONL text into objects, naming the file and line of a bad line. Blank lines are allowed; a line
 * must hold a JSON object.
 */
export function parseJsonlObjects(text: string, file: string): { line: number; value: Record<string, unknown> }[] {
  const out: { line: number; value: Record<string, unknown> }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new TrbenchError(`${file}:${i + 1}: not valid JSON (${(err as Error).message})`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new TrbenchError(`${file}:${i + 1}: expected a JSON object per line`);
    }
    out.push({ line: i + 1, value: value as Record<string, unknown> });
  }
  return out;
}

/** Reads a JSONL file of objects (see {@link parseJsonlObjects}). */
export function readJsonl(file: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TrbenchError(`cannot read ${file}: ${(err as Error).message}`);
  }
  return parseJsonlObjects(text, file).map((row) => row.value);
}

export interface StoryPrompt {
  id: string;
  prompt: string;
}

export function loadStorySuite(): StoryPrompt[] {
  return readJsonl(STORY_SUITE_PATH) as unknown as StoryPrompt[];
}

/** A Spec-Bench question as in `question.jsonl`. */
export interface SpecBenchQuestion {
  question_id: number;
  category: string;
  turns: string[];
}

/** The 480 Spec-Bench questions (from the cache, mirror or download). */
export async function loadSpecBenchQuestions(): Promise<SpecBenchQuestion[]> {
  return readJsonl((await ensureFile(FILES.specBench)).path) as unknown as SpecBenchQuestion[];
}
