import { TrbenchError } from '@trbench/core';
import { formatPath } from '../validation.ts';

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Expands `${NAME}` and `${NAME:-default}` in every string of a parsed config (values only, never keys), so
 * a shared config can take machine-specific paths (a model file, a REST datastore) from the environment:
 * `model: ${TRBENCH_MODEL:-../models/vicuna-7b-v1.3.f16.gguf}`. An empty variable counts as unset (as in
 * the shell's `:-`). A reference to an unset variable without a default is an error naming the field.
 * `$${` writes a literal `${`.
 */
export function expandEnvVars(value: unknown, env: NodeJS.ProcessEnv, display: string, at: PropertyKey[] = []): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    const parts = value.split('$${');
    return parts
      .map((part) =>
        part.replace(REF, (_, name: string, fallback: string | undefined) => {
          const set = env[name];
          if (set !== undefined && set !== '') return set;
          if (fallback !== undefined) return fallback;
          throw new TrbenchError(
            `${display}: ${formatPath(at)}: environment variable ${name} is not set (the value ${JSON.stringify(value)} needs it; or write \${${name}:-default})`,
          );
        }),
      )
      .join('${');
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnvVars(v, env, display, [...at, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandEnvVars(v, env, display, [...at, k]);
    return out;
  }
  return value;
}
