import type { Draft } from '@trbench/core';

/**
 * Encodes a draft's visibility as llama.cpp sequence-id sets.
 *
 * llama.cpp lets batch token i attend to a KV cell c when `seq_id[i][0]` is one of c's sequence ids and
 * `pos(c) <= pos(i)`. So each node gets an "own" sequence (its first id) and carries the own sequences of
 * every node that sees it.
 *
 * Trees use one sequence per leaf (a node's own sequence is that of its first child, recursively), as
 * llama.cpp's speculative example does: 40 sequences for TR's 81-node tree. Other patterns give every node
 * its own sequence and are checked for what llama.cpp requires: a node may only see nodes at positions
 * <= its own, and each sequence's positions must be contiguous from the root. The root's sequence is
 * always 0, the trunk that holds the committed prefix.
 */
export class SeqEncoder {
  readonly capacity: number;
  readonly words: number;
  /** Own (first) sequence id per node. */
  readonly own: Int32Array;
  /** Per-node bitset of sequence ids the node's KV belongs to. */
  readonly sets: Uint32Array;
  /** Sequences used by the last encoding: ids 0..seqCount-1. */
  seqCount = 0;
  private readonly lastParent: Int32Array;
  private lastCount = -1;
  private readonly scratch: Int32Array;

  constructor(capacity: number, maxSequences: number) {
    this.capacity = capacity;
    this.words = (maxSequences + 31) >>> 5;
    this.own = new Int32Array(capacity);
    this.sets = new Uint32Array(capacity * this.words);
    this.lastParent = new Int32Array(capacity);
    this.scratch = new Int32Array(capacity);
  }

  /** Largest sequence count `encode` may need for drafts of `nodes` nodes. */
  static sequencesNeeded(nodes: number): number {
    return nodes;
  }

  /** Number of sequence ids of node i (its set size). */
  countOf(i: number): number {
    let n = 0;
    const base = i * this.words;
    for (let w = 0; w < this.words; w++) {
      let x = this.sets[base + w];
      while (x !== 0) {
        x &= x - 1;
        n++;
      }
    }
    return n;
  }

  /**
   * Fills `own`, `sets` and `seqCount` for the draft. Throws when the pattern cannot be expressed.
   * Tree drafts with the same shape as the previous call reuse the previous encoding.
   */
  encode(draft: Draft): void {
    const n = draft.count;
    if (draft.isTree) {
      if (n === this.lastCount && this.sameShape(draft)) return;
      this.encodeTree(draft);
      this.lastCount = n;
      this.lastParent.set(draft.parent.subarray(0, n));
    } else {
      this.lastCount = -1;
      this.encodeGeneral(draft);
    }
  }

  private sameShape(draft: Draft): boolean {
    const p = draft.parent;
    const q = this.lastParent;
    for (let i = 0; i < draft.count; i++) if (p[i] !== q[i]) return false;
    return true;
  }

  private encodeTree(draft: Draft): void {
    const n = draft.count;
    const words = this.words;
    const own = this.own;
    const sets = this.sets;
    const leafSeq = this.scratch;
    // Leaves in draft order get 1, 2, ...; the leaf reached from the root by first children becomes 0.
    let leaves = 0;
    for (let i = 0; i < n; i++) leafSeq[i] = draft.firstChild[i] < 0 ? ++leaves : -1;
    if (leaves > words * 32) throw new Error(`draft has ${leaves} leaves but the context was created for ${words * 32} sequences`);
    for (let i = n - 1; i >= 0; i--) own[i] = draft.firstChild[i] < 0 ? leafSeq[i] : own[draft.firstChild[i]];
    const rootSeq = own[0];
    for (let i = 0; i < n; i++) {
      // Renumber: rootSeq -> 0, and leaves numbered above it shift down to keep ids dense (0..leaves-1).
      const s = own[i];
      own[i] = s === rootSeq ? 0 : s < rootSeq ? s : s - 1;
    }
    sets.fill(0, 0, n * words);
    for (let i = n - 1; i >= 0; i--) {
      const s = own[i];
      sets[i * words + (s >>> 5)] |= 1 << (s & 31);
      const p = draft.parent[i];
      if (p >= 0) for (let w = 0; w < words; w++) sets[p * words + w] |= sets[i * words + w];
    }
    this.seqCount = leaves;
  }

  private encodeGeneral(draft: Draft): void {
    const n = draft.count;
    if (n > this.words * 32) throw new Error(`a non-tree draft of ${n} nodes needs ${n} sequences; the context has ${this.words * 32}`);
    const words = this.words;
    const own = this.own;
    const sets = this.sets;
    sets.fill(0, 0, n * words);
    for (let u = 0; u < n; u++) own[u] = u;
    const depth = draft.depth;
    for (let u = 0; u < n; u++) {
      for (let j = 0; j <= u; j++) {
        if (!draft.sees(u, j)) continue;
        if (depth[j] > depth[u]) throw new Error(`node ${u} (position +${depth[u]}) cannot see node ${j} at a later position +${depth[j]}`);
        sets[j * words + (u >>> 5)] |= 1 << (u & 31);
      }
    }
    // llama.cpp requires each sequence's positions in the batch to be contiguous.
    const seen = this.scratch;
    for (let u = 0; u < n; u++) {
      seen.fill(0, 0, depth[u] + 1);
      for (let j = 0; j <= u; j++) if (draft.sees(u, j)) seen[depth[j]] = 1;
      for (let d = 0; d <= depth[u]; d++) {
        if (seen[d] === 0) throw new Error(`node ${u} sees no node at position +${d}; llama.cpp needs contiguous positions per sequence`);
      }
    }
    this.seqCount = n;
  }
}
