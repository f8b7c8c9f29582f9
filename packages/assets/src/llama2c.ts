import { TrbenchError } from '@trbench/core';
import { EXTRA_STOP_TOKENS_KEY } from './gguf-metadata.ts';
import { encodeGguf, type GgufTensor, type GgufValue } from './gguf-writer.ts';

/** Header of a llama2.c legacy checkpoint. */
export interface Llama2cConfig {
  dim: number;
  hiddenDim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  vocabSize: number;
  seqLen: number;
  /** The output layer reuses the token embedding (vocab_size > 0 in the header). */
  sharedClassifier: boolean;
}

export interface Llama2cTokenizer {
  maxTokenLength: number;
  pieces: string[];
  scores: Float32Array;
}

/** Parses the 7-int32 header of a llama2.c legacy `.bin` checkpoint. */
export function readLlama2cConfig(bytes: Buffer, file: string): Llama2cConfig {
  if (bytes.length < 28) throw new TrbenchError(`${file}: too short for a llama2.c checkpoint (${bytes.length} bytes)`);
  const h = Array.from({ length: 7 }, (_, i) => bytes.readInt32LE(i * 4));
  const [dim, hiddenDim, layers, heads, kvHeads, vocabRaw, seqLen] = h;
  const bad = h.some((v, i) => i !== 5 && (v <= 0 || v > 1 << 20)) || vocabRaw === 0;
  if (bad || dim % heads !== 0 || heads % kvHeads !== 0) {
    throw new TrbenchError(`${file}: not a llama2.c checkpoint (header ${h.join(', ')})`);
  }
  return { dim, hiddenDim, layers, heads, kvHeads, vocabSize: Math.abs(vocabRaw), seqLen, sharedClassifier: vocabRaw > 0 };
}

/** Parses a llama2.c `tokenizer.bin`: max length, then per token a float score, an int32 length and the bytes. */
export function readLlama2cTokenizer(bytes: Buffer, vocabSize: number, file: string): Llama2cTokenizer {
  const pieces: string[] = [];
  const scores = new Float32Array(vocabSize);
  let off = 4;
  if (bytes.length < 4) throw new TrbenchError(`${file}: too short for a llama2.c tokenizer`);
  const maxTokenLength = bytes.readInt32LE(0);
  for (let i = 0; i < vocabSize; i++) {
    if (off + 8 > bytes.length) throw new TrbenchError(`${file}: ends after ${i} of ${vocabSize} tokens`);
    scores[i] = bytes.readFloatLE(off);
    const len = bytes.readInt32LE(off + 4);
    off += 8;
    if (len < 0 || off + len > bytes.length) throw new TrbenchError(`${file}: token ${i} has a bad length ${len}`);
    pieces.push(bytes.toString('utf8', off, off + len));
    off += len;
  }
  if (off !== bytes.length)
    throw new TrbenchError(`${file}: ${bytes.length - off} trailing bytes after ${vocabSize} tokens (vocabulary size mismatch?)`);
  return { maxTokenLength, pieces, scores };
}

/** BOS of llama2.c tokenizers; run.c stops generating when the model emits it. */
const LLAMA2C_BOS = 1;

const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, BYTE: 6 } as const;

/**
 * Converts a llama2.c checkpoint and tokenizer to a GGUF file that llama.cpp loads, following the
 * semantics of llama.cpp's convert-llama2c-to-ggml (see shared docs/stories260K.md §5): F32 tensors, no
 * Q/K permutation (llama2.c already uses the adjacent-pair RoPE llama.cpp expects), tied embeddings
 * expressed by omitting `output.weight`, and the real training context length. The file also carries
 * the stop rule of llama2.c's run.c, which ends a sample when the model emits BOS (the story delimiter of
 * its training data), as `trbench.extra_stop_token_ids` = [1]: every command that opens the file, by
 * name or by path, then stops at the same tokens.
 */
export function convertLlama2cToGguf(
  checkpoint: Buffer,
  tokenizer: Buffer,
  name: string,
  files = { checkpoint: 'checkpoint', tokenizer: 'tokenizer' },
): Buffer {
  const cfg = readLlama2cConfig(checkpoint, files.checkpoint);
  const tok = readLlama2cTokenizer(tokenizer, cfg.vocabSize, files.tokenizer);
  const { dim, hiddenDim, layers, heads, kvHeads, vocabSize, seqLen } = cfg;
  const headSize = dim / heads;
  const kvDim = kvHeads * headSize;
  const sizes = {
    embedding: vocabSize * dim,
    rmsAtt: layers * dim,
    wq: layers * dim * dim,
    wk: layers * kvDim * dim,
    wv: layers * kvDim * dim,
    wo: layers * dim * dim,
    rmsFfn: layers * dim,
    w1: layers * hiddenDim * dim,
    w2: layers * dim * hiddenDim,
    w3: layers * hiddenDim * dim,
    rmsFinal: dim,
    freqCis: seqLen * headSize,
    wcls: cfg.sharedClassifier ? 0 : vocabSize * dim,
  };
  const totalFloats = Object.values(sizes).reduce((a, b) => a + b, 0);
  const expectedBytes = 28 + totalFloats * 4;
  if (checkpoint.length !== expectedBytes) {
    throw new TrbenchError(
      `${files.checkpoint}: ${checkpoint.length} bytes, but its header (${[dim, hiddenDim, layers, heads, kvHeads, vocabSize, seqLen].join(', ')}) implies ${expectedBytes}`,
    );
  }
  const floats = new Float32Array(totalFloats);
  Buffer.from(floats.buffer).set(checkpoint.subarray(28));
  let cursor = 0;
  const take = (n: number) => {
    const a = floats.subarray(cursor, cursor + n);
    cursor += n;
    return a;
  };
  const embedding = take(sizes.embedding);
  const rmsAtt = take(sizes.rmsAtt);
  const wq = take(sizes.wq);
  const wk = take(sizes.wk);
  const wv = take(sizes.wv);
  const wo = take(sizes.wo);
  const rmsFfn = take(sizes.rmsFfn);
  const w1 = take(sizes.w1);
  const w2 = take(sizes.w2);
  const w3 = take(sizes.w3);
  const rmsFinal = take(sizes.rmsFinal);
  take(sizes.freqCis);
  const wcls = take(sizes.wcls);

  const layer = (all: Float32Array, l: number, n: number) => all.slice(l * n, (l + 1) * n);
  const tensors: GgufTensor[] = [
    { name: 'token_embd.weight', shape: [vocabSize, dim], data: embedding.slice() },
    { name: 'output_norm.weight', shape: [dim], data: rmsFinal.slice() },
  ];
  if (!cfg.sharedClassifier) tensors.push({ name: 'output.weight', shape: [vocabSize, dim], data: wcls.slice() });
  for (let l = 0; l < layers; l++) {
    tensors.push(
      { name: `blk.${l}.attn_norm.weight`, shape: [dim], data: layer(rmsAtt, l, dim) },
      { name: `blk.${l}.attn_q.weight`, shape: [dim, dim], data: layer(wq, l, dim * dim) },
      { name: `blk.${l}.attn_k.weight`, shape: [kvDim, dim], data: layer(wk, l, kvDim * dim) },
      { name: `blk.${l}.attn_v.weight`, shape: [kvDim, dim], data: layer(wv, l, kvDim * dim) },
      { name: `blk.${l}.attn_output.weight`, shape: [dim, dim], data: layer(wo, l, dim * dim) },
      { name: `blk.${l}.ffn_norm.weight`, shape: [dim], data: layer(rmsFfn, l, dim) },
      { name: `blk.${l}.ffn_gate.weight`, shape: [hiddenDim, dim], data: layer(w1, l, hiddenDim * dim) },
      { name: `blk.${l}.ffn_down.weight`, shape: [dim, hiddenDim], data: layer(w2, l, dim * hiddenDim) },
      { name: `blk.${l}.ffn_up.weight`, shape: [hiddenDim, dim], data: layer(w3, l, hiddenDim * dim) },
    );
  }

  const tokens: string[] = [];
  const types: number[] = [];
  for (let i = 0; i < vocabSize; i++) {
    const piece = tok.pieces[i];
    if (i === 0) {
      tokens.push('<unk>');
      types.push(TOKEN_TYPE.UNKNOWN);
    } else if (i === 1) {
      tokens.push('<s>');
      types.push(TOKEN_TYPE.CONTROL);
    } else if (i === 2) {
      tokens.push('</s>');
      types.push(TOKEN_TYPE.CONTROL);
    } else if (/^<0x[0-9A-Fa-f]{2}>$/.test(piece)) {
      tokens.push(piece);
      types.push(TOKEN_TYPE.BYTE);
    } else {
      tokens.push(piece.replaceAll(' ', '\u2581'));
      types.push(TOKEN_TYPE.NORMAL);
    }
  }

  const metadata: Array<[string, GgufValue]> = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: name }],
    ['general.file_type', { type: 'u32', value: 0 }],
    ['llama.context_length', { type: 'u32', value: seqLen }],
    ['llama.embedding_length', { type: 'u32', value: dim }],
    ['llama.feed_forward_length', { type: 'u32', value: hiddenDim }],
    ['llama.block_count', { type: 'u32', value: layers }],
    ['llama.attention.head_count', { type: 'u32', value: heads }],
    ['llama.attention.head_count_kv', { type: 'u32', value: kvHeads }],
    ['llama.rope.dimension_count', { type: 'u32', value: headSize }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: 1e-5 }],
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: tokens }],
    ['tokenizer.ggml.scores', { type: 'f32[]', value: tok.scores }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: types }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: 1 }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: 2 }],
    ['tokenizer.ggml.unknown_token_id', { type: 'u32', value: 0 }],
    [EXTRA_STOP_TOKENS_KEY, { type: 'i32[]', value: [LLAMA2C_BOS] }],
  ];
  return encodeGguf(metadata, tensors);
}
