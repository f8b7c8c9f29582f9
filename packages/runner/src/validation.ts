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

/** Formats a field path the way users write it: `methods[1].params.k`; `(root)` for the empty path. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/**
 * One line per zod issue: the field path, the message, and the value found. `documentPath` maps an
 * issue's path inside `value` to its path in the whole document (default: unchanged).
 */
export function issueLines(
  error: z.ZodError,
  value: unknown,
  documentPath: (path: ReadonlyArray<PropertyKey>) => ReadonlyArray<PropertyKey> = (p) => p,
): string[] {
  return error.issues.map((issue) => {
    const found = issue.code === 'unrecognized_keys' ? '' : ` (got ${describeValue(valueAt(value, issue.path))})`;
    return `${formatPath(documentPath(issue.path))}: ${issue.message}${found}`;
  });
}

/**
 * Validates `value` against a zod schema; on failure throws one TrbenchError naming where the input came
 * from, the path of each bad field, the value found and what is allowed.
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new TrbenchError(`${where}: ${issueLines(result.error, value).join('; ')}`);
}
