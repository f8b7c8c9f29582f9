import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Repository root (this file lives in packages/assets/src); `TRBENCH_ROOT` overrides it for a bundled build
 * (the offline kit), which lays out package.json, configs/ and datasets/ next to its bundle.
 */
export const repoRoot = process.env.TRBENCH_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * A path from the environment, relative to the folder the user started the command in: npm scripts and
 * turbo run commands from other folders (the repository root, each package), but set `INIT_CWD` to it, so
 * `TRBENCH_MIRROR=../shared/assets npm test` means the same folder in every package.
 */
export function fromUserFolder(p: string): string {
  return path.resolve(process.env.INIT_CWD ?? process.cwd(), p);
}

/** Git-ignored cache of converted models, downloads and memoised hashes; `TRBENCH_CACHE` overrides. */
export function cacheDir(): string {
  return process.env.TRBENCH_CACHE ? fromUserFolder(process.env.TRBENCH_CACHE) : path.join(repoRoot, '.cache', 'trbench');
}

/** Mirror folder laid out like shared/assets (`--mirror` sets `TRBENCH_MIRROR`). */
export function mirrorDir(): string | null {
  return process.env.TRBENCH_MIRROR ? fromUserFolder(process.env.TRBENCH_MIRROR) : null;
}
