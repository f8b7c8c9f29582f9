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
