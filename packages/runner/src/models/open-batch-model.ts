import { type ResolvedModel, resolveModel } from '@trbench/assets';
import { type BatchTargetModel, TrbenchError } from '@trbench/core';
import type { OpenModelOptions } from './open-model.ts';

/**
 * Why ONNX refuses `batch` > 1: its generated graph has no batch dimension (one sequence of tokens, one
 * mask, one KV cache per layer), so B requests cannot share a forward there.
 */
export const ONNX_BATCH_REFUSAL =
  'the ONNX backend decodes one request at a time (its generated graph has no batch dimension, one KV cache per layer); batch > 1 runs on llama.cpp';

/**
 * Opens a target for `batch` requests in flight ({@link BatchTargetModel}): llama.cpp only (see
 * {@link ONNX_BATCH_REFUSAL}); ranking on the host, greedy decoding.
 */
export async function openBatchModel(
  options: Omit<OpenModelOptions, 'exposeLogits' | 'samplingTopK'> & { batch: number },
): Promise<{ model: BatchTargetModel; resolved: ResolvedModel }> {
  if (options.backend === 'onnx') throw new TrbenchError(`batch ${options.batch}: ${ONNX_BATCH_REFUSAL}`);
  if (options.rank === 'engine') throw new TrbenchError(`batch ${options.batch}: batched decoding ranks on the host (rank: host or auto)`);
  const resolved = await resolveModel(options.model, { signal: options.signal });
  const { LlamaCppBatchModel } = await import('@trbench/backend-llama-cpp');
  const device = options.device ?? 'auto';
  if (!['auto', 'cuda', 'vulkan', 'cpu'].includes(device))
    throw new TrbenchError(`unknown llama.cpp device ${JSON.stringify(device)}: expected auto, cuda, vulkan or cpu`);
  const model = await LlamaCppBatchModel.open({
    path: resolved.path,
    name: resolved.name,
    sha256: resolved.sha256,
    extraStopTokens: resolved.extraStopTokens,
    maxDraftNodes: options.maxDraftNodes,
    topK: options.topK,
    threads: options.threads,
    contextSize: options.contextSize,
    gpu: device === 'cpu' ? false : (device as 'auto' | 'cuda' | 'vulkan'),
    batch: options.batch,
  });
  return { model, resolved };
}
