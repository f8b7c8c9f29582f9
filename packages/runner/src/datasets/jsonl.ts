import { TrbenchError } from '@trbench/core';

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
