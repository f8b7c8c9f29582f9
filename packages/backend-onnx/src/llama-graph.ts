import { type Attr, ElemType, float, GraphBuilder, int, ints } from './graph-builder.ts';
import type { LlamaWeights } from './llama-weights.ts';
import { ropeTables } from './rope.ts';

/**
 * Names of the decoder graph's inputs and outputs. Shapes use `n` (new tokens this forward), `past`
 * (committed tokens whose K/V are fed back) and `total` = past + n.
 */
export const IO = {
  /** int32 [n] */
  tokens: 'tokens',
  /** int32 [n]: absolute positions (RoPE). */
  positions: 'positions',
  /** float32 [n, total]: additive attention mask over [past, new] (0 = attend, -inf = not). */
  mask: 'mask',
  /** float32 [1, past, kvHeads·headDim] per layer: RoPE'd keys / values of the committed tokens, token-major. */
  pastK: (layer: number) => `past_k_${layer}`,
  pastV: (layer: number) => `past_v_${layer}`,
  /** float32 [1, n, kvHeads·headDim] per layer: keys / values of the new tokens, same layout as the past. */
  newK: (layer: number) => `new_k_${layer}`,
  newV: (layer: number) => `new_v_${layer}`,
  /** int32 [n, k]: token ids, best first (ORT's TopK: equal values keep the lower index first). */
  topIds: 'top_ids',
  /** float32 [n, k]: raw logits of `top_ids`. */
  topLogits: 'top_logits',
  /** float32 [n]: log Σ exp(logits) per row. */
  logSumExp: 'log_sum_exp',
  /** float32 [n, vocab]: raw logits (debug/tests; fetched only on request). */
  logits: 'logits',
} as const;

/**
 * How attention is expressed. `op`: the ai.onnx Attention operator (opset 23) with grouped-query heads and
 * the additive mask; one node per layer. `decomposed`: MatMul → scale → + mask → Softmax → MatMul written
 * out in this file, the form to edit when experimenting with the attention itself. Both take the same mask.
 */
export type AttentionForm = 'op' | 'decomposed';

export interface LlamaGraphOptions {
  /** Width of the in-graph TopK (clamped to the vocabulary). */
  topK: number;
  /** Rows of the RoPE tables: positions must stay below it. */
  maxPositions: number;
  /** Default `op`. */
  attention?: AttentionForm;
}

/** `[out_i, in]` row-major matrices → one `[in, Σ out_i]` matrix (MatMul's right operand). */
function transposeConcat(mats: Float32Array[], inDim: number): Float32Array {
  const outs = mats.map((m) => m.length / inDim);
  const total = outs.reduce((a, b) => a + b, 0);
  const t = new Float32Array(inDim * total);
  let col = 0;
  mats.forEach((m, mi) => {
    const rows = outs[mi];
    for (let o = 0; o < rows; o++) for (let i = 0; i < inDim; i++) t[i * total + col + o] = m[o * inDim + i];
    col += rows;
  });
  return t;
}

/**
 * Builds the llama decoder as an ONNX model (ai.onnx opset 23, fp32): embedding → blocks of RMSNorm,
 * fused Q/K/V projection, RoPE in llama.cpp's adjacent-pair layout (RotaryEmbedding, interleaved),
 * grouped-query attention under the caller's additive mask, SwiGLU MLP → final norm → logits → TopK and
 * log-sum-exp. The mask is an input, so any visibility pattern (trees, Lookahead windows) runs in one
 * forward. The residual stream is `[1, n, dim]`.
 */
export function buildLlamaGraph(w: LlamaWeights, options: LlamaGraphOptions): Uint8Array {
  const c = w.config;
  const g = new GraphBuilder();
  const H = c.heads;
  const KV = c.kvHeads;
  const hd = c.headDim;
  const qDim = H * hd;
  const kvDim = KV * hd;
  const k = Math.min(options.topK, c.vocabSize);
  const decomposed = options.attention === 'decomposed';

  const tokens = g.input(IO.tokens, ElemType.INT32, ['n']);
  const positions = g.input(IO.positions, ElemType.INT32, ['n']);
  const mask = g.input(IO.mask, ElemType.FLOAT, ['n', 'total']);

  const embedding = g.initializer('token_embd', w.tokenEmbedding, [c.vocabSize, c.dim]);
  const { cos, sin } = ropeTables(options.maxPositions, hd, c.ropeBase, c.ropeFreqScale, w.ropeFreqFactors);
  const cosCache = g.initializer('rope_cos', cos, [options.maxPositions, hd / 2]);
  const sinCache = g.initializer('rope_sin', sin, [options.maxPositions, hd / 2]);
  const positionIds = g.node('Unsqueeze', [g.node('Cast', [positions], { to: int(ElemType.INT64) }), g.int64s([0])]);
  // interleaved = rotate adjacent pairs (x[2i], x[2i+1]): ggml's GGML_ROPE_TYPE_NORMAL, used by llama.
  const rope = (x: string, heads: number) =>
    g.node('RotaryEmbedding', [x, cosCache, sinCache, positionIds], { interleaved: int(1), num_heads: int(heads) });
  const rmsNorm = (x: string, weight: Float32Array, name: string) =>
    g.node('RMSNormalization', [x, g.initializer(name, weight, [c.dim])], { axis: int(-1), epsilon: float(c.rmsEps) });
  const linear = (x: string, name: string, mats: Float32Array[], inDim: number, bias: Float32Array | null) => {
    const wt = transposeConcat(mats, inDim);
    const y = g.node('MatMul', [x, g.initializer(name, wt, [inDim, wt.length / inDim])]);
    return bias ? g.node('Add', [y, g.initializer(`${name}.bias`, bias, [bias.length])]) : y;
  };
  const attention = decomposed ? decomposedAttention(g, c.kvHeads, H / KV, hd, c.attentionScale) : null;
  const attnAttrs: Record<string, Attr> = { q_num_heads: int(H), kv_num_heads: int(KV), scale: float(c.attentionScale) };

  let x = g.node('Unsqueeze', [g.node('Gather', [embedding, tokens]), g.int64s([0])]);
  for (let l = 0; l < c.layers; l++) {
    const L = w.layers[l];
    const p = `blk${l}`;
    const h = rmsNorm(x, L.attnNorm, `${p}.attn_norm`);
    const qkvBias = L.bq || L.bk || L.bv ? concatBias([L.bq, L.bk, L.bv], [qDim, kvDim, kvDim]) : null;
    const qkv = linear(h, `${p}.wqkv`, [L.wq, L.wk, L.wv], c.dim, qkvBias);
    const [q0, k0, v] = g.nodeN('Split', [qkv, g.int64s([qDim, kvDim, kvDim])], 3, { axis: int(2) });
    const q = rope(q0, H);
    const kNew = rope(k0, KV);
    g.output(kNew, IO.newK(l), ElemType.FLOAT, [1, 'n', kvDim]);
    g.output(v, IO.newV(l), ElemType.FLOAT, [1, 'n', kvDim]);
    const kAll = g.node('Concat', [g.input(IO.pastK(l), ElemType.FLOAT, [1, 'past', kvDim]), kNew], { axis: int(1) });
    const vAll = g.node('Concat', [g.input(IO.pastV(l), ElemType.FLOAT, [1, 'past', kvDim]), v], { axis: int(1) });
    const ctx = attention ? attention(q, kAll, vAll, mask) : g.node('Attention', [q, kAll, vAll, mask], attnAttrs);
    x = g.node('Add', [x, linear(ctx, `${p}.wo`, [L.wo], qDim, L.bo)]);

    const f = rmsNorm(x, L.ffnNorm, `${p}.ffn_norm`);
    const [gate, up] = g.nodeN('Split', [linear(f, `${p}.w_gate_up`, [L.wGate, L.wUp], c.dim, null)], 2, {
      axis: int(2),
      num_outputs: int(2),
    });
    const act = g.node('Mul', [g.node('Mul', [gate, g.node('Sigmoid', [gate])]), up]);
    x = g.node('Add', [x, linear(act, `${p}.w_down`, [L.wDown], c.hidden, null)]);
  }
  // The output projection reads the (possibly tied) [vocab, dim] matrix in place: Gemm with transB.
  const outWeight = w.output ? g.initializer('output', w.output, [c.vocabSize, c.dim]) : embedding;
  const final = g.node('Reshape', [rmsNorm(x, w.outputNorm, 'output_norm'), g.int64s([-1, c.dim])]);
  addPredictionHead(g, g.node('Gemm', [final, outWeight], { transB: int(1) }), c.vocabSize, k);
  return g.build('trbench-llama');
}

function concatBias(parts: (Float32Array | null)[], sizes: number[]): Float32Array {
  const out = new Float32Array(sizes.reduce((a, b) => a + b, 0));
  let o = 0;
  parts.forEach((b, i) => {
    if (b) out.set(b, o);
    o += sizes[i];
  });
  return out;
}

/**
 * softmax(q·kᵀ·scale + mask)·v with grouped-query heads, from q [1, n, heads·hd] and k, v [1, total, kv·hd]:
 * query head h uses KV head ⌊h/group⌋, computed as [kv, group, n, hd] × [kv, 1, hd, total] (broadcast).
 */
function decomposedAttention(g: GraphBuilder, kvHeads: number, group: number, hd: number, scale: number) {
  const scaleValue = g.scalar(scale);
  const kvShape = g.int64s([-1, kvHeads, 1, hd]);
  return (q: string, k: string, v: string, mask: string): string => {
    const qT = g.node('Transpose', [g.node('Reshape', [q, g.int64s([-1, kvHeads, group, hd])])], { perm: ints([1, 2, 0, 3]) });
    const kT = g.node('Transpose', [g.node('Reshape', [k, kvShape])], { perm: ints([1, 2, 3, 0]) });
    const vT = g.node('Transpose', [g.node('Reshape', [v, kvShape])], { perm: ints([1, 2, 0, 3]) });
    const scores = g.node('Add', [g.node('Mul', [g.node('MatMul', [qT, kT]), scaleValue]), mask]);
    const ctx = g.node('MatMul', [g.node('Softmax', [scores], { axis: int(-1) }), vT]);
    return g.node('Reshape', [g.node('Transpose', [ctx], { perm: ints([2, 0, 1, 3]) }), g.int64s([1, -1, kvHeads * group * hd])]);
  };
}

/**
 * Outputs of every row of `logits` [n, vocab]: the raw logits, the top-k ids (int32) and logits, and the
 * log-sum-exp. ORT's CPU TopK orders equal values by ascending index, which is the project's tie rule
 * (checked by llama-graph.test.ts against `rankLogitsRow`).
 */
export function addPredictionHead(g: GraphBuilder, logits: string, vocab: number, k: number): void {
  g.output(logits, IO.logits, ElemType.FLOAT, ['n', vocab]);
  const [values, indices] = g.nodeN('TopK', [logits, g.int64s([k])], 2, { axis: int(-1), largest: int(1), sorted: int(1) });
  g.output(values, IO.topLogits, ElemType.FLOAT, ['n', k]);
  g.output(g.node('Cast', [indices], { to: int(ElemType.INT32) }), IO.topIds, ElemType.INT32, ['n', k]);
  g.output(g.node('ReduceLogSumExp', [logits, g.int64s([-1])], { keepdims: int(0) }), IO.logSumExp, ElemType.FLOAT, ['n']);
}
