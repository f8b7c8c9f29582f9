import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir, repoRoot } from '@trbench/assets';

const here = path.dirname(fileURLToPath(import.meta.url));

/** llama.cpp source inside node-llama-cpp (the release trbench's libllama is built from). */
export const LLAMA_BUNDLE = path.join(repoRoot, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');

/** The llama.cpp files compiled as they are. */
const NGRAM_FILES = ['ngram-map.h', 'ngram-map.cpp', 'ngram-mod.h', 'ngram-mod.cpp', 'ngram-cache.h', 'ngram-cache.cpp'];

/** A C++ compiler on PATH (`CXX`, g++ or c++), or null. */
export function findCompiler(): string | null {
  for (const cxx of [process.env.CXX, 'g++', 'c++']) {
    if (!cxx) continue;
    const r = spawnSync(cxx, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return cxx;
  }
  return null;
}

function git(args: string[], cwd?: string): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** The text from the line that starts with `start` to the end of its brace block (and a trailing `;`). */
export function extractBlock(source: string, start: string): string {
  const at = source.search(new RegExp(`^${start.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
  if (at < 0) throw new Error(`speculative.cpp: no line starts with ${JSON.stringify(start)}`);
  let depth = 0;
  let opened = false;
  for (let i = at; i < source.length; i++) {
    const c = source[i];
    if (c === '{') {
      depth++;
      opened = true;
    } else if (c === '}') {
      depth--;
      if (opened && depth === 0) {
        const end = source[i + 1] === ';' ? i + 2 : i + 1;
        return `${source.slice(at, end)}\n`;
      }
    }
  }
  throw new Error(`speculative.cpp: unbalanced block at ${JSON.stringify(start)}`);
}

/** The n-gram parts of common/speculative.cpp, verbatim: base class, the five implementations, the glue. */
export function extractSpeculative(source: string): string {
  const from = source.indexOf('// state of self-speculation (simple implementation, not ngram-map)');
  const to = source.indexOf('std::string common_speculative_type_name_str');
  if (from < 0 || to < from) throw new Error('speculative.cpp: n-gram implementations not found where expected');
  return [
    extractBlock(source, 'struct common_speculative_config {'),
    extractBlock(source, 'struct common_speculative_impl {'),
    source.slice(from, to),
    extractBlock(source, 'void common_speculative_begin('),
    extractBlock(source, 'void common_speculative_draft('),
    extractBlock(source, 'void common_speculative_accept('),
  ].join('\n');
}

/**
 * Builds (once, cached under `.cache/trbench/llama-ngram-crosscheck/<key>/`) the cross-check driver: the
 * pinned bundle's common/ngram-*.cpp and the n-gram parts of common/speculative.cpp, with stubs for the
 * rest, compiled by the system C++ compiler. Returns the executable's path.
 */
export function buildDriver(cxx: string): string {
  if (!existsSync(LLAMA_BUNDLE)) throw new Error(`llama.cpp source bundle not found at ${LLAMA_BUNDLE} (run npm ci)`);
  const head = git(['bundle', 'list-heads', LLAMA_BUNDLE]).trim().split(/\s+/)[0];
  const ours = ['driver.cpp', 'stubs/common.h', 'stubs/llama.h', 'stubs/log.h', 'build-driver.ts'].map((f) =>
    readFileSync(path.join(here, f), 'utf8'),
  );
  const key = createHash('sha256')
    .update([head, cxx, ...ours].join('\0'))
    .digest('hex')
    .slice(0, 16);
  const root = path.join(cacheDir(), 'llama-ngram-crosscheck');
  const dir = path.join(root, key);
  const exe = path.join(dir, 'driver');
  if (existsSync(exe)) return exe;

  const work = path.join(root, `${key}.tmp-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(path.join(work, 'src'), { recursive: true });
  try {
    const repo = path.join(work, 'repo');
    git(['clone', '--quiet', '--no-checkout', LLAMA_BUNDLE, repo]);
    const show = (file: string) => git(['show', `HEAD:common/${file}`], repo);
    for (const f of NGRAM_FILES) writeFileSync(path.join(work, 'src', f), show(f));
    writeFileSync(path.join(work, 'src', 'speculative-ngram.inc'), extractSpeculative(show('speculative.cpp')));
    rmSync(repo, { recursive: true, force: true });
    const src = (f: string) => path.join(work, 'src', f);
    const args = [
      '-std=c++17',
      '-O1',
      '-w',
      '-I',
      path.join(here, 'stubs'),
      '-I',
      path.join(work, 'src'),
      path.join(here, 'driver.cpp'),
      src('ngram-map.cpp'),
      src('ngram-mod.cpp'),
      src('ngram-cache.cpp'),
      '-o',
      path.join(work, 'driver'),
    ];
    const r = spawnSync(cxx, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cxx} failed to build the cross-check driver:\n${r.stderr}`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(work, dir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return exe;
}
