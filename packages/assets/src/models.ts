import { closeSync, existsSync, openSync, readFileSync, readSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { TrbenchError } from '@trbench/core';
import { writeFileAtomic } from './atomic-write.ts';
import { resolveDerived } from './derived.ts';
import { stampFile, verifyStampedFile } from './file-stamp.ts';
import { GgufMetadata } from './gguf-metadata.ts';
import type { WriteProgress } from './gguf-stream.ts';
import { sha256Bytes, sha256File, sha256FileCached } from './hash.ts';
import { convertLlama2cToGguf } from './llama2c.ts';
import { parseModelSpec } from './model-spec.ts';
import { cacheDir } from './paths.ts';
import { generationProgress } from './progress.ts';
import { FILES } from './registry.ts';
import { downloadTo, ensureFile } from './store.ts';
import { resolveTwin } from './twin/resolve.ts';

/** A model file ready to load, with what every record needs to identify it. */
export interface ResolvedModel {
  name: string;
  /** GGUF file. */
  path: string;
  sha256: string;
  /**
   * Token ids that end generation beyond the vocabulary's own end-of-generation set, read from the file
   * (`trbench.extra_stop_token_ids`), so a model behaves the same whether it is named or given by path.
   */
  extraStopTokens: number[];
  /** Prompt template to use when a config does not say. */
  defaultTemplate: 'raw' | 'vicuna' | 'chatml';
  /** How the file was obtained (checkpoint hashes for converted models). */
  provenance: Record<string, string>;
}

/** Models known by name. */
export const KNOWN_MODELS = ['stories260K'] as const;

async function stories260K(): Promise<ResolvedModel> {
  const ckpt = await ensureFile(FILES.stories260KCheckpoint);
  const tok = await ensureFile(FILES.stories260KTokenizer);
  // The conversion is cheap and deterministic: its digest names the cached file, so a file made by another
  // version of the converter (another checkout sharing the cache) is never taken for this one's, and a
  // damaged file is recognised (stamp: size at once, sha256 when the mtime changed).
  const gguf = convertLlama2cToGguf(readFileSync(ckpt.path), readFileSync(tok.path), 'stories260K', {
    checkpoint: ckpt.path,
    tokenizer: tok.path,
  });
  const sha256 = sha256Bytes(gguf);
  const out = path.join(cacheDir(), 'models', `stories260K-${sha256.slice(0, 12)}.gguf`);
  const fix = 'delete it and run `npx trbench assets` to convert it again';
  if (!existsSync(out)) {
    writeFileAtomic(out, gguf);
    await stampFile(out, sha256);
  } else {
    const stamped = await verifyStampedFile(out, fix);
    const actual = stamped ?? (await sha256File(out)); // no stamp (an older trbench): hash it once
    if (actual !== sha256) throw new TrbenchError(`${out} is damaged: sha256 ${actual}, but the conversion gives ${sha256}; ${fix}`);
    if (stamped === null) await stampFile(out, sha256);
  }
  return {
    name: 'stories260K',
    path: out,
    sha256,
    extraStopTokens: await readExtraStopTokens(out),
    defaultTemplate: 'raw',
    provenance: {
      checkpointSha256: FILES.stories260KCheckpoint.sha256,
      tokenizerSha256: FILES.stories260KTokenizer.sha256,
      converter: 'trbench llama2c->gguf (F32)',
    },
  };
}

async function readExtraStopTokens(file: string): Promise<number[]> {
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

/**
 * Resolves a model spec: a known name (`stories260K`), a model trbench builds from it
 * (`stories260K:layers=0,1,2,4`, `stories260K:q8_0`, `twin:<shape>[:<type>]`; generated into the cache
 * once, with progress on stderr unless `onProgress` is given), a path to a `.gguf` file, or
 * `hf:owner/repo/file.gguf[@rev]` (downloaded into the cache once).
 */
export async function resolveModel(
  spec: string,
  options: { expectedSha256?: string; onProgress?: WriteProgress } = {},
): Promise<ResolvedModel> {
  let resolved: ResolvedModel;
  const built = parseModelSpec(spec);
  if (spec === 'stories260K') {
    resolved = await stories260K();
  } else if (built?.kind === 'derived') {
    resolved = await resolveDerived(built, await stories260K(), options.onProgress ?? generationProgress(built.canonical));
  } else if (built?.kind === 'twin') {
    resolved = await resolveTwin(built, await stories260K(), options.onProgress ?? generationProgress(built.name));
  } else if (spec.startsWith('hf:')) {
    const { repo, file, revision } = parseHfUri(spec);
    const target = path.join(cacheDir(), 'hf', repo, revision, file);
    if (!existsSync(target)) {
      await downloadUnpinned(`https://huggingface.co/${repo}/resolve/${revision}/${file}`, target);
    }
    assertGgufFile(target);
    resolved = {
      name: spec,
      path: target,
      // Unpinned: the download's own digest is what later opens must find (stamped when downloaded).
      sha256: (await verifyStampedFile(target, 'delete it to download it again')) ?? (await stampFile(target)),
      extraStopTokens: await readExtraStopTokens(target),
      defaultTemplate: 'raw',
      provenance: { source: spec },
    };
  } else if (spec.endsWith('.gguf') || existsSync(spec)) {
    const file = path.resolve(spec);
    assertGgufFile(file);
    resolved = {
      name: path.basename(file, '.gguf'),
      path: file,
      sha256: await sha256FileCached(file),
      extraStopTokens: await readExtraStopTokens(file),
      defaultTemplate: 'raw',
      provenance: {},
    };
  } else {
    throw new TrbenchError(
      `unknown model ${JSON.stringify(spec)}: use one of ${KNOWN_MODELS.join(', ')}, stories260K:[layers=<i,j,...>:]<type>, ` +
        `twin:<shape>[:<type>], a path to a .gguf file, or hf:<owner>/<repo>/<file>.gguf`,
    );
  }
  if (options.expectedSha256 && options.expectedSha256 !== resolved.sha256) {
    throw new TrbenchError(
      `checksum mismatch for model ${spec}: ${resolved.path} has sha256 ${resolved.sha256}, expected ${options.expectedSha256}`,
    );
  }
  return resolved;
}

async function downloadUnpinned(url: string, target: string): Promise<void> {
  const tmp = `${target}.download`;
  await downloadTo(url, tmp, 'download the .gguf yourself and pass its path');
  renameSync(tmp, target);
  await stampFile(target);
}
