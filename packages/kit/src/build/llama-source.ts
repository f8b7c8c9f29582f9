import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TrbenchError } from '@trbench/core';
import { LLAMA_CPP_PINNED } from '@trbench/libllama';

/**
 * What of llama.cpp's tree libllama, ggml and its CPU and CUDA backends need to configure and build
 * (`LLAMA_BUILD_COMMON/TESTS/TOOLS/EXAMPLES=OFF`). `vendor/` is added by the top-level CMakeLists.txt
 * even then; every other ggml backend folder is only entered when its option is on.
 */
export const LLAMA_SOURCE_KEEP = [
  'CMakeLists.txt',
  'LICENSE',
  'cmake',
  'include',
  'src',
  'licenses',
  'vendor/CMakeLists.txt',
  'vendor/hash',
  'vendor/miniaudio',
  'vendor/nlohmann',
  'vendor/sheredom',
  'vendor/stb',
  'ggml/CMakeLists.txt',
  'ggml/cmake',
  'ggml/include',
  'ggml/src/ggml-cpu',
  'ggml/src/ggml-cuda',
] as const;

/** Plain files directly in ggml/src (the backend-independent core) are kept too; its sub-folders are backends. */
const GGML_SRC = 'ggml/src';

/** Facts about the source carried in the kit (written next to the archive as `source.json`). */
export interface LlamaSourceInfo {
  nodeLlamaCpp: string;
  llamaCppRelease: string;
  /** Commit of node-llama-cpp's source bundle (one squashed commit). */
  commit: string;
  /** sha256 of `gitRelease.bundle` the source was cloned from. */
  bundleSha256: string;
  /** node-llama-cpp's own patches applied on top, as it does before building. */
  patches: string[];
  files: number;
}

function run(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 2 ** 20 }).toString();
}

/**
 * Clones node-llama-cpp's `gitRelease.bundle` (the exact source of the pinned release), applies the
 * patches node-llama-cpp applies before its own builds, and writes the parts in {@link LLAMA_SOURCE_KEEP}
 * as a reproducible `.tar.xz` (sorted names, the commit's time as every mtime, root-owned): the same
 * bytes every time, and a re-extracted tree keeps old mtimes, so an existing build folder stays valid.
 */
export function writeLlamaSourceArchive(nodeLlamaCppDir: string, archive: string, xzLevel: number): LlamaSourceInfo {
  const llamaDir = path.join(nodeLlamaCppDir, 'llama');
  const bundle = path.join(llamaDir, 'gitRelease.bundle');
  if (!existsSync(bundle)) throw new TrbenchError(`${bundle} is missing: run \`npm ci\` (node-llama-cpp ${LLAMA_CPP_PINNED.nodeLlamaCpp})`);
  const info = JSON.parse(readFileSync(path.join(llamaDir, 'llama.cpp.info.json'), 'utf8')) as { tag: string };
  const version = (JSON.parse(readFileSync(path.join(nodeLlamaCppDir, 'package.json'), 'utf8')) as { version: string }).version;
  if (info.tag !== LLAMA_CPP_PINNED.llamaCppRelease || version !== LLAMA_CPP_PINNED.nodeLlamaCpp) {
    throw new TrbenchError(
      `node-llama-cpp ${version} (llama.cpp ${info.tag}) is installed; the kit carries the source of the pinned ` +
        `${LLAMA_CPP_PINNED.nodeLlamaCpp} (${LLAMA_CPP_PINNED.llamaCppRelease}): run \`npm ci\``,
    );
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'trbench-kit-llama-'));
  try {
    const tree = path.join(tmp, 'llama.cpp');
    run('git', ['-c', 'advice.detachedHead=false', 'clone', '--quiet', bundle, tree]);
    const commit = run('git', ['rev-parse', 'HEAD'], tree).trim();
    const commitTime = run('git', ['log', '-1', '--format=%ct'], tree).trim();
    const patches: string[] = [];
    const patchDir = path.join(llamaDir, 'patches');
    for (const name of existsSync(patchDir) ? readdirSync(patchDir).sort() : []) {
      if (!name.endsWith('.diff')) continue;
      const file = path.join(patchDir, name);
      try {
        run('git', ['apply', '--check', file], tree);
      } catch {
        // node-llama-cpp skips a patch the source already contains; anything else is an error
        try {
          run('git', ['apply', '--check', '--reverse', file], tree);
          continue;
        } catch {
          throw new TrbenchError(`node-llama-cpp's patch ${file} applies neither forwards nor backwards to its own source bundle`);
        }
      }
      run('git', ['apply', file], tree);
      patches.push(name);
    }
    const keep = [
      ...LLAMA_SOURCE_KEEP,
      ...readdirSync(path.join(tree, GGML_SRC), { withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => `${GGML_SRC}/${e.name}`),
    ].sort();
    for (const p of keep)
      if (!existsSync(path.join(tree, p))) throw new TrbenchError(`llama.cpp ${info.tag} has no ${p}: update LLAMA_SOURCE_KEEP`);
    const files = Number(run('bash', ['-c', `find ${keep.map((k) => `'${k}'`).join(' ')} -type f | wc -l`], tree).trim());
    const tarArgs = ['--sort=name', `--mtime=@${commitTime}`, '--owner=0', '--group=0', '--numeric-owner', '-C', tree, '-cf', '-', ...keep];
    execFileSync(
      'bash',
      ['-c', `set -o pipefail; tar ${tarArgs.map(shellQuote).join(' ')} | xz -${xzLevel} -T1 > ${shellQuote(archive)}`],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    return {
      nodeLlamaCpp: version,
      llamaCppRelease: info.tag,
      commit,
      bundleSha256: run('sha256sum', [bundle]).split(' ')[0],
      patches,
      files,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`;
}
