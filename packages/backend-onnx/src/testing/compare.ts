/** Test support shared by the end-to-end tests that hold the onnx backend against llama.cpp. */
import { resolveModel } from '@trbench/assets';
import { LlamaCppModel } from '@trbench/backend-llama-cpp';
import type { Draft } from '@trbench/core';
import type { AttentionForm } from '../llama-graph.ts';
import { OnnxModel } from '../onnx-model.ts';

/** A seeded LCG in [0, 1). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
}

/** A random tree with uneven branching: parents drawn towards early nodes. */
export function randomTree(draft: Draft, root: number, nodes: number, rnd: () => number): void {
  draft.reset(root);
  for (let i = 1; i < nodes; i++) draft.add(3 + Math.floor(rnd() * 509), Math.floor(rnd() ** 1.7 * i));
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** stories260K on both backends, CPU, f32 KV on llama.cpp (the onnx graph is fp32 throughout). */
export async function openBoth(
  maxDraftNodes: number,
  topK: number,
  keepLogits = true,
  attention: AttentionForm = 'op',
): Promise<{ onnx: OnnxModel; llama: LlamaCppModel }> {
  const m = await resolveModel('stories260K');
  const common = { path: m.path, name: m.name, sha256: m.sha256, maxDraftNodes, topK, extraStopTokens: m.extraStopTokens };
  const onnx = await OnnxModel.open({ ...common, keepLogits, attention });
  const llama = await LlamaCppModel.open({ ...common, gpu: false, kvCacheType: 'f32' });
  return { onnx, llama };
}
