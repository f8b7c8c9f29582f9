import { type ResolvedModel, resolveModel } from '@trbench/assets';
import { LlamaCppModel, type LlamaCppModelOptions } from '../llama-model.ts';

/**
 * stories260K on the CPU build of llama.cpp, the real model every end-to-end test runs on (the asset comes
 * from the cache, the mirror in `TRBENCH_MIRROR`, or a download). `TRBENCH_TEST_DEVICE=cuda` (or `vulkan`)
 * runs the same tests on that GPU build instead, with an f32 KV cache so tolerances stay those of the CPU
 * (scripts/gpu-check.sh does this).
 */
export async function openStories260K(
  options: { maxDraftNodes: number; topK?: number } & Partial<Omit<LlamaCppModelOptions, 'path' | 'name' | 'sha256'>>,
): Promise<{ model: LlamaCppModel; resolved: ResolvedModel }> {
  const resolved = await resolveModel('stories260K');
  const device = process.env.TRBENCH_TEST_DEVICE;
  if (device !== undefined && device !== 'cpu' && device !== 'cuda' && device !== 'vulkan')
    throw new Error(`TRBENCH_TEST_DEVICE=${device}: expected cpu, cuda or vulkan`);
  const model = await LlamaCppModel.open({
    gpu: device === 'cuda' || device === 'vulkan' ? device : false,
    ...(device === 'cuda' || device === 'vulkan' ? { kvCacheType: 'f32' as const } : {}),
    extraStopTokens: resolved.extraStopTokens,
    topK: 1,
    ...options,
    path: resolved.path,
    name: resolved.name,
    sha256: resolved.sha256,
  });
  return { model, resolved };
}
