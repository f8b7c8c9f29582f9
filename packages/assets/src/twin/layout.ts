import type { LlamaShape } from '../model-spec.ts';

/**
 * Where stories260K's weights go in a twin (the construction of issue 11):
 * - residual dims 0..D0-1 carry the real stream and every other residual dim stays exactly zero: the
 *   token embedding and every matrix writing the residual (attn_output, ffn_down) are zero there;
 * - RMSNorm over D dims instead of D0: eps' = eps·D0/D and real norm weights × √(D0/D) keep it exact;
 * - real query head i keeps its pairing with real KV head ⌊i/2⌋ under the twin's grouping g = H/KV:
 *   g = 1 → twin head i, whose own KV head holds a copy of real KV head ⌊i/2⌋; g ≥ 2 → twin head
 *   ⌊i/2⌋·g + i mod 2, sharing twin KV head ⌊i/2⌋;
 * - within a head, real RoPE pair p goes to twin pair p·h/h0 (same frequency θ^(−2p/h0)); the other k
 *   dims of real KV heads are zero, so q·k is exact; real q rows × √(h/h0) restore the 1/√h0 scale;
 * - real FFN units keep their weights; the rest of the FFN, extra heads and extra layers are random
 *   except where they would reach the residual (their attn_output / ffn_down columns are zero);
 * - matrices reading the residual may hold anything in columns ≥ D0 (those inputs are zero), so real
 *   rows there are random too: a twin's rows look like an LLM's except where exactness needs zeros.
 */
export class TwinLayout {
  readonly head: number;
  readonly srcHead: number;
  readonly group: number;
  /** RoPE pair stretch h/h0. */
  readonly stretch: number;

  constructor(
    readonly shape: LlamaShape,
    readonly src: LlamaShape,
  ) {
    this.head = shape.dim / shape.heads;
    this.srcHead = src.dim / src.heads;
    this.group = shape.heads / shape.kvHeads;
    this.stretch = this.head / this.srcHead;
  }

  /** Twin head of real query head i. */
  twinHead(i: number): number {
    const srcGroup = this.src.heads / this.src.kvHeads;
    if (this.group === 1) return i;
    return Math.floor(i / srcGroup) * this.group + (i % srcGroup);
  }

  /** Real query head at twin head t, or −1. */
  realHead(t: number): number {
    const srcGroup = this.src.heads / this.src.kvHeads;
    if (this.group === 1) return t < this.src.heads ? t : -1;
    const k = Math.floor(t / this.group);
    const w = t % this.group;
    return k < this.src.kvHeads && w < srcGroup ? k * srcGroup + w : -1;
  }

  /** Real KV head held by twin KV head j, or −1. */
  realKvHead(j: number): number {
    const srcGroup = this.src.heads / this.src.kvHeads;
    if (this.group === 1) return j < this.src.heads ? Math.floor(j / srcGroup) : -1;
    return j < this.src.kvHeads ? j : -1;
  }

  /** Twin dim (within a head) of real head dim d: pair p → pair p·stretch, same parity. */
  twinDim(d: number): number {
    return 2 * (d >> 1) * this.stretch + (d & 1);
  }

  /** Real head dim at twin head dim e, or −1. */
  realDim(e: number): number {
    const pair = e >> 1;
    if (pair % this.stretch !== 0) return -1;
    const p = pair / this.stretch;
    return p < this.srcHead / 2 ? 2 * p + (e & 1) : -1;
  }

  /** Scale of real norm weights: √(D0/D). */
  get normScale(): number {
    return Math.sqrt(this.src.dim / this.shape.dim);
  }

  /** Scale of real q rows: √(h/h0). */
  get queryScale(): number {
    return Math.sqrt(this.stretch);
  }

  /** One past the last attn_output column holding a real weight. */
  get attnOutputRealCols(): number {
    let end = 0;
    for (let i = 0; i < this.src.heads; i++) end = Math.max(end, this.twinHead(i) * this.head + this.twinDim(this.srcHead - 1) + 1);
    return end;
  }
}

/** The logit of the extra tokens of a wide twin where stories260K's final RMS scale s₀ is 1 (s₀ lies in 0.40–1.03 on the story suite). */
export const EXTRA_TOKEN_LOGIT = -2000;

/**
 * How a wide twin (vocabulary V > stories260K's 512) keeps its extra tokens out of every result, with an
 * untied LM head `output.weight` ([V, D]) and no change to the real tokens' logits. llama's LM head has no
 * bias and reads an RMS-normed vector whose real dims may take any sign, so a logit far below all others
 * needs an input that is always the same: a constant channel, hence a spare residual dim (width ≥ 96:
 * a whole spare block of 32 for the block types):
 * - the constant channel: the last residual dim c = D−1 (a spare dim, zero in a narrow twin) holds a
 *   constant ε in every token's embedding. Nothing writes it (attn_output and ffn_down rows ≥ D0 are
 *   zero) and nothing reads it: every matrix reading the residual has column c zero (for Q8_0/Q4_0 the
 *   whole last block of 32 columns, so the spare block quantizes on its own);
 * - ε is invisible to every RMSNorm: in an f32 twin ε = 2^-100, whose square underflows to exactly 0 in
 *   f32 (ggml, ONNX Runtime and CUDA all square in f32), so every norm's mean, hence every real value,
 *   is bit-for-bit a narrow twin's; F16 stores ε = 2^-24 (its least subnormal) and Q8_0 embeddings
 *   127·2^-24 (block scale 2^-24): squares of 2^-48 and 2^-34 beside a mean square of order 1, below
 *   f32's rounding, in twins whose weights are rounded anyway;
 * - only the output norm amplifies it: its weight at c is G = √(D0/D)/ε, so the normed output holds
 *   y_c = s·√(D0/D), stories260K's own final RMS scale s₀ (the real dims of y are s₀ times fixed vectors);
 * - real rows of the LM head are stories260K's (tied) embedding in columns 0..D0−1, random in the other
 *   spare dims (whose y is exactly 0) and zero at c, so the real logits are the narrow twin's; the row of
 *   an extra token is random, like an LLM's, except W = {@link EXTRA_TOKEN_LOGIT} at c: its logit is
 *   W·s₀ plus a random term of order 1, about −810 to −2050 on the story suite (s₀ in 0.40–1.03), at
 *   least ~780 below every real logit. So no extra token reaches any top-k (k ≤ 512), and exp(extra − max)
 *   is exactly 0 in f32 (from −104 on) and in f64 (from −746 on): no log-sum-exp changes;
 * - other types: F16 holds W exactly; a Q8_0 block [0, …, 0, W] stores d = W/127 in F16 (relative error
 *   ≤ 2^-11) and ggml quantizes the activation block [0, …, 0, y_c] the same way; Q4_0 twins keep
 *   token_embd and output.weight in Q8_0 (as llama.cpp's quantizer does). Their real logits move with
 *   the rounded weights anyway; the extra logits stayed below −800 where measured, and
 *   the tests check exp(extra − top) = 0 on both backends.
 * The extra tokens' GGUF vocabulary entries are `[PAD<id>]`, type UNUSED (llama.cpp's converter pads
 * vocabularies the same way): llama.cpp's SPM tokenizer merges only adjacent pieces whose concatenation is
 * a token, and no split of `[PAD<id>]` is made of tokens, so no text tokenizes to them.
 */
export class ConstantChannel {
  /** The residual dim carrying the constant. */
  readonly column: number;
  /** The constant ε each token embedding holds at {@link column} (exactly representable in `embdType`). */
  readonly epsilon: number;
  /** Output-norm weight at {@link column}: √(D0/D)/ε. */
  readonly outputNormWeight: number;
  /** LM-head weight of the extra tokens at {@link column}. */
  readonly headWeight = EXTRA_TOKEN_LOGIT;

  constructor(layout: TwinLayout, embdType: 'f32' | 'f16' | 'q8_0') {
    this.column = layout.shape.dim - 1;
    this.epsilon = embdType === 'f32' ? 2 ** -100 : embdType === 'f16' ? 2 ** -24 : 127 * 2 ** -24;
    this.outputNormWeight = Math.fround(layout.normScale / this.epsilon);
  }
}
