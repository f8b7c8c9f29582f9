import { existsSync } from 'node:fs';
import { describeInterruption, TrbenchError } from '@trbench/core';
import { resolveDerived } from './derived.ts';
import type { WriteProgress } from './gguf-stream.ts';
import { resolveGgufPath, resolveHf } from './model-file.ts';
import { parseModelSpec } from './model-spec.ts';
import { type GenerationProgress, generationProgress } from './progress.ts';
import type { ResolvedModel } from './resolved-model.ts';
import { resolveStories260K } from './stories260k.ts';
import { resolveTwin } from './twin/resolve.ts';

// The one place that knows every kind of model spec: it dispatches to the modules that make each kind,
// none of which imports it back (they share only `ResolvedModel`, in its own file).

/** Models known by name. */
export const KNOWN_MODELS = ['stories260K'] as const;

/**
 * Resolves a model spec: a known name (`stories260K`), a model trbench builds from it
 * (`stories260K:layers=0,1,2,4`, `stories260K:q8_0`, `twin:<shape>[:<type>]`; generated into the cache
 * once, with progress on stderr unless `onProgress` is given), a path to a `.gguf` file, or
 * `hf:owner/repo/file.gguf[@rev]` (downloaded into the cache once).
 */
export async function resolveModel(
  spec: string,
  options: { expectedSha256?: string; onProgress?: WriteProgress; signal?: AbortSignal } = {},
): Promise<ResolvedModel> {
  let resolved: ResolvedModel;
  const built = parseModelSpec(spec);
  if (spec === 'stories260K') {
    resolved = await resolveStories260K();
  } else if (built?.kind === 'derived' || built?.kind === 'twin') {
    const label = built.kind === 'derived' ? built.canonical : built.name;
    const progress = options.onProgress ?? generationProgress(label);
    const source = await resolveStories260K();
    resolved = await describeInterruption(
      `writing ${label} into the model cache`,
      'nothing was kept (the partial file is removed; the next use writes it again)',
      () =>
        built.kind === 'derived'
          ? resolveDerived(built, source, progress, options.signal)
          : resolveTwin(built, source, progress, options.signal),
    ).finally(() => (progress as Partial<GenerationProgress>).stop?.());
  } else if (spec.startsWith('hf:')) {
    resolved = await resolveHf(spec, options.signal);
  } else if (spec.endsWith('.gguf') || existsSync(spec)) {
    resolved = await resolveGgufPath(spec);
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
