import { TrbenchError } from '@trbench/core';
import { setMetadata } from '../derived.ts';
import { type GgufHeader, readTensorF32 } from '../gguf-read.ts';
import type { ChunkSink, StreamTensor } from '../gguf-stream.ts';
import type { GgufValue } from '../gguf-writer.ts';
import { isKQuant, type LlamaShape, STORIES260K_SHAPE, STORIES260K_VOCAB, type TwinSpec } from '../model-spec.ts';
import { blockSize, encodeValues, FILE_TYPE, GGML_TYPE, type GgmlTypeId, tensorTypeFor, typeBytes } from '../quantize.ts';
import { ConstantChannel, TwinLayout } from './layout.ts';
import { TWIN_SEED, Xoshiro128, zeroBlock } from './random.ts';

/** Bumped whenever the bytes a twin spec produces change, so stale cache files are not reused. */
export const TWIN_VERSION = 1;

const RANDOM = 0;
const ZERO = 1;
const CUSTOM = 2;

/** What each row of a matrix holds: random, zero, or a prefix of given values followed by a random or zero tail. */
interface RowPlan {
  rows: number;
  cols: number;
  kind(r: number): number;
  /** Length of the prefix of CUSTOM rows (a multiple of the block size, at most `cols`). */
  prefixLen: number;
  /** Writes row r's prefix into `out` (zeroed beforehand). */
  prefix(r: number, out: Float32Array): void;
  tailRandom: boolean;
  /** Length of a block of given values closing every row (0: none), written after the random or zero middle. */
  suffixLen?: number;
  /** Writes row r's suffix into `out` (zeroed beforehand). */
  suffix?(r: number, out: Float32Array): void;
}

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

function planWriter(name: string, type: GgmlTypeId, plan: RowPlan): (sink: ChunkSink) => void {
  const blk = blockSize(type);
  const blkBytes = typeBytes(type, blk);
  const zero = zeroBlock(type);
  const prefix = new Float32Array(plan.prefixLen);
  const prefixBytes = typeBytes(type, plan.prefixLen);
  const suffixLen = plan.suffixLen ?? 0;
  const suffix = new Float32Array(suffixLen);
  const suffixBytes = typeBytes(type, suffixLen);
  return (sink) => {
    const rng = new Xoshiro128(TWIN_SEED, name);
    const span = (random: boolean, elements: number) => {
      while (elements > 0) {
        const o = sink.reserve(blkBytes);
        const n = Math.min(elements, Math.floor(sink.available() / blkBytes) * blk);
        let bytes: number;
        if (random) bytes = rng.fill(type, sink.buf, o, n);
        else {
          bytes = typeBytes(type, n);
          if (blk === 1) sink.buf.fill(0, o, o + bytes);
          else for (let b = 0; b < bytes; b += blkBytes) sink.buf.set(zero, o + b);
        }
        sink.advance(bytes);
        elements -= n;
      }
    };
    const custom = (len: number, bytes: number, values: Float32Array) => {
      const o = sink.reserve(bytes);
      encodeValues(type, values, 0, len, sink.buf, o);
      sink.advance(bytes);
    };
    if (suffixLen > 0) {
      // Row by row: prefix (CUSTOM rows), random or zero middle, then the suffix.
      for (let r = 0; r < plan.rows; r++) {
        const k = plan.kind(r);
        let start = 0;
        if (k === CUSTOM) {
          prefix.fill(0);
          plan.prefix(r, prefix);
          custom(plan.prefixLen, prefixBytes, prefix);
          start = plan.prefixLen;
        }
        span(k === CUSTOM ? plan.tailRandom : k === RANDOM, plan.cols - start - suffixLen);
        suffix.fill(0);
        plan.suffix?.(r, suffix);
        custom(suffixLen, suffixBytes, suffix);
      }
      return;
    }
    let r = 0;
    while (r < plan.rows) {
      const k = plan.kind(r);
      if (k === CUSTOM) {
        prefix.fill(0);
        plan.prefix(r, prefix);
        const o = sink.reserve(prefixBytes);
        encodeValues(type, prefix, 0, plan.prefixLen, sink.buf, o);
        sink.advance(prefixBytes);
        span(plan.tailRandom, plan.cols - plan.prefixLen);
        r++;
        continue;
      }
      let end = r + 1;
      while (end < plan.rows && plan.kind(end) === k) end++;
      span(k === RANDOM, (end - r) * plan.cols);
      r = end;
    }
  };
}

/** llama.cpp's token type UNUSED (`LLAMA_TOKEN_TYPE_UNUSED`). */
const TOKEN_TYPE_UNUSED = 5;

/**
 * The source's vocabulary padded to `vocab` tokens with `[PAD<id>]` entries of type UNUSED and score
 * −1000, as llama.cpp's converter pads a vocabulary to its model's size.
 */
function unusedTokens(source: GgufHeader, vocab: number): Array<[string, GgufValue]> {
  const get = (key: string) => {
    const v = source.metadata.get(key);
    if (!v) throw new TrbenchError(`${source.path}: metadata key ${key} is missing`);
    return v;
  };
  const tokens = get('tokenizer.ggml.tokens');
  const scores = get('tokenizer.ggml.scores');
  const types = get('tokenizer.ggml.token_type');
  if (tokens.type !== 'string[]' || scores.type !== 'f32[]' || types.type !== 'i32[]')
    throw new TrbenchError(`${source.path}: the tokenizer's tokens, scores or token types have an unexpected type`);
  const n = tokens.value.length;
  const extra = vocab - n;
  return [
    ['tokenizer.ggml.tokens', { type: 'string[]', value: [...tokens.value, ...Array.from({ length: extra }, (_, i) => `[PAD${n + i}]`)] }],
    ['tokenizer.ggml.scores', { type: 'f32[]', value: [...Array.from(scores.value), ...new Array<number>(extra).fill(-1000)] }],
    [
      'tokenizer.ggml.token_type',
      { type: 'i32[]', value: [...Array.from(types.value), ...new Array<number>(extra).fill(TOKEN_TYPE_UNUSED)] },
    ],
  ];
}

function sourceShape(header: GgufHeader): LlamaShape {
  const u32 = (key: string) => {
    const v = header.metadata.get(key);
    if (v?.type !== 'u32') throw new TrbenchError(`${header.path}: metadata key ${key} is missing or not a u32`);
    return v.value;
  };
  return {
    dim: u32('llama.embedding_length'),
    layers: u32('llama.block_count'),
    heads: u32('llama.attention.head_count'),
    kvHeads: u32('llama.attention.head_count_kv'),
    ffn: u32('llama.feed_forward_length'),
  };
}

/**
 * The tensors and metadata of a twin of `source` (the stories260K GGUF) at `spec`'s shape and type.
 * Tensors are produced lazily, row by row, when written.
 */
export function buildTwin(
  spec: TwinSpec,
  source: GgufHeader,
  info: { extraStopTokens: number[]; sourceSha256: string },
): { metadata: Array<[string, GgufValue]>; tensors: StreamTensor[] } {
  const src = sourceShape(source);
  if (JSON.stringify(src) !== JSON.stringify(STORIES260K_SHAPE))
    throw new TrbenchError(
      `${source.path}: a twin source must have stories260K's shape ${JSON.stringify(STORIES260K_SHAPE)}, got ${JSON.stringify(src)}`,
    );
  const { shape } = spec;
  const wtype = spec.type;
  if (isKQuant(wtype))
    throw new TrbenchError(`${spec.name}: K-quant twins are quantised from the F16 twin by libllama (resolveTwin), not built here`);
  const L = new TwinLayout(shape, src);
  const h = L.head;
  const h0 = L.srcHead;
  const D0 = src.dim;
  const F0 = src.ffn;
  const fr = Math.fround;
  const tensors: StreamTensor[] = [];
  const add = (name: string, rowsCols: [number, number] | [number], plan: Omit<RowPlan, 'rows' | 'cols'>) => {
    const type = tensorTypeFor(name, rowsCols, wtype);
    const rows = rowsCols.length === 2 ? rowsCols[0] : 1;
    const cols = rowsCols[rowsCols.length - 1];
    tensors.push({ name, shape: rowsCols, type, write: planWriter(name, type, { rows, cols, ...plan }) });
  };
  const blkOf = (name: string, shape2: number[]) => blockSize(tensorTypeFor(name, shape2, wtype));
  const read = (name: string) => readTensorF32(source, name);
  const allZero = { kind: () => ZERO, prefixLen: 0, prefix: () => {}, tailRandom: false };
  const V = shape.vocab;
  const wide = V > STORIES260K_VOCAB;
  const embdType = tensorTypeFor('token_embd.weight', [V, shape.dim], wtype);
  const channel = wide ? new ConstantChannel(L, embdType === GGML_TYPE.F32 ? 'f32' : embdType === GGML_TYPE.F16 ? 'f16' : 'q8_0') : null;
  /** In a wide twin, every row of a matrix reading the residual ends in zeros over the constant channel's block. */
  const closed = (name: string, rowsCols: [number, number]) => (channel ? { suffixLen: blkOf(name, rowsCols), suffix: () => {} } : {});
  const norm = (name: string, real: Float32Array | null, constant = 1) =>
    add(name, [shape.dim], {
      kind: () => CUSTOM,
      prefixLen: shape.dim,
      prefix: (_r, out) => {
        out.fill(1);
        if (real) for (let c = 0; c < D0; c++) out[c] = fr(real[c] * L.normScale);
        if (channel) out[channel.column] = constant;
      },
      tailRandom: false,
    });
  /** Rows of a matrix reading the residual: real rows get the source row in columns 0..D0-1, random after. */
  const readsResidual = (name: string, rows: number, srcRowOf: (r: number) => number, srcData: Float32Array | null, scale = 1) => {
    add(name, [rows, shape.dim], {
      kind: (r) => (srcData && srcRowOf(r) !== -1 ? CUSTOM : RANDOM),
      prefixLen: roundUp(D0, blkOf(name, [rows, shape.dim])),
      prefix: (r, out) => {
        const s = srcRowOf(r);
        if (s >= 0 && srcData) for (let c = 0; c < D0; c++) out[c] = scale === 1 ? srcData[s * D0 + c] : fr(srcData[s * D0 + c] * scale);
      },
      tailRandom: true,
      ...closed(name, [rows, shape.dim]),
    });
  };

  const embd = read('token_embd.weight');
  const srcVocab = embd.length / D0;
  if (srcVocab !== STORIES260K_VOCAB)
    throw new TrbenchError(`${source.path}: a twin source must have stories260K's ${STORIES260K_VOCAB} tokens, got ${srcVocab}`);
  // Extra tokens (wide twins) get random embeddings: they are never input.
  add('token_embd.weight', [V, shape.dim], {
    kind: (r) => (r < srcVocab ? CUSTOM : RANDOM),
    prefixLen: roundUp(D0, blkOf('token_embd.weight', [V, shape.dim])),
    prefix: (r, out) => out.set(embd.subarray(r * D0, (r + 1) * D0)),
    tailRandom: false,
    ...(channel && {
      suffixLen: blockSize(embdType),
      suffix: (_r: number, out: Float32Array) => {
        out[out.length - 1] = channel.epsilon;
      },
    }),
  });
  norm('output_norm.weight', read('output_norm.weight'), channel?.outputNormWeight);
  if (channel) {
    // The untied LM head: real rows read the real dims (stories260K's tied embedding), extra rows the constant.
    const dims: [number, number] = [V, shape.dim];
    add('output.weight', dims, {
      kind: (r) => (r < srcVocab ? CUSTOM : RANDOM),
      prefixLen: roundUp(D0, blkOf('output.weight', dims)),
      prefix: (r, out) => out.set(embd.subarray(r * D0, (r + 1) * D0)),
      tailRandom: true,
      suffixLen: blkOf('output.weight', dims),
      suffix: (r, out) => {
        if (r >= srcVocab) out[out.length - 1] = channel.headWeight;
      },
    });
  }

  const qRows = shape.heads * h;
  const kvRows = shape.kvHeads * h;
  // Extra layers (l ≥ 5) have no source data: random q, k, v, gate and up, zero attn_output and ffn_down.
  for (let l = 0; l < shape.layers; l++) {
    const b = `blk.${l}`;
    const real = l < src.layers;
    const t = (n: string) => (real ? read(`${b}.${n}.weight`) : null);
    norm(`${b}.attn_norm.weight`, t('attn_norm'));
    // q: rows of real heads at real dims; other dims of real heads may be random (their k dims are zero).
    readsResidual(
      `${b}.attn_q.weight`,
      qRows,
      (r) => {
        const i = L.realHead(Math.floor(r / h));
        const d = L.realDim(r % h);
        return i >= 0 && d >= 0 ? i * h0 + d : -1;
      },
      t('attn_q'),
      L.queryScale,
    );
    // k: twin KV heads holding a real KV head have zero rows (in columns 0..D0-1) at the unused dims.
    const wk = t('attn_k');
    add(`${b}.attn_k.weight`, [kvRows, shape.dim], {
      kind: (r) => (wk && L.realKvHead(Math.floor(r / h)) >= 0 ? CUSTOM : RANDOM),
      prefixLen: roundUp(D0, blkOf(`${b}.attn_k.weight`, [kvRows, shape.dim])),
      prefix: (r, out) => {
        const k = L.realKvHead(Math.floor(r / h));
        const d = L.realDim(r % h);
        if (wk && d >= 0) out.set(wk.subarray((k * h0 + d) * D0, (k * h0 + d + 1) * D0));
      },
      tailRandom: true,
      ...closed(`${b}.attn_k.weight`, [kvRows, shape.dim]),
    });
    readsResidual(
      `${b}.attn_v.weight`,
      kvRows,
      (r) => {
        const k = L.realKvHead(Math.floor(r / h));
        const d = L.realDim(r % h);
        return k >= 0 && d >= 0 ? k * h0 + d : -1;
      },
      t('attn_v'),
    );
    // attn_output writes the residual: real rows hold the real weights at the real heads' columns, zero elsewhere.
    const wo = t('attn_output');
    if (wo) {
      const outCols = shape.dim;
      const blk = blkOf(`${b}.attn_output.weight`, [shape.dim, outCols]);
      add(`${b}.attn_output.weight`, [shape.dim, outCols], {
        kind: (r) => (r < D0 ? CUSTOM : ZERO),
        prefixLen: Math.min(outCols, roundUp(L.attnOutputRealCols, blk)),
        prefix: (r, out) => {
          for (let i = 0; i < src.heads; i++) for (let d = 0; d < h0; d++) out[L.twinHead(i) * h + L.twinDim(d)] = wo[r * D0 + i * h0 + d];
        },
        tailRandom: false,
      });
    } else add(`${b}.attn_output.weight`, [shape.dim, shape.dim], allZero);
    norm(`${b}.ffn_norm.weight`, t('ffn_norm'));
    readsResidual(`${b}.ffn_gate.weight`, shape.ffn, (r) => (r < F0 ? r : -1), t('ffn_gate'));
    const down = t('ffn_down');
    if (down) {
      add(`${b}.ffn_down.weight`, [shape.dim, shape.ffn], {
        kind: (r) => (r < D0 ? CUSTOM : ZERO),
        prefixLen: Math.min(shape.ffn, roundUp(F0, blkOf(`${b}.ffn_down.weight`, [shape.dim, shape.ffn]))),
        prefix: (r, out) => out.set(down.subarray(r * F0, (r + 1) * F0)),
        tailRandom: false,
      });
    } else add(`${b}.ffn_down.weight`, [shape.dim, shape.ffn], allZero);
    readsResidual(`${b}.ffn_up.weight`, shape.ffn, (r) => (r < F0 ? r : -1), t('ffn_up'));
  }

  const eps = source.metadata.get('llama.attention.layer_norm_rms_epsilon');
  if (eps?.type !== 'f32') throw new TrbenchError(`${source.path}: llama.attention.layer_norm_rms_epsilon is missing`);
  const keep = [...source.metadata.entries()].filter(([k]) => k.startsWith('tokenizer.') || k === 'general.architecture');
  if (wide) keep.splice(0, keep.length, ...setMetadata(keep, unusedTokens(source, V)));
  const ctx = source.metadata.get('llama.context_length');
  const ropeBase = source.metadata.get('llama.rope.freq_base');
  const metadata = setMetadata(keep, [
    ['general.name', { type: 'string', value: spec.name }],
    ['general.file_type', { type: 'u32', value: FILE_TYPE[wtype] }],
    ['llama.context_length', ctx ?? { type: 'u32', value: 512 }],
    ['llama.embedding_length', { type: 'u32', value: shape.dim }],
    ['llama.feed_forward_length', { type: 'u32', value: shape.ffn }],
    ['llama.block_count', { type: 'u32', value: shape.layers }],
    ['llama.attention.head_count', { type: 'u32', value: shape.heads }],
    ['llama.attention.head_count_kv', { type: 'u32', value: shape.kvHeads }],
    ['llama.rope.dimension_count', { type: 'u32', value: h }],
    ...(ropeBase ? [['llama.rope.freq_base', ropeBase] as [string, GgufValue]] : []),
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: fr((eps.value * D0) / shape.dim) }],
    ['trbench.extra_stop_token_ids', { type: 'i32[]', value: info.extraStopTokens }],
    ['trbench.twin.shape', { type: 'string', value: spec.shapeString }],
    ['trbench.twin.source_sha256', { type: 'string', value: info.sourceSha256 }],
    ['trbench.twin.version', { type: 'u32', value: TWIN_VERSION }],
    ['trbench.twin.seed', { type: 'u32', value: TWIN_SEED }],
  ]);
  // Put general.* first and the tokenizer after the hyperparameters, as llama.cpp's converters do.
  const rank = (k: string) => (k.startsWith('general.') ? 0 : k.startsWith('llama.') ? 1 : k.startsWith('tokenizer.') ? 2 : 3);
  metadata.sort((a, b) => rank(a[0]) - rank(b[0]));
  return { metadata, tensors };
}
