import { parseJsonlObjects } from '@trbench/assets';
import { TrbenchError } from '@trbench/core';
import type { Question } from './types.ts';

/** Where each question field lives in a generic JSONL line (dotted paths reach into nested objects). */
export interface JsonlFields {
  /** Identifier; default: the line number. */
  id?: string;
  /** A single-turn prompt (string). Exactly one of `prompt` and `turns`. */
  prompt?: string;
  /** Multi-turn user messages (array of strings). */
  turns?: string;
  /** Subtask / category; default: one subtask named `all`. */
  category?: string;
}

function at(value: Record<string, unknown>, dotted: string): unknown {
  let cur: unknown = value;
  for (const key of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Reads a generic JSONL file through a field mapping, naming the file, line and mapping on error. */
export function parseGenericJsonl(text: string, file: string, fields: JsonlFields): Question[] {
  const seen = new Set<string>();
  return parseJsonlObjects(text, file).map(({ line, value }) => {
    const where = `${file}:${line}`;
    let turns: string[];
    if (fields.turns !== undefined) {
      const t = at(value, fields.turns);
      if (!Array.isArray(t) || t.length === 0 || !t.every((x) => typeof x === 'string'))
        throw new TrbenchError(`${where}: field "${fields.turns}" (fields.turns) must be a non-empty array of strings`);
      turns = t as string[];
    } else {
      const p = at(value, fields.prompt ?? 'prompt');
      if (typeof p !== 'string') throw new TrbenchError(`${where}: field "${fields.prompt}" (fields.prompt) must be a string`);
      turns = [p];
    }
    let id = String(line);
    if (fields.id !== undefined) {
      const raw = at(value, fields.id);
      if (typeof raw !== 'string' && typeof raw !== 'number')
        throw new TrbenchError(`${where}: field "${fields.id}" (fields.id) must be a string or a number`);
      id = String(raw);
    }
    if (seen.has(id)) throw new TrbenchError(`${where}: id ${JSON.stringify(id)} appears twice`);
    seen.add(id);
    let category = 'all';
    if (fields.category !== undefined) {
      const c = at(value, fields.category);
      if (typeof c !== 'string' || c === '')
        throw new TrbenchError(`${where}: field "${fields.category}" (fields.category) must be a non-empty string`);
      category = c;
    }
    return { id, subtask: category, category, turns };
  });
}
