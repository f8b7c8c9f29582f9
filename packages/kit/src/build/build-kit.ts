import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { cacheDir, ensureFile, FILES, mirrorDir, sha256File } from '@trbench/assets';
import { TrbenchError } from '@trbench/core';
import { abiTableProgram, LLAMA_CPP_PINNED } from '@trbench/libllama';
import { extractConverter } from '@trbench/runner';
import { bundleTrbench } from './bundle.ts';
import { LLAMA_SOURCE_KEEP, type LlamaSourceInfo, writeLlamaSourceArchive } from './llama-source.ts';
import { packRuntime } from './runtime.ts';

/** The kit may not be larger than what the GPU machines accept to be carried in. */
export const KIT_MAX_BYTES = 60 * 2 ** 20;

/** Kit files that are the run's, not the kit's: never deleted by a rebuild, never in the manifest. */
const RUN_FOLDERS = new Set(['work']);

export interface BuildKitOptions {
  repoRoot: string;
  /** Default `<repo>/kit`. */
  out?: string;
  /** xz level of the Node.js runtime (6: ~23 MB, minutes once, then cached; 1: ~27 MB, faster). */
  runtimeXzLevel?: number;
  log?: (line: string) => void;
}

export interface KitManifest {
  kit: 1;
  builtAt: string;
  trbench: { version: string; gitCommit: string; gitDirty: boolean };
  node: { version: string; sha256: string; sourceSha256: string; strippedDebugInfo: boolean };
  llamaCpp: LlamaSourceInfo & { archive: string; keep: readonly string[] };
  koffi: string;
  esbuild: string;
  bytes: number;
  files: Record<string, { bytes: number; sha256: string }>;
}

function git(repoRoot: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return '';
  }
}

function packageVersion(dir: string): string {
  return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

function listFiles(root: string, dir = root): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (dir === root && RUN_FOLDERS.has(e.name)) continue;
    if (e.isDirectory()) out.push(...listFiles(root, full));
    else if (e.isFile()) out.push(path.relative(root, full));
  }
  return out.sort();
}

/** The llama.cpp source archive, kept in the cache per bundle, patch set and keep-list. */
async function llamaSource(nlcDir: string, cache: string): Promise<{ archive: string; info: LlamaSourceInfo }> {
  const bundleSha = await sha256File(path.join(nlcDir, 'llama', 'gitRelease.bundle'));
  const patchDir = path.join(nlcDir, 'llama', 'patches');
  const patches = existsSync(patchDir) ? readdirSync(patchDir).sort() : [];
  const recipe = JSON.stringify({ bundleSha, patches, keep: LLAMA_SOURCE_KEEP, format: 1 });
  const key = (await import('node:crypto')).createHash('sha256').update(recipe).digest('hex').slice(0, 16);
  const archive = path.join(cache, `llama.cpp-${LLAMA_CPP_PINNED.llamaCppRelease}-${key}.tar.xz`);
  const infoFile = `${archive}.json`;
  if (existsSync(archive) && existsSync(infoFile)) return { archive, info: JSON.parse(readFileSync(infoFile, 'utf8')) };
  mkdirSync(cache, { recursive: true });
  const info = writeLlamaSourceArchive(nlcDir, `${archive}.tmp`, 6);
  execFileSync('mv', [`${archive}.tmp`, archive]);
  writeFileSync(infoFile, JSON.stringify(info));
  return { archive, info };
}

/**
 * Writes the offline kit (see packages/kit/README.md): runtime, bundled trbench with koffi's linux-x64
 * native piece, the pinned llama.cpp source, stories260K and the datasets, configs, run.sh, and a manifest
 * with every file's sha256. Refuses to leave a kit larger than {@link KIT_MAX_BYTES}.
 */
export async function buildKit(options: BuildKitOptions): Promise<{ dir: string; manifest: KitManifest }> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const root = options.repoRoot;
  const kit = options.out ?? path.join(root, 'kit');
  const cache = path.join(cacheDir(), 'kit');
  const nm = path.join(root, 'node_modules');
  const nlcDir = path.join(nm, 'node-llama-cpp');
  const t0 = Date.now();
  const since = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

  mkdirSync(kit, { recursive: true });
  for (const e of readdirSync(kit)) if (!RUN_FOLDERS.has(e)) rmSync(path.join(kit, e), { recursive: true, force: true });

  const gitCommit = git(root, ['rev-parse', 'HEAD']) || 'unknown';
  const gitDirty = git(root, ['status', '--porcelain', '--untracked-files=no']) !== '';

  log(`kit: Node.js ${process.version} runtime (xz -${options.runtimeXzLevel ?? 6}, cached after the first time)`);
  const runtime = await packRuntime(path.join(kit, 'runtime'), cache, options.runtimeXzLevel ?? 6);

  log(`kit: llama.cpp ${LLAMA_CPP_PINNED.llamaCppRelease} source from node-llama-cpp's bundle (${since()})`);
  const source = await llamaSource(nlcDir, cache);
  const llamaDir = path.join(kit, 'llama.cpp');
  mkdirSync(llamaDir, { recursive: true });
  const archiveName = `llama.cpp-${LLAMA_CPP_PINNED.llamaCppRelease}.tar.xz`;
  copyFileSync(source.archive, path.join(llamaDir, archiveName));
  writeFileSync(path.join(llamaDir, 'source.json'), `${JSON.stringify(source.info, null, 1)}\n`);
  writeFileSync(path.join(llamaDir, 'abi-table.c'), abiTableProgram());
  // llama.cpp's own Hugging Face converter (run.sh --hf converts on the node with the node's Python).
  log(`kit: llama.cpp's convert_hf_to_gguf.py, conversion/ and gguf-py/ from the same bundle (${since()})`);
  extractConverter(path.join(nlcDir, 'llama', 'gitRelease.bundle'), path.join(llamaDir, 'converter'));

  log(`kit: bundling trbench with esbuild (${since()})`);
  const app = path.join(kit, 'app');
  await bundleTrbench(root, path.join(app, 'trbench.mjs'), gitCommit, gitDirty);
  const koffiNative = path.join(nm, '@koromix', 'koffi-linux-x64');
  const koffiDest = path.join(app, 'node_modules', '@koromix', 'koffi-linux-x64');
  mkdirSync(path.join(koffiDest, 'linux_x64'), { recursive: true });
  for (const f of ['package.json', 'index.js']) copyFileSync(path.join(koffiNative, f), path.join(koffiDest, f));
  copyFileSync(path.join(koffiNative, 'linux_x64', 'koffi.node'), path.join(koffiDest, 'linux_x64', 'koffi.node'));
  copyFileSync(path.join(nm, 'koffi', 'LICENSE.txt'), path.join(koffiDest, 'LICENSE.txt'));

  const version = packageVersion(root);
  writeFileSync(
    path.join(app, 'package.json'),
    `${JSON.stringify({ name: 'trbench', version, private: true, type: 'module' }, null, 2)}\n`,
  );
  cpSync(path.join(root, 'configs'), path.join(app, 'configs'), { recursive: true });
  cpSync(path.join(root, 'datasets', 'stories'), path.join(app, 'datasets', 'stories'), { recursive: true });
  // A mirror folder (TRBENCH_MIRROR's layout): the run converts stories260K itself, as at home.
  for (const file of [FILES.stories260KCheckpoint, FILES.stories260KTokenizer, FILES.specBench]) {
    const got = await ensureFile(file);
    const dest = path.join(app, 'assets', file.relPath);
    mkdirSync(path.dirname(dest), { recursive: true });
    copyFileSync(got.path, dest);
  }
  const mirror = mirrorDir();
  for (const licence of ['models/stories260K/LICENSE.llama2.zig', 'datasets/spec_bench/LICENSE.spec-bench']) {
    if (mirror && existsSync(path.join(mirror, licence))) copyFileSync(path.join(mirror, licence), path.join(app, 'assets', licence));
    else log(`kit: ${licence} not carried (it comes from the mirror folder: set TRBENCH_MIRROR)`);
  }

  const runSh = path.join(kit, 'run.sh');
  copyFileSync(path.join(root, 'packages', 'kit', 'run.sh'), runSh);
  chmodSync(runSh, 0o755);
  copyFileSync(path.join(root, 'packages', 'kit', 'KIT-README.md'), path.join(kit, 'README.md'));

  const files: KitManifest['files'] = {};
  let bytes = 0;
  for (const rel of listFiles(kit)) {
    const size = statSync(path.join(kit, rel)).size;
    files[rel] = { bytes: size, sha256: await sha256File(path.join(kit, rel)) };
    bytes += size;
  }
  const manifest: KitManifest = {
    kit: 1,
    builtAt: new Date().toISOString(),
    trbench: { version, gitCommit, gitDirty },
    node: { version: runtime.version, sha256: runtime.sha256, sourceSha256: runtime.sourceSha256, strippedDebugInfo: runtime.stripped },
    llamaCpp: { ...source.info, archive: `llama.cpp/${archiveName}`, keep: LLAMA_SOURCE_KEEP },
    koffi: packageVersion(path.join(nm, 'koffi')),
    esbuild: packageVersion(path.join(nm, 'esbuild')),
    bytes,
    files,
  };
  const manifestText = `${JSON.stringify(manifest, null, 1)}\n`;
  writeFileSync(path.join(kit, 'manifest.json'), manifestText);
  const manifestSha = (await import('node:crypto')).createHash('sha256').update(manifestText).digest('hex');
  const sums = [...Object.entries(files).map(([rel, f]) => `${f.sha256}  ${rel}`), `${manifestSha}  manifest.json`];
  writeFileSync(path.join(kit, 'manifest.sha256'), `${sums.join('\n')}\n`);
  const total = bytes + Buffer.byteLength(manifestText) + statSync(path.join(kit, 'manifest.sha256')).size;
  if (total > KIT_MAX_BYTES) {
    throw new TrbenchError(
      `the kit in ${kit} is ${(total / 2 ** 20).toFixed(1)} MiB, over the ${KIT_MAX_BYTES / 2 ** 20} MiB a GPU machine accepts`,
    );
  }
  log(`kit: ${kit}, ${(total / 2 ** 20).toFixed(1)} MiB in ${Object.keys(files).length + 2} files (${since()})`);
  return { dir: kit, manifest: { ...manifest, bytes: total } };
}
