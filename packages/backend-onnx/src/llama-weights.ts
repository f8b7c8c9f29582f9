import { TrbenchError } from '@trbench/core';
import type { GgufFile } from './gguf-reader.ts';

/** Hyperparameters of a llama-architecture GGUF, with llama.cpp's defaults applied. */
export interface LlamaConfig {
  vocabSize: number;
  /** Embedding width (`n_embd`). */
  dim: number;
  /** FFN hidden width (`n_ff`). */
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  rmsEps: number;
  /** Training context length. */
  contextLength: number;
  ropeBase: number;
  /** Linear RoPE scaling as llama.cpp's `freq_scale` (1 = none). */
  ropeFreqScale: number;
  /** Score scale; llama.cpp's default is 1/√headDim. */
  attentionScale: number;
}

/** Weights of one decoder block, row-major `[out, in]` as stored in GGUF (ne reversed). */
export interface LlamaLayer {
  attnNorm: Float32Array;
  wq: Float32Array;
  wk: Float32Array;
  wv: Float32Array;
  wo: Float32Array;
  bq: Float32Array | null;
  bk: Float32Array | null;
  bv: Float32Array | null;
  bo: Float32Array | null;
  ffnNorm: Float32Array;
  wGate: Float32Array;
  wUp: Float32Array;
  wDown: Float32Array;
}

export interface LlamaWeights {
  config: LlamaConfig;
  /** `[vocab, dim]`. */
  tokenEmbedding: Float32Array;
  outputNorm: Float32Array;
  /** `[vocab, dim]`; null when tied to the token embedding (no `output.weight`). */
  output: Float32Array | null;
  /** llama3-style per-frequency divisors (`rope_freqs.weight`), or null. */
  ropeFreqFactors: Float32Array | null;
  layers: LlamaLayer[];
}

/** Reads the hyperparameters, refusing what the ONNX graph does not implement. */
export function readLlamaConfig(file: GgufFile): LlamaConfig {
  const arch = file.string('general.architecture');
  if (arch !== 'llama') {
    throw new TrbenchError(
      `${file.path}: architecture ${JSON.stringify(arch ?? null)} is not supported by the onnx backend (expected "llama")`,
    );
  }
  const k = (key: string) => `llama.${key}`;
  if (file.number(k('expert_count'), 0) > 0)
    throw new TrbenchError(`${file.path}: mixture-of-experts llama models are not supported by the onnx backend`);
  const hiddenRaw = file.get(k('feed_forward_length'));
  if (Array.isArray(hiddenRaw) || ArrayBuffer.isView(hiddenRaw))
    throw new TrbenchError(`${file.path}: per-layer ${k('feed_forward_length')} is not supported by the onnx backend`);
  const dim = file.number(k('embedding_length'));
  const heads = file.number(k('attention.head_count'));
  const kvHeads = file.number(k('attention.head_count_kv'), heads);
  const headDim = file.number(k('attention.key_length'), dim / heads);
  const valueDim = file.number(k('attention.value_length'), headDim);
  const ropeDims = file.number(k('rope.dimension_count'), headDim);
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new TrbenchError(`${file.path}: head size ${headDim} must be an even integer`);
  if (valueDim !== headDim)
    throw new TrbenchError(`${file.path}: value head size ${valueDim} differs from key head size ${headDim}; not supported`);
  if (ropeDims !== headDim)
    throw new TrbenchError(
      `${file.path}: ${k('rope.dimension_count')} = ${ropeDims}, expected the head size ${headDim} (llama rotates whole heads)`,
    );
  if (kvHeads < 1 || heads % kvHeads !== 0) throw new TrbenchError(`${file.path}: ${heads} query heads cannot share ${kvHeads} KV heads`);

  let freqScale = 1;
  const scaling = file.string(k('rope.scaling.type'));
  if (scaling === 'linear') freqScale = 1 / file.number(k('rope.scaling.factor'));
  else if (scaling !== undefined && scaling !== 'none')
    throw new TrbenchError(`${file.path}: RoPE scaling ${JSON.stringify(scaling)} is not supported by the onnx backend (none or linear)`);
  else if (file.get(k('rope.scale_linear')) !== undefined) freqScale = 1 / file.number(k('rope.scale_linear'));

  const embd = file.tensor('token_embd.weight');
  if (!embd) throw new TrbenchError(`${file.path}: tensor token_embd.weight is missing`);
  const attnScale = file.number(k('attention.scale'), 0);
  return {
    vocabSize: embd.ne[1],
    dim,
    hidden: file.number(k('feed_forward_length')),
    layers: file.number(k('block_count')),
    heads,
    kvHeads,
    headDim,
    rmsEps: file.number(k('attention.layer_norm_rms_epsilon')),
    contextLength: file.number(k('context_length')),
    ropeBase: file.number(k('rope.freq_base'), 10000),
    ropeFreqScale: freqScale,
    attentionScale: attnScale === 0 ? 1 / Math.sqrt(headDim) : attnScale,
  };
}

/** Reads every tensor the llama graph needs, as float32; errors name the missing or mismatched tensor. */
export function readLlamaWeights(file: GgufFile): LlamaWeights {
  const c = readLlamaConfig(file);
  const { dim, hidden, vocabSize: V } = c;
  const q = c.heads * c.headDim;
  const kv = c.kvHeads * c.headDim;
  const optional = (name: string, ne: number[]) => (file.tensor(name) ? file.readTensor(name, ne) : null);
  const layers: LlamaLayer[] = [];
  for (let l = 0; l < c.layers; l++) {
    const b = `blk.${l}`;
    if (file.tensor(`${b}.attn_qkv.weight`))
      throw new TrbenchError(`${file.path}: fused ${b}.attn_qkv.weight is not supported by the onnx backend`);
    layers.push({
      attnNorm: file.readTensor(`${b}.attn_norm.weight`, [dim]),
      wq: file.readTensor(`${b}.attn_q.weight`, [dim, q]),
      wk: file.readTensor(`${b}.attn_k.weight`, [dim, kv]),
      wv: file.readTensor(`${b}.attn_v.weight`, [dim, kv]),
      wo: file.readTensor(`${b}.attn_output.weight`, [q, dim]),
      bq: optional(`${b}.attn_q.bias`, [q]),
      bk: optional(`${b}.attn_k.bias`, [kv]),
      bv: optional(`${b}.attn_v.bias`, [kv]),
      bo: optional(`${b}.attn_output.bias`, [dim]),
      ffnNorm: file.readTensor(`${b}.ffn_norm.weight`, [dim]),
      wGate: file.readTensor(`${b}.ffn_gate.weight`, [dim, hidden]),
      wUp: file.readTensor(`${b}.ffn_up.weight`, [dim, hidden]),
      wDown: file.readTensor(`${b}.ffn_down.weight`, [hidden, dim]),
    });
    for (const extra of ['ffn_gate.bias', 'ffn_up.bias', 'ffn_down.bias']) {
      if (file.tensor(`${b}.${extra}`))
        throw new TrbenchError(`${file.path}: tensor ${b}.${extra} (MLP bias) is not supported by the onnx backend`);
    }
  }
  return {
    config: c,
    tokenEmbedding: file.readTensor('token_embd.weight', [dim, V]),
    outputNorm: file.readTensor('output_norm.weight', [dim]),
    output: optional('output.weight', [dim, V]),
    ropeFreqFactors: optional('rope_freqs.weight', [c.headDim / 2]),
    layers,
  };
}
