import { type ResolvedModel, resolveModel } from '@trbench/assets';
import { LlamaCppModel, type LlamaCppModelOptions } from '../llama-model.ts';

/**
 * stories260K on the CPU build of llama.cpp, the real model every end-to-end test runs on (the asset comes
 * from the cache, the mirror in `TRBENCH_MIRROR`, or a download).
 */
export async function openStories260K(
  options: { maxDraftNodes: number; topK?: number } & Partial<Omit<LlamaCppModelOptions, 'path' | 'name' | 'sha256'>>,
): Promise<{ model: LlamaCppModel; resolved: ResolvedModel }> {
  const resolved = await resolveModel('stories260K');
  const model = await LlamaCppModel.open({
    gpu: false,
    extraStopTokens: resolved.extraStopTokens,
    topK: 1,
    ...options,
    path: resolved.path,
    name: resolved.name,
    sha256: resolved.sha256,
  });
  return { model, resolved };
}
