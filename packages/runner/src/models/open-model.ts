import { type ResolvedModel, resolveModel } from '@trbench/assets';
import { type TargetModel, TrbenchError } from '@trbench/core';

export const BACKENDS = ['llama.cpp', 'onnx'] as const;
export type BackendName = (typeof BACKENDS)[number];

/**
 * Where each node's top-k is computed: `host` (full logits rows ranked in JavaScript), `engine` (inside the
 * engine's graph: llama.cpp backend sampling, ONNX's TopK), `auto` (llama.cpp: engine on a GPU, host on
 * the CPU; ONNX: engine). The path used is recorded in the backend settings (`rank`).
 */
export const RANKS = ['host', 'engine', 'auto'] as const;
export type RankName = (typeof RANKS)[number];

/** Checks a `--rank` value. */
export function parseRank(value: string, where = '--rank'): RankName {
  if (!(RANKS as readonly string[]).includes(value))
    throw new TrbenchError(`${where} ${JSON.stringify(value)}: expected one of ${RANKS.join(', ')}`);
  return value as RankName;
}

export interface OpenModelOptions {
  /** Model spec: `stories260K`, `stories260K:<layers=...|type>`, `twin:<shape>[:<type>]`, a .gguf path, or `hf:owner/repo/file.gguf`. */
  model: string;
  backend: BackendName;
  threads: number;
  /** llama.cpp: `auto`, `cuda`, `vulkan` or `cpu`; onnx: `cpu`, `webgpu` or `cuda`. */
  device?: string;
  maxDraftNodes: number;
  topK: number;
  contextSize?: number;
  /** The caller samples and needs node logits. */
  exposeLogits?: boolean;
  /** Stops the writing of a generated model (twin, derived) between tensors. */
  signal?: AbortSignal;
  /** With `exposeLogits`: the sampling's top-k (0 = whole vocabulary), so the engine path keeps enough ranks. */
  samplingTopK?: number;
  /** Ranking path; default `auto`. */
  rank?: RankName;
}

export function parseBackend(name: string): BackendName {
  const normalised = name === 'llamacpp' || name === 'llama-cpp' ? 'llama.cpp' : name;
  if (!(BACKENDS as readonly string[]).includes(normalised)) {
    throw new TrbenchError(`unknown backend ${JSON.stringify(name)}: expected one of ${BACKENDS.join(', ')}`);
  }
  return normalised as BackendName;
}

/** Resolves the model files and opens them on the chosen backend. */
export async function openModel(options: OpenModelOptions): Promise<{ model: TargetModel; resolved: ResolvedModel }> {
  const resolved = await resolveModel(options.model, { signal: options.signal });
  const common = {
    path: resolved.path,
    name: resolved.name,
    sha256: resolved.sha256,
    extraStopTokens: resolved.extraStopTokens,
    maxDraftNodes: options.maxDraftNodes,
    topK: options.topK,
    threads: options.threads,
    contextSize: options.contextSize,
    exposeLogits: options.exposeLogits,
    samplingTopK: options.samplingTopK,
    rank: options.rank,
  };
  if (options.backend === 'llama.cpp') {
    const { LlamaCppModel } = await import('@trbench/backend-llama-cpp');
    const device = options.device ?? 'auto';
    if (!['auto', 'cuda', 'vulkan', 'cpu'].includes(device))
      throw new TrbenchError(`unknown llama.cpp device ${JSON.stringify(device)}: expected auto, cuda, vulkan or cpu`);
    const gpu = device === 'cpu' ? false : (device as 'auto' | 'cuda' | 'vulkan');
    return { model: await LlamaCppModel.open({ ...common, gpu }), resolved };
  }
  const { OnnxModel } = await import('@trbench/backend-onnx');
  const device = options.device ?? 'cpu';
  if (!['cpu', 'webgpu', 'cuda'].includes(device))
    throw new TrbenchError(`unknown onnx device ${JSON.stringify(device)}: expected cpu, webgpu or cuda`);
  return { model: await OnnxModel.open({ ...common, executionProvider: device as 'cpu' | 'webgpu' | 'cuda' }), resolved };
}
