import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (this file lives in packages/assets/src). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Git-ignored cache of converted models, downloads and memoised hashes; `TRBENCH_CACHE` overrides. */
export function cacheDir(): string {
  return process.env.TRBENCH_CACHE ? path.resolve(process.env.TRBENCH_CACHE) : path.join(repoRoot, '.cache', 'trbench');
}

/** Mirror folder laid out like shared/assets (`--mirror` sets `TRBENCH_MIRROR`). */
export function mirrorDir(): string | null {
  return process.env.TRBENCH_MIRROR ? path.resolve(process.env.TRBENCH_MIRROR) : null;
}
