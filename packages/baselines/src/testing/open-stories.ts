import type { LlamaCppModel } from '@trbench/backend-llama-cpp';
import { openStories260K as open } from '@trbench/backend-llama-cpp/testing';

/** stories260K on llama.cpp (CPU), 512-token context, exposing node logits (the corpus sampler reads them). */
export async function openStories260K(maxDraftNodes: number, topK = 1): Promise<{ model: LlamaCppModel; sha256: string }> {
  const { model, resolved } = await open({ maxDraftNodes, topK, exposeLogits: true });
  return { model, sha256: resolved.sha256 };
}
