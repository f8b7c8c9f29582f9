import { TrbenchError } from '@trbench/core';
import type { z } from 'zod';

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const s = JSON.stringify(value);
  return s === undefined ? String(value) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/**
 * Validates `value` against a zod schema; on failure throws one TrbenchError naming where the input came
 * from, the path of each bad field, the value found and what is allowed.
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    const found = issue.code === 'unrecognized_keys' ? '' : ` (got ${describeValue(valueAt(value, issue.path))})`;
    return `${path}: ${issue.message}${found}`;
  });
  throw new TrbenchError(`${where}: ${lines.join('; ')}`);
}
