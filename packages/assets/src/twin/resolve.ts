import { existsSync } from 'node:fs';
import path from 'node:path';
import { readGgufHeader } from '../gguf-read.ts';
import { type WriteProgress, writeGgufStream } from '../gguf-stream.ts';
import { sha256FileCached } from '../hash.ts';
import { STORIES260K_VOCAB, type TwinSpec } from '../model-spec.ts';
import type { ResolvedModel } from '../models.ts';
import { cacheDir } from '../paths.ts';
import { buildTwin, TWIN_VERSION } from './build.ts';
import { TWIN_SEED } from './random.ts';

/** Cache file of a twin: one per canonical spec and generator version. */
export function twinCachePath(spec: TwinSpec): string {
  return path.join(cacheDir(), 'models', 'twins', `twin-${spec.shapeString}-${spec.type}.v${TWIN_VERSION}.gguf`);
}

/** Writes a twin's GGUF to `file` (streamed, atomic); returns its size in bytes. */
export function writeTwin(spec: TwinSpec, source: ResolvedModel, file: string, onProgress?: WriteProgress): number {
  const { metadata, tensors } = buildTwin(spec, readGgufHeader(source.path), {
    extraStopTokens: source.extraStopTokens,
    sourceSha256: source.sha256,
  });
  return writeGgufStream(file, metadata, tensors, { onProgress });
}

/** A twin of `source` (stories260K), generated into the cache the first time it is asked for. */
export async function resolveTwin(spec: TwinSpec, source: ResolvedModel, onProgress?: WriteProgress): Promise<ResolvedModel> {
  const out = twinCachePath(spec);
  if (!existsSync(out)) writeTwin(spec, source, out, onProgress);
  return {
    name: spec.name,
    path: out,
    sha256: await sha256FileCached(out),
    extraStopTokens: source.extraStopTokens,
    defaultTemplate: source.defaultTemplate,
    provenance: {
      twinOf: source.name,
      sourceSha256: source.sha256,
      shape: spec.shapeString,
      type: spec.type,
      generator: `trbench twin v${TWIN_VERSION}, seed 0x${TWIN_SEED.toString(16)}`,
      note:
        spec.shape.vocab > STORIES260K_VOCAB
          ? `computes the source model exactly in a slice of a larger llama; vocabulary ${spec.shape.vocab} with an untied LM head (tokens ≥ 512 unused, logits near −1000)`
          : 'computes the source model exactly in a slice of a larger llama; vocabulary 512, tied embeddings (no wide LM head)',
    },
  };
}
