import { existsSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { stampFile, verifyStampedFile } from '../file-stamp.ts';
import { readGgufHeader } from '../gguf-read.ts';
import { type WriteProgress, writeGgufStream, writeGgufStreamAsync } from '../gguf-stream.ts';
import { sha256FileCached } from '../hash.ts';
import { isKQuant, type KQuantType, STORIES260K_VOCAB, type TwinSpec } from '../model-spec.ts';
import { cacheDir } from '../paths.ts';
import type { ResolvedModel } from '../resolved-model.ts';
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

/**
 * A twin of `source` (stories260K), generated into the cache the first time it is asked for; `signal`
 * stops the writing between tensors (nothing is left in the cache).
 */
export async function resolveTwin(
  spec: TwinSpec,
  source: ResolvedModel,
  onProgress?: WriteProgress,
  signal?: AbortSignal,
): Promise<ResolvedModel> {
  if (isKQuant(spec.type)) return resolveKQuantTwin(spec, spec.type, source, onProgress, signal);
  const out = twinCachePath(spec);
  if (!existsSync(out)) {
    const { metadata, tensors } = buildTwin(spec, readGgufHeader(source.path), {
      extraStopTokens: source.extraStopTokens,
      sourceSha256: source.sha256,
    });
    await writeGgufStreamAsync(out, metadata, tensors, { onProgress, signal });
  }
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

/** The F16 twin of the same shape (what a K-quant twin is quantised from). */
function f16Of(spec: TwinSpec): TwinSpec {
  return {
    ...spec,
    type: 'f16',
    name: spec.name.replace(/:[^:]+$/, ':f16'),
    canonical: spec.canonical.replace(/:[^:]+$/, ':f16'),
  };
}

/**
 * A K-quant twin (`twin:<shape>:q4_k_m|q5_k_m|q6_k`): the F16 twin (generated first if needed) quantised by
 * libllama's own `llama_model_quantize`, the code `llama-quantize` runs, into a temporary file renamed into
 * the cache and stamped. The quantiser keeps the F16 twin's metadata (stop tokens, twin shape, source
 * sha256) and records the K-quant mixture in `general.file_type`. Deterministic: the same F16 bytes and
 * library give the same file.
 */
async function resolveKQuantTwin(
  spec: TwinSpec,
  type: KQuantType,
  source: ResolvedModel,
  onProgress?: WriteProgress,
  signal?: AbortSignal,
): Promise<ResolvedModel> {
  const f16 = await resolveTwin(f16Of(spec), source, onProgress, signal);
  const out = twinCachePath(spec);
  let sha256 = existsSync(out) ? await verifyStampedFile(out, 'delete it to quantise it again') : null;
  if (sha256 === null) {
    const tmp = `${out}.partial-${process.pid}.gguf`;
    try {
      // Loaded only here: the quantiser is libllama's (koffi), which nothing else in assets needs.
      const { quantizeModelFile } = await import('@trbench/libllama');
      process.stderr.write(`[twin] quantising ${f16.name} to ${type} with libllama's llama_model_quantize\n`);
      await quantizeModelFile(f16.path, tmp, type);
      if (signal?.aborted) throw signal.reason;
      renameSync(tmp, out);
    } finally {
      rmSync(tmp, { force: true });
    }
    sha256 = await stampFile(out);
  }
  return {
    name: spec.name,
    path: out,
    sha256,
    extraStopTokens: source.extraStopTokens,
    defaultTemplate: source.defaultTemplate,
    provenance: {
      ...f16.provenance,
      type,
      quantizedFrom: `${f16.name} sha256:${f16.sha256}`,
      quantizer: "libllama's llama_model_quantize (node-llama-cpp's pinned llama.cpp)",
    },
  };
}
