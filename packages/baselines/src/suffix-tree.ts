import type { TokenReader } from './token-reader.ts';

const ROOT = 0;
const EMPTY = -1;

/** Options of one speculation (ArcticInference `SuffixTree::speculate`). */
export interface SpeculateOptions {
  /** Most draft tokens. */
  maxSpecTokens: number;
  /** α: at most ⌊α·matchLength + offset⌋ tokens are drafted from a match. */
  alpha: number;
  offset: number;
  /** Stop growing a branch when its estimated probability falls below this. */
  minTokenProb: number;
  /** true: best-first tree; false: the single most frequent path. */
  tree: boolean;
}

/** A speculation: tokens with draft-relative parents (-1 = under the root), probabilities and score. */
export class SuffixDraft {
  readonly tokens: Int32Array;
  readonly parents: Int32Array;
  readonly probs: Float64Array;
  count = 0;
  /** Sum of the probabilities (float32 arithmetic, as the reference). */
  score = 0;
  /** Length of the context suffix that was matched. */
  matchLength = 0;

  constructor(capacity: number) {
    this.tokens = new Int32Array(capacity);
    this.parents = new Int32Array(capacity);
    this.probs = new Float64Array(capacity);
  }

  clear(): void {
    this.count = 0;
    this.score = 0;
    this.matchLength = 0;
  }

  push(token: number, parent: number, prob: number): number {
    const i = this.count++;
    this.tokens[i] = token;
    this.parents[i] = parent;
    this.probs[i] = prob;
    this.score = Math.fround(this.score + prob);
    return i;
  }
}

/**
 * A depth-limited, path-compressed suffix tree over a set of token sequences, with occurrence counts —
 * SuffixDecoding's data structure (ArcticInference `csrc/suffix_decoding/suffix_tree.cc`), written anew.
 *
 * Every position j of a sequence starts a suffix that is inserted for at most `maxDepth` tokens. A node's
 * `count` is the number of such suffixes that pass through or end in it, i.e. the number of occurrences
 * of its string (strings up to `maxDepth` tokens). Node edges are runs of tokens referenced into a stored
 * sequence (`refSeq`, `refIdx`, `len`); no suffix ever ends inside a node (nodes are split first), so the
 * count is constant along an edge, and a child's count is kept strictly below its parent's (runs shared
 * by every suffix through a node are one node), which bounds the tree by 2·(stored tokens)+1 nodes.
 * Appending a token touches the <= maxDepth suffixes still growing (the "active" ones) in O(1) each.
 *
 * Sequences can be removed (the global cache's FIFO eviction): counts along each of their suffixes drop,
 * nodes reaching zero are freed and a node left with one equal-count child is folded into it. Nodes that
 * survive may still reference the removed tokens, which stay allocated until no node references them.
 *
 * Storage: struct-of-arrays in Int32Arrays and an open-addressing (parent, token) → child table, all
 * grown by doubling (amortised); nothing is allocated per append or per speculation.
 */
export class SuffixTree {
  readonly maxDepth: number;
  // Nodes.
  private count = new Int32Array(0);
  private tok = new Int32Array(0);
  private len = new Int32Array(0);
  private refSeq = new Int32Array(0);
  private refIdx = new Int32Array(0);
  private parent = new Int32Array(0);
  private firstChild = new Int32Array(0);
  private nextSibling = new Int32Array(0);
  private prevSibling = new Int32Array(0);
  private highWater = 0;
  private freeNode = EMPTY;
  /** Nodes in use, root included. */
  liveNodes = 0;
  // (parent, token) → child, linear probing.
  private hParent = new Int32Array(0);
  private hToken = new Int32Array(0);
  private hChild = new Int32Array(0);
  private hMask = 0;
  private hUsed = 0;
  // Sequences: token storage, live flag, number of nodes referencing it.
  private seqTokens: (Int32Array | null)[] = [];
  private seqLen: number[] = [];
  private seqRefs: number[] = [];
  private seqAlive: boolean[] = [];
  private freeSeqs: number[] = [];
  // Active (growing) suffixes of open sequences: ring buffers of node ids.
  private readonly active = new Map<number, { nodes: Int32Array; head: number; size: number }>();
  // Speculation scratch.
  private draftA: SuffixDraft;
  private draftB: SuffixDraft;
  private heapProb = new Float64Array(64);
  private heapNode = new Int32Array(64);
  private heapIdx = new Int32Array(64);
  private heapParent = new Int32Array(64);
  private heapDepth = new Int32Array(64);
  private heapToken = new Int32Array(64);
  private heapSize = 0;
  private matchNode = 0;
  private matchIdx = 0;
  private stack = new Int32Array(64);

  constructor(maxDepth: number, maxSpecTokens = maxDepth) {
    if (!Number.isInteger(maxDepth) || maxDepth < 1) throw new RangeError(`suffix tree max depth must be an integer >= 1, got ${maxDepth}`);
    this.maxDepth = maxDepth;
    this.draftA = new SuffixDraft(maxSpecTokens);
    this.draftB = new SuffixDraft(maxSpecTokens);
    this.growNodes(1024);
    this.growHash(2048);
    this.clear();
  }

  /** Removes every sequence and node (keeps the buffers). */
  clear(): void {
    this.highWater = 1;
    this.freeNode = EMPTY;
    this.liveNodes = 1;
    this.initNode(ROOT, 0, 0, -1, 0, EMPTY);
    this.count[ROOT] = 0;
    this.hParent.fill(EMPTY);
    this.hUsed = 0;
    this.seqTokens = [];
    this.seqLen = [];
    this.seqRefs = [];
    this.seqAlive = [];
    this.freeSeqs = [];
    this.active.clear();
  }

  /** Number of occurrences of `s` (as counted by the tree: strings of at most `maxDepth` tokens). */
  occurrences(s: ArrayLike<number>): number {
    if (s.length === 0) return this.count[ROOT];
    const reader = { at: (i: number) => s[i] };
    return this.match(reader, 0, s.length) ? this.count[this.matchNode] : 0;
  }

  /** Number of sequences stored (open, closed, not removed). */
  get sequenceCount(): number {
    let n = 0;
    for (const alive of this.seqAlive) if (alive) n++;
    return n;
  }

  /** Starts a new, empty sequence and returns its id. */
  openSequence(): number {
    const id = this.freeSeqs.length > 0 ? (this.freeSeqs.pop() as number) : this.seqTokens.length;
    this.seqTokens[id] = new Int32Array(64);
    this.seqLen[id] = 0;
    this.seqRefs[id] = 0;
    this.seqAlive[id] = true;
    this.active.set(id, { nodes: new Int32Array(this.maxDepth), head: 0, size: 0 });
    return id;
  }

  /** Ends appends to a sequence (its suffixes stop growing). */
  closeSequence(seq: number): void {
    this.active.delete(seq);
  }

  /** Appends `reader[from .. to)` to an open sequence. */
  extend(seq: number, reader: TokenReader, from: number, to: number): void {
    for (let i = from; i < to; i++) this.append(seq, reader.at(i) as number);
  }

  /** Appends one token to an open sequence. */
  append(seq: number, token: number): void {
    const act = this.active.get(seq);
    if (!act) throw new Error(`suffix tree sequence ${seq} is not open`);
    let store = this.seqTokens[seq] as Int32Array;
    const pos = this.seqLen[seq];
    if (pos === store.length) {
      const grown = new Int32Array(store.length * 2);
      grown.set(store);
      this.seqTokens[seq] = store = grown;
    }
    store[pos] = token;
    this.seqLen[seq] = pos + 1;
    // A new suffix starts at the root; the oldest one stops once it holds maxDepth tokens.
    const cap = this.maxDepth;
    if (act.size === cap) {
      act.head = (act.head + 1) % cap;
      act.size--;
    }
    act.nodes[(act.head + act.size) % cap] = ROOT;
    act.size++;
    this.count[ROOT]++;
    for (let k = 0; k < act.size; k++) {
      const slot = (act.head + k) % cap;
      act.nodes[slot] = this.extendSuffix(act.nodes[slot], seq, pos, token);
    }
  }

  /** Removes a sequence: its suffixes no longer count, and nodes left with no occurrence are freed. */
  removeSequence(seq: number): void {
    if (!this.seqAlive[seq]) throw new Error(`suffix tree sequence ${seq} does not exist`);
    this.active.delete(seq);
    this.seqAlive[seq] = false;
    const toks = this.seqTokens[seq] as Int32Array;
    const L = this.seqLen[seq];
    for (let j = 0; j < L; j++) {
      const limit = Math.min(L - j, this.maxDepth);
      this.count[ROOT]--;
      let node = ROOT;
      let consumed = 0;
      while (consumed < limit) {
        const c = this.findChild(node, toks[j + consumed]);
        if (c < 0) throw new Error('suffix tree is inconsistent: a suffix of a removed sequence is missing');
        this.count[c]--;
        consumed += this.len[c];
        if (this.count[c] === 0) {
          this.deleteSubtree(c);
          break;
        }
        node = c;
      }
      this.mergeWithOnlyChild(node);
    }
    if (this.seqRefs[seq] === 0) this.releaseSeq(seq);
  }

  /**
   * After a removal the last node a suffix reached may have lost its only endpoint or a child, leaving one
   * child with the same count: fold it into that child, as the reference does, so the tree stays linear.
   * No suffix ends at such a node, so no active suffix points at it.
   */
  private mergeWithOnlyChild(x: number): void {
    if (x === ROOT) return;
    const c = this.firstChild[x];
    if (c < 0 || this.nextSibling[c] >= 0 || this.count[c] !== this.count[x]) return;
    const p = this.parent[x];
    this.hashDelete(x, this.tok[c]);
    this.replaceChild(p, x, c);
    this.hashSet(p, this.tok[x], c);
    // c's reference is an occurrence of its whole root path, so x's run sits right before it.
    this.tok[c] = this.tok[x];
    this.len[c] += this.len[x];
    this.refIdx[c] -= this.len[x];
    this.parent[c] = p;
    this.freeOne(x);
  }

  /**
   * SuffixDecoding's speculation on this tree. For match lengths m = 1, 2, ... while the last m tokens of
   * `context[0..end)` occur in the tree (and m < min(end, maxDepth)), a draft of at most
   * min(maxSpecTokens, ⌊α·m + offset⌋) tokens is grown from the match; the best score wins, the longer
   * match on ties. Returns a buffer owned by the tree (valid until its next `speculate`).
   *
   * Tree mode grows best-first from a priority queue of positions: popping one drafts its token, then
   * queues the next token of the run with the same probability or, at the end of a node, every child whose
   * probability p·count(child)/count(node) is >= minTokenProb. Equal probabilities pop shallower first, then
   * by earlier parent, then lower token id (the reference leaves such ties to its heap). Path mode follows
   * the most frequent child (lowest token id on ties) while the probability stays >= minTokenProb.
   * Probabilities and scores use float32 arithmetic as the reference does.
   */
  speculate(context: TokenReader, end: number, o: SpeculateOptions): SuffixDraft {
    let best = this.draftA;
    let cur = this.draftB;
    best.clear();
    const ctxLen = Math.min(end, this.maxDepth);
    const minProb = Math.fround(o.minTokenProb);
    for (let m = 1; m < ctxLen; m++) {
      if (!this.match(context, end - m, end)) break;
      const maxTokens = Math.max(0, Math.min(o.maxSpecTokens, Math.floor(m * o.alpha + o.offset + 1e-6), cur.tokens.length));
      cur.clear();
      if (o.tree) this.speculateTree(this.matchNode, this.matchIdx, maxTokens, minProb, cur);
      else this.speculatePath(this.matchNode, this.matchIdx, maxTokens, minProb, cur);
      if (cur.score >= best.score) {
        cur.matchLength = m;
        const t = best;
        best = cur;
        cur = t;
      }
    }
    this.draftA = best;
    this.draftB = cur;
    return best;
  }

  // ---- speculation internals ----

  /** Walks `context[from..to)` from the root; sets matchNode/matchIdx (tokens consumed in that node). */
  private match(context: TokenReader, from: number, to: number): boolean {
    let node = ROOT;
    let idx = 0;
    let ref: Int32Array | null = null;
    let base = 0;
    for (let i = from; i < to; i++) {
      const t = context.at(i) as number;
      if (idx >= this.len[node]) {
        const c = this.findChild(node, t);
        if (c < 0) return false;
        node = c;
        ref = this.seqTokens[this.refSeq[c]];
        base = this.refIdx[c];
        idx = 0;
      }
      if ((ref as Int32Array)[base + idx] !== t) return false;
      idx++;
    }
    this.matchNode = node;
    this.matchIdx = idx;
    return true;
  }

  private speculatePath(node: number, idx: number, maxTokens: number, minProb: number, out: SuffixDraft): void {
    let prob = 1;
    while (out.count < maxTokens && prob >= minProb) {
      if (idx < this.len[node]) {
        const token = (this.seqTokens[this.refSeq[node]] as Int32Array)[this.refIdx[node] + idx];
        out.push(token, out.count - 1, prob);
        idx++;
      } else {
        const child = this.bestChild(node);
        if (child < 0) break;
        if (this.count[child] !== this.count[node])
          prob = Math.fround(prob * Math.fround(Math.fround(this.count[child]) / Math.fround(this.count[node])));
        node = child;
        idx = 0;
      }
    }
  }

  private speculateTree(node: number, idx: number, maxTokens: number, minProb: number, out: SuffixDraft): void {
    this.heapSize = 0;
    this.pushNext(node, idx, 1, -1, 1, minProb);
    while (out.count < maxTokens && this.heapSize > 0) {
      const prob = this.heapProb[0];
      const n = this.heapNode[0];
      const i = this.heapIdx[0];
      const par = this.heapParent[0];
      const depth = this.heapDepth[0];
      const token = this.heapToken[0];
      this.heapPop();
      const at = out.push(token, par, prob);
      this.pushNext(n, i + 1, prob, at, depth + 1, minProb);
    }
  }

  /**
   * Queues what may follow position `idx` of `node`: the next token of the run with the same probability,
   * or at the run's end every child with p·count(child)/count(node) >= minProb. Expanding children as
   * soon as a run ends (the reference waits for the end marker to be popped) only changes the order of
   * equal-probability items, and the heap's total order makes that order independent of how runs are
   * split into nodes.
   */
  private pushNext(node: number, idx: number, prob: number, parent: number, depth: number, minProb: number): void {
    if (idx < this.len[node]) {
      const token = (this.seqTokens[this.refSeq[node]] as Int32Array)[this.refIdx[node] + idx];
      this.heapPush(prob, node, idx, parent, depth, token);
      return;
    }
    const n = this.count[node];
    const total = Math.fround(n);
    for (let c = this.firstChild[node]; c >= 0; c = this.nextSibling[c]) {
      // An equal count means the run just continues (a boundary left by a removal): no rounding step.
      const p = this.count[c] === n ? prob : Math.fround(Math.fround(prob * Math.fround(this.count[c])) / total);
      if (p >= minProb) this.heapPush(p, c, 0, parent, depth, this.tok[c]);
    }
  }

  /** Child with the highest count (lowest token id on ties), or -1. */
  private bestChild(node: number): number {
    let best = EMPTY;
    for (let c = this.firstChild[node]; c >= 0; c = this.nextSibling[c]) {
      if (best < 0 || this.count[c] > this.count[best] || (this.count[c] === this.count[best] && this.tok[c] < this.tok[best])) best = c;
    }
    return best;
  }

  /** Whether heap item a pops before b: higher probability, then shallower, then earlier parent, then lower token. */
  private heapBefore(pa: number, da: number, ja: number, ta: number, b: number): boolean {
    const pb = this.heapProb[b];
    if (pa !== pb) return pa > pb;
    const db = this.heapDepth[b];
    if (da !== db) return da < db;
    const jb = this.heapParent[b];
    if (ja !== jb) return ja < jb;
    return ta < this.heapToken[b];
  }

  private heapPush(prob: number, node: number, idx: number, parent: number, depth: number, token: number): void {
    if (this.heapSize === this.heapProb.length) this.growHeap();
    let i = this.heapSize++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.heapBefore(prob, depth, parent, token, p)) break;
      this.heapMove(p, i);
      i = p;
    }
    this.heapSet(i, prob, node, idx, parent, depth, token);
  }

  private heapPop(): void {
    const last = --this.heapSize;
    if (last === 0) return;
    const prob = this.heapProb[last];
    const node = this.heapNode[last];
    const idx = this.heapIdx[last];
    const parent = this.heapParent[last];
    const depth = this.heapDepth[last];
    const token = this.heapToken[last];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= last) break;
      const r = l + 1;
      const c = r < last && this.heapBefore(this.heapProb[r], this.heapDepth[r], this.heapParent[r], this.heapToken[r], l) ? r : l;
      if (!this.heapBefore(this.heapProb[c], this.heapDepth[c], this.heapParent[c], this.heapToken[c], last)) break;
      this.heapMove(c, i);
      i = c;
    }
    this.heapSet(i, prob, node, idx, parent, depth, token);
  }

  private heapSet(i: number, prob: number, node: number, idx: number, parent: number, depth: number, token: number): void {
    this.heapProb[i] = prob;
    this.heapNode[i] = node;
    this.heapIdx[i] = idx;
    this.heapParent[i] = parent;
    this.heapDepth[i] = depth;
    this.heapToken[i] = token;
  }

  private heapMove(from: number, to: number): void {
    this.heapSet(
      to,
      this.heapProb[from],
      this.heapNode[from],
      this.heapIdx[from],
      this.heapParent[from],
      this.heapDepth[from],
      this.heapToken[from],
    );
  }

  private growHeap(): void {
    const n = this.heapProb.length * 2;
    const grow = <T extends Int32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.heapProb = grow(this.heapProb);
    this.heapNode = grow(this.heapNode);
    this.heapIdx = grow(this.heapIdx);
    this.heapParent = grow(this.heapParent);
    this.heapDepth = grow(this.heapDepth);
    this.heapToken = grow(this.heapToken);
  }

  // ---- structure internals ----

  /**
   * Extends the suffix that ends at node `u` by `token` (stored at `pos` of `seq`) and returns its new end
   * node. The cases keep every child's count strictly below its parent's, as the reference does, so
   * shared runs stay one node:
   * - `u` holds this suffix alone (count 1): lengthen `u` (re-pointed at this sequence);
   * - every other suffix through `u` continues into the child for `token` (count(u) = count(child)+1):
   *   `u` absorbs the child's first token, or fuses with a one-token child;
   * - otherwise step into the child (split it after its first token if it is longer), or add a leaf.
   */
  private extendSuffix(u: number, seq: number, pos: number, token: number): number {
    if (u !== ROOT && this.count[u] === 1) {
      this.setRef(u, seq, pos - this.len[u]);
      this.len[u]++;
      return u;
    }
    const c = this.findChild(u, token);
    if (c < 0) {
      const leaf = this.allocNode();
      this.initNode(leaf, token, 1, seq, pos, u);
      this.count[leaf] = 1;
      this.seqRefs[seq]++;
      this.linkChild(u, leaf);
      this.hashInsert(u, token, leaf);
      return leaf;
    }
    if (u !== ROOT && this.count[u] === this.count[c] + 1) {
      if (this.len[c] === 1) {
        // Fuse: c takes u's place with u's run plus the token; its children keep their keys.
        const p = this.parent[u];
        this.hashDelete(u, token);
        this.replaceChild(p, u, c);
        this.hashSet(p, this.tok[u], c);
        this.count[c]++;
        this.tok[c] = this.tok[u];
        this.len[c] = this.len[u] + 1;
        this.setRef(c, seq, pos + 1 - this.len[c]);
        this.parent[c] = p;
        this.freeOne(u);
        return c;
      }
      // u grows by one token into c; c loses its first token and is re-keyed under u.
      this.len[u]++;
      this.setRef(u, seq, pos + 1 - this.len[u]);
      this.hashDelete(u, token);
      this.len[c]--;
      this.refIdx[c]++;
      this.tok[c] = (this.seqTokens[this.refSeq[c]] as Int32Array)[this.refIdx[c]];
      this.hashInsert(u, this.tok[c], c);
      return u;
    }
    if (this.len[c] === 1) {
      this.count[c]++;
      return c;
    }
    // Split c after its first token: the new node m takes c's place under u, c keeps its id (suffixes
    // ending at c stay valid) and becomes m's only child.
    const m = this.allocNode();
    this.initNode(m, token, 1, seq, pos, u);
    this.count[m] = this.count[c] + 1;
    this.seqRefs[seq]++;
    this.replaceChild(u, c, m);
    this.hashSet(u, token, m);
    this.len[c]--;
    this.refIdx[c]++;
    this.tok[c] = (this.seqTokens[this.refSeq[c]] as Int32Array)[this.refIdx[c]];
    this.parent[c] = m;
    this.nextSibling[c] = EMPTY;
    this.prevSibling[c] = EMPTY;
    this.firstChild[m] = c;
    this.hashInsert(m, this.tok[c], c);
    return m;
  }

  /** Points node n at `seq[idx ..]`, keeping the per-sequence reference counts. */
  private setRef(n: number, seq: number, idx: number): void {
    const old = this.refSeq[n];
    if (old !== seq) {
      this.seqRefs[seq]++;
      if (--this.seqRefs[old] === 0 && !this.seqAlive[old]) this.releaseSeq(old);
      this.refSeq[n] = seq;
    }
    this.refIdx[n] = idx;
  }

  /** Returns one node (already unlinked) to the free list. */
  private freeOne(x: number): void {
    const s = this.refSeq[x];
    if (--this.seqRefs[s] === 0 && !this.seqAlive[s]) this.releaseSeq(s);
    this.nextSibling[x] = this.freeNode;
    this.freeNode = x;
    this.liveNodes--;
  }

  private deleteSubtree(top: number): void {
    const p = this.parent[top];
    this.unlinkChild(p, top);
    this.hashDelete(p, this.tok[top]);
    let sp = 0;
    this.stack[sp++] = top;
    while (sp > 0) {
      const x = this.stack[--sp];
      for (let c = this.firstChild[x]; c >= 0; c = this.nextSibling[c]) {
        this.hashDelete(x, this.tok[c]);
        if (sp === this.stack.length) {
          const grown = new Int32Array(sp * 2);
          grown.set(this.stack);
          this.stack = grown;
        }
        this.stack[sp++] = c;
      }
      this.freeOne(x);
    }
  }

  private releaseSeq(seq: number): void {
    if (this.seqTokens[seq] === null) return;
    this.seqTokens[seq] = null;
    this.seqLen[seq] = 0;
    this.freeSeqs.push(seq);
  }

  private initNode(n: number, token: number, len: number, seq: number, idx: number, parent: number): void {
    this.tok[n] = token;
    this.len[n] = len;
    this.refSeq[n] = seq;
    this.refIdx[n] = idx;
    this.parent[n] = parent;
    this.firstChild[n] = EMPTY;
    this.nextSibling[n] = EMPTY;
    this.prevSibling[n] = EMPTY;
  }

  private allocNode(): number {
    this.liveNodes++;
    if (this.freeNode >= 0) {
      const n = this.freeNode;
      this.freeNode = this.nextSibling[n];
      return n;
    }
    if (this.highWater === this.count.length) this.growNodes(this.count.length * 2);
    return this.highWater++;
  }

  private growNodes(n: number): void {
    const grow = (a: Int32Array): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.count = grow(this.count);
    this.tok = grow(this.tok);
    this.len = grow(this.len);
    this.refSeq = grow(this.refSeq);
    this.refIdx = grow(this.refIdx);
    this.parent = grow(this.parent);
    this.firstChild = grow(this.firstChild);
    this.nextSibling = grow(this.nextSibling);
    this.prevSibling = grow(this.prevSibling);
  }

  private linkChild(p: number, c: number): void {
    const head = this.firstChild[p];
    this.nextSibling[c] = head;
    this.prevSibling[c] = EMPTY;
    if (head >= 0) this.prevSibling[head] = c;
    this.firstChild[p] = c;
  }

  private unlinkChild(p: number, c: number): void {
    const prev = this.prevSibling[c];
    const next = this.nextSibling[c];
    if (prev >= 0) this.nextSibling[prev] = next;
    else this.firstChild[p] = next;
    if (next >= 0) this.prevSibling[next] = prev;
  }

  private replaceChild(p: number, old: number, fresh: number): void {
    const prev = this.prevSibling[old];
    const next = this.nextSibling[old];
    this.prevSibling[fresh] = prev;
    this.nextSibling[fresh] = next;
    if (prev >= 0) this.nextSibling[prev] = fresh;
    else this.firstChild[p] = fresh;
    if (next >= 0) this.prevSibling[next] = fresh;
  }

  // ---- (parent, token) → child table ----

  private slot(parent: number, token: number): number {
    let h = Math.imul(parent, 0x9e3779b1) ^ Math.imul(token ^ 0x5bd1e995, 0x85ebca77);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    return h & this.hMask;
  }

  private findChild(parent: number, token: number): number {
    const mask = this.hMask;
    for (let i = this.slot(parent, token); ; i = (i + 1) & mask) {
      const p = this.hParent[i];
      if (p === EMPTY) return EMPTY;
      if (p === parent && this.hToken[i] === token) return this.hChild[i];
    }
  }

  private hashInsert(parent: number, token: number, child: number): void {
    if ((this.hUsed + 1) * 2 > this.hParent.length) this.growHash(this.hParent.length * 2);
    const mask = this.hMask;
    let i = this.slot(parent, token);
    while (this.hParent[i] !== EMPTY) i = (i + 1) & mask;
    this.hParent[i] = parent;
    this.hToken[i] = token;
    this.hChild[i] = child;
    this.hUsed++;
  }

  private hashSet(parent: number, token: number, child: number): void {
    const mask = this.hMask;
    for (let i = this.slot(parent, token); ; i = (i + 1) & mask) {
      if (this.hParent[i] === parent && this.hToken[i] === token) {
        this.hChild[i] = child;
        return;
      }
    }
  }

  /** Backward-shift deletion keeps probe chains intact without tombstones. */
  private hashDelete(parent: number, token: number): void {
    const mask = this.hMask;
    let i = this.slot(parent, token);
    while (!(this.hParent[i] === parent && this.hToken[i] === token)) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (this.hParent[j] === EMPTY) break;
      const k = this.slot(this.hParent[j], this.hToken[j]);
      // Entry j may move to the hole at i unless its home k lies cyclically in (i, j].
      const stays = i <= j ? i < k && k <= j : i < k || k <= j;
      if (stays) continue;
      this.hParent[i] = this.hParent[j];
      this.hToken[i] = this.hToken[j];
      this.hChild[i] = this.hChild[j];
      i = j;
    }
    this.hParent[i] = EMPTY;
    this.hUsed--;
  }

  private growHash(size: number): void {
    const oldP = this.hParent;
    const oldT = this.hToken;
    const oldC = this.hChild;
    this.hParent = new Int32Array(size).fill(EMPTY);
    this.hToken = new Int32Array(size);
    this.hChild = new Int32Array(size);
    this.hMask = size - 1;
    this.hUsed = 0;
    for (let i = 0; i < oldP.length; i++) if (oldP[i] !== EMPTY) this.hashInsert(oldP[i], oldT[i], oldC[i]);
  }
}
