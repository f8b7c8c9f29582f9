import { existsSync } from 'node:fs';
import path from 'node:path';
import { readGgufHeader, readTensorF32 } from './gguf-read.ts';
import { type ChunkSink, type StreamTensor, type WriteProgress, writeGgufStreamAsync } from './gguf-stream.ts';
import type { GgufValue } from './gguf-writer.ts';
import { sha256FileCached } from './hash.ts';
import type { DerivedSpec } from './model-spec.ts';
import { cacheDir } from './paths.ts';
import { encodeValues, FILE_TYPE, type GgmlTypeId, tensorTypeFor, typeBytes } from './quantize.ts';
import type { ResolvedModel } from './resolved-model.ts';

/** Bumped whenever the bytes a derived spec produces change, so stale cache files are not reused. */
const DERIVED_VERSION = 1;

/** A producer writing a float32 tensor row by row, encoded as `type`. */
export function f32TensorWriter(data: Float32Array, shape: readonly number[], type: GgmlTypeId): (sink: ChunkSink) => void {
  const cols = shape[shape.length - 1];
  const rowBytes = typeBytes(type, cols);
  return (sink) => {
    for (let off = 0; off < data.length; off += cols) {
      const o = sink.reserve(rowBytes);
      encodeValues(type, data, off, cols, sink.buf, o);
      sink.advance(rowBytes);
    }
  };
}

/** Replaces or appends metadata entries, keeping the order of the ones already there. */
export function setMetadata(metadata: Array<[string, GgufValue]>, updates: Array<[string, GgufValue]>): Array<[string, GgufValue]> {
  const out = metadata.map(([k, v]): [string, GgufValue] => [k, v]);
  for (const [k, v] of updates) {
    const i = out.findIndex(([key]) => key === k);
    if (i >= 0) out[i] = [k, v];
    else out.push([k, v]);
  }
  return out;
}

/**
 * Builds a model derived from `source` (stories260K): the layers listed kept and renumbered in order,
 * weights re-encoded as the spec's type (see `tensorTypeFor`), the source's stop rule carried as
 * `trbench.extra_stop_token_ids` and its origin as `trbench.derived.from`. Cached by canonical spec;
 * `signal` stops the writing between tensors (nothing is left in the cache).
 */
export async function resolveDerived(
  spec: DerivedSpec,
  source: ResolvedModel,
  onProgress?: WriteProgress,
  signal?: AbortSignal,
): Promise<ResolvedModel> {
  const fileName = `${spec.canonical.replaceAll(':', '.').replaceAll('=', '-').replaceAll(',', '-')}.v${DERIVED_VERSION}.gguf`;
  const out = path.join(cacheDir(), 'models', 'derived', fileName);
  if (!existsSync(out)) {
    const header = readGgufHeader(source.path);
    const blockCount = header.metadata.get('llama.block_count');
    const sourceLayers = blockCount?.type === 'u32' ? blockCount.value : 0;
    const keep = spec.layers ?? Array.from({ length: sourceLayers }, (_, i) => i);
    const tensors: StreamTensor[] = [];
    for (const t of header.tensors) {
      const m = /^blk\.(\d+)\.(.*)$/.exec(t.name);
      let name = t.name;
      if (m) {
        const at = keep.indexOf(Number(m[1]));
        if (at < 0) continue;
        name = `blk.${at}.${m[2]}`;
      }
      const type = tensorTypeFor(name, t.shape, spec.type ?? 'f32');
      // Read when written: one source tensor in memory at a time.
      tensors.push({ name, shape: t.shape, type, write: (sink) => f32TensorWriter(readTensorF32(header, t.name), t.shape, type)(sink) });
    }
    const metadata = setMetadata(
      [...header.metadata.entries()],
      [
        ['general.name', { type: 'string', value: spec.canonical }],
        ['general.file_type', { type: 'u32', value: FILE_TYPE[spec.type ?? 'f32'] }],
        ['llama.block_count', { type: 'u32', value: keep.length }],
        ['trbench.extra_stop_token_ids', { type: 'i32[]', value: source.extraStopTokens }],
        ['trbench.derived.from', { type: 'string', value: `${source.name} sha256:${source.sha256}` }],
      ],
    );
    await writeGgufStreamAsync(out, metadata, tensors, { onProgress, signal });
  }
  return {
    name: spec.canonical,
    path: out,
    sha256: await sha256FileCached(out),
    extraStopTokens: source.extraStopTokens,
    defaultTemplate: source.defaultTemplate,
    provenance: {
      derivedFrom: source.name,
      sourceSha256: source.sha256,
      layers: (spec.layers ?? []).join(',') || 'all',
      type: spec.type ?? 'f32',
      generator: `trbench derive v${DERIVED_VERSION}`,
    },
  };
}
