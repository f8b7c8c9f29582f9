import { closeSync, existsSync, openSync, readSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { describeInterruption, TrbenchError } from '@trbench/core';
import { stampFile, verifyStampedFile } from './file-stamp.ts';
import { GgufMetadata } from './gguf-metadata.ts';
import { sha256FileCached } from './hash.ts';
import { cacheDir } from './paths.ts';
import type { ResolvedModel } from './resolved-model.ts';
import { downloadTo } from './store.ts';

/** The stop tokens a GGUF declares beyond its vocabulary's own (`trbench.extra_stop_token_ids`). */
export function readExtraStopTokens(file: string): number[] {
  return GgufMetadata.read(file).extraStopTokens();
}

/** Checks the GGUF magic so a wrong file fails with a clear message instead of a llama.cpp log line. */
export function assertGgufFile(file: string): void {
  if (!existsSync(file)) throw new TrbenchError(`model file not found: ${file}`);
  if (!statSync(file).isFile()) throw new TrbenchError(`model path is not a file: ${file}`);
  const fd = openSync(file, 'r');
  const magic = Buffer.alloc(4);
  try {
    readSync(fd, magic, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (magic.toString('latin1') !== 'GGUF') throw new TrbenchError(`not a GGUF file: ${file} (expected the bytes "GGUF" at the start)`);
}

/** Parses `hf:owner/repo/path/to/file.gguf[@revision]`. */
export function parseHfUri(uri: string): { repo: string; file: string; revision: string } {
  const m = /^hf:([^/@\s]+\/[^/@\s]+)\/([^@\s]+\.gguf)(?:@([\w.-]+))?$/.exec(uri);
  if (!m) throw new TrbenchError(`bad model URI ${uri}: expected hf:<owner>/<repo>/<file>.gguf[@revision]`);
  return { repo: m[1], file: m[2], revision: m[3] ?? 'main' };
}

/** A `.gguf` file given by path. */
export async function resolveGgufPath(spec: string): Promise<ResolvedModel> {
  const file = path.resolve(spec);
  assertGgufFile(file);
  return {
    name: path.basename(file, '.gguf'),
    path: file,
    sha256: await sha256FileCached(file),
    extraStopTokens: readExtraStopTokens(file),
    defaultTemplate: 'raw',
    provenance: {},
  };
}

/** `hf:owner/repo/file.gguf[@rev]`, downloaded into the cache once. */
export async function resolveHf(spec: string, signal?: AbortSignal): Promise<ResolvedModel> {
  const { repo, file, revision } = parseHfUri(spec);
  const target = path.join(cacheDir(), 'hf', repo, revision, file);
  if (!existsSync(target)) {
    await downloadUnpinned(`https://huggingface.co/${repo}/resolve/${revision}/${file}`, target, signal);
  }
  assertGgufFile(target);
  return {
    name: spec,
    path: target,
    // Unpinned: the download's own digest is what later opens must find (stamped when downloaded).
    sha256: (await verifyStampedFile(target, 'delete it to download it again')) ?? (await stampFile(target)),
    extraStopTokens: readExtraStopTokens(target),
    defaultTemplate: 'raw',
    provenance: { source: spec },
  };
}

async function downloadUnpinned(url: string, target: string, signal?: AbortSignal): Promise<void> {
  const tmp = `${target}.download`;
  await describeInterruption(`downloading ${url}`, 'nothing was kept (the partial download is removed)', () =>
    downloadTo(url, tmp, 'download the .gguf yourself and pass its path', signal),
  );
  renameSync(tmp, target);
  await stampFile(target);
}
