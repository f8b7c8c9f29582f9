import { SuffixHeap } from './std-heap.ts';
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
  private lastChild = new Int32Array(0);
  private nextSibling = new Int32Array(0);
  private prevSibling = new Int32Array(0);
  // Count groups of the sibling lists (see `increment`): per node its group, per group its first and last node.
  private grp = new Int32Array(0);
  private gHead = new Int32Array(0);
  private gTail = new Int32Array(0);
  private gHigh = 0;
  private gFree = EMPTY;
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
  private readonly heap = new SuffixHeap();
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
    this.gHigh = 0;
    this.gFree = EMPTY;
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
        // The reference removes a node whose count would reach 0 with its subtree, else decrements it and
        // moves it down its sibling list (`_decrement_count`).
        if (this.count[c] === 1) {
          this.deleteSubtree(c);
          break;
        }
        this.decrement(c);
        consumed += this.len[c];
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
    // c was x's only child, alone in its group; it takes x's place (and group) in p's list.
    this.freeGroup(this.grp[c]);
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
   * SuffixDecoding's speculation on this tree (ArcticInference `SuffixTree::speculate`). For match lengths
   * m = 1, 2, ... while the last m tokens of `context[0..end)` occur in the tree (and m < min(end, maxDepth):
   * the reference's cache passes the last maxDepth tokens), a draft of at most
   * min(maxSpecTokens, (int)(α·m + offset + 1e-6)) tokens is grown from the match; the best score wins, the
   * longer match on ties. Returns a buffer owned by the tree (valid until its next `speculate`).
   *
   * Both modes read the children of a node in the order of its sibling list (see `increment`), as the
   * reference does. Path mode follows the head of each sibling list while the probability stays
   * >= minTokenProb. Tree mode pops (prob, node, idx, parent) items from a max-heap that orders them exactly
   * as libstdc++'s `std::priority_queue` with the reference's comparator does ({@link SuffixHeap}): an item
   * inside a node's run drafts its token and pushes the next position with the same probability; an item
   * at the end of a run pushes the children in sibling order, each with p·count(child)/count(node), up to the
   * first one below minTokenProb. Probabilities and scores use float32 arithmetic as the reference does.
   */
  speculate(context: TokenReader, end: number, o: SpeculateOptions): SuffixDraft {
    let best = this.draftA;
    let cur = this.draftB;
    best.clear();
    const ctxLen = Math.min(end, this.maxDepth);
    const minProb = Math.fround(o.minTokenProb);
    const alpha = Math.fround(o.alpha);
    const offset = Math.fround(o.offset);
    for (let m = 1; m < ctxLen; m++) {
      if (!this.match(context, end - m, end)) break;
      // static_cast<int>(match_len * max_spec_factor + max_spec_offset + 1e-6): float products, a double sum.
      const byMatch = Math.trunc(Math.fround(Math.fround(m * alpha) + offset) + 1e-6);
      const maxTokens = Math.max(0, Math.min(o.maxSpecTokens, byMatch, cur.tokens.length));
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

  /**
   * The continuations of the string `prefix` (the root's children for an empty one) with their counts, in
   * sibling-list order — the order in which both speculation modes consider them — written to `out`; returns
   * how many (0 when `prefix` does not occur). Inside a compressed run there is one, the run's next token.
   * For tests and diagnostics (allocates).
   */
  childrenInOrder(prefix: ArrayLike<number>, out: { token: number; count: number }[]): number {
    out.length = 0;
    let node = ROOT;
    if (prefix.length > 0) {
      const reader = { at: (i: number) => prefix[i] };
      if (!this.match(reader, 0, prefix.length)) return 0;
      // Inside a run the only continuation is the run's next token.
      if (this.matchIdx < this.len[this.matchNode]) {
        const n = this.matchNode;
        out.push({ token: (this.seqTokens[this.refSeq[n]] as Int32Array)[this.refIdx[n] + this.matchIdx], count: this.count[n] });
        return 1;
      }
      node = this.matchNode;
    }
    for (let c = this.firstChild[node]; c >= 0; c = this.nextSibling[c]) out.push({ token: this.tok[c], count: this.count[c] });
    return out.length;
  }

  /**
   * Checks the invariants the reference's `check_integrity` checks on the sibling lists and counts: every
   * child list is ordered by non-increasing count, its groups are exactly the runs of equal counts (head and
   * tail right), and a non-root node's children count strictly less than it. Returns '' or what is wrong.
   */
  checkIntegrity(): string {
    const stack: number[] = [ROOT];
    while (stack.length > 0) {
      const x = stack.pop() as number;
      let prev = EMPTY;
      for (let c = this.firstChild[x]; c >= 0; c = this.nextSibling[c]) {
        if (this.parent[c] !== x) return `node ${c}: parent ${this.parent[c]}, listed under ${x}`;
        if (this.prevSibling[c] !== prev) return `node ${c}: prevSibling ${this.prevSibling[c]}, expected ${prev}`;
        if (x !== ROOT && this.count[c] >= this.count[x]) return `node ${c}: count ${this.count[c]} >= its parent's ${this.count[x]}`;
        const g = this.grp[c];
        if (g < 0) return `node ${c}: no group`;
        if (prev >= 0 && this.count[c] > this.count[prev])
          return `node ${c}: count ${this.count[c]} after a sibling with ${this.count[prev]}`;
        const sameAsPrev = prev >= 0 && this.count[c] === this.count[prev];
        if (sameAsPrev !== (prev >= 0 && this.grp[prev] === g)) return `node ${c}: group does not follow the counts`;
        if (!sameAsPrev && this.gHead[g] !== c) return `node ${c}: should head its group`;
        const next = this.nextSibling[c];
        const lastOfRun = next < 0 || this.count[next] !== this.count[c];
        if (lastOfRun !== (this.gTail[g] === c)) return `node ${c}: group tail is wrong`;
        prev = c;
        stack.push(c);
      }
      if (this.lastChild[x] !== prev) return `node ${x}: lastChild ${this.lastChild[x]}, expected ${prev}`;
    }
    return '';
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

  /** `_speculate_path`: the head child at every branch; prob *= (float)count(child) / count(node). */
  private speculatePath(node: number, idx: number, maxTokens: number, minProb: number, out: SuffixDraft): void {
    let prob = 1;
    while (out.count < maxTokens && prob >= minProb) {
      if (idx < this.len[node]) {
        const token = (this.seqTokens[this.refSeq[node]] as Int32Array)[this.refIdx[node] + idx];
        out.push(token, out.count - 1, prob);
        idx++;
      } else {
        const child = this.firstChild[node];
        if (child < 0) break;
        prob = Math.fround(prob * Math.fround(Math.fround(this.count[child]) / Math.fround(this.count[node])));
        node = child;
        idx = 0;
      }
    }
  }

  /** `_speculate_tree`: best-first over the heap; end-of-run items take part like any other item. */
  private speculateTree(node: number, idx: number, maxTokens: number, minProb: number, out: SuffixDraft): void {
    const heap = this.heap;
    heap.clear();
    heap.push(1, node, idx, -1);
    while (out.count < maxTokens && heap.size > 0) {
      const prob = heap.topProb;
      const n = heap.topNode;
      const i = heap.topIdx;
      const par = heap.topParent;
      heap.pop();
      if (i < this.len[n]) {
        const token = (this.seqTokens[this.refSeq[n]] as Int32Array)[this.refIdx[n] + i];
        const at = out.push(token, par, prob);
        heap.push(prob, n, i + 1, at);
      } else {
        const total = Math.fround(this.count[n]);
        for (let c = this.firstChild[n]; c >= 0; c = this.nextSibling[c]) {
          // it.prob * child->count / static_cast<float>(it.node->count), all in float.
          const p = Math.fround(Math.fround(prob * Math.fround(this.count[c])) / total);
          // The list is ordered by count, so every later child is below the threshold too.
          if (p < minProb) break;
          heap.push(p, c, 0, par);
        }
      }
    }
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
      // A new child goes to the tail of the sibling list (`_insert_into_siblings_after(tail)`).
      this.attachBefore(u, leaf, EMPTY);
      this.hashInsert(u, token, leaf);
      return leaf;
    }
    if (u !== ROOT && this.count[u] === this.count[c] + 1) {
      if (this.len[c] === 1) {
        // Fuse: c takes u's place with u's run plus the token; its children keep their keys.
        const p = this.parent[u];
        this.hashDelete(u, token);
        // c's count becomes u's: it takes u's place and group in p's list (`_replace_in_siblings`).
        this.freeGroup(this.grp[c]);
        this.count[c]++;
        this.replaceChild(p, u, c);
        this.hashSet(p, this.tok[u], c);
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
      this.increment(c);
      return c;
    }
    // Split c after its first token: the new node m takes c's place under u, c keeps its id (suffixes
    // ending at c stay valid) and becomes m's only child.
    const m = this.allocNode();
    this.initNode(m, token, 1, seq, pos, u);
    // m takes c's place and group with c's count, then counts this suffix (`_increment_count`), below.
    this.count[m] = this.count[c];
    this.seqRefs[seq]++;
    this.replaceChild(u, c, m);
    this.hashSet(u, token, m);
    this.len[c]--;
    this.refIdx[c]++;
    this.tok[c] = (this.seqTokens[this.refSeq[c]] as Int32Array)[this.refIdx[c]];
    this.parent[c] = m;
    this.nextSibling[c] = EMPTY;
    this.prevSibling[c] = EMPTY;
    this.grp[c] = EMPTY;
    this.attachBefore(m, c, EMPTY);
    this.hashInsert(m, this.tok[c], c);
    this.increment(m);
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
    this.detach(p, top);
    this.hashDelete(p, this.tok[top]);
    let sp = 0;
    this.stack[sp++] = top;
    while (sp > 0) {
      const x = this.stack[--sp];
      for (let c = this.firstChild[x]; c >= 0; c = this.nextSibling[c]) {
        this.hashDelete(x, this.tok[c]);
        // Every group has one head: free each group of x's list once.
        if (this.gHead[this.grp[c]] === c) this.freeGroup(this.grp[c]);
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
    this.lastChild[n] = EMPTY;
    this.nextSibling[n] = EMPTY;
    this.prevSibling[n] = EMPTY;
    this.grp[n] = EMPTY;
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
    this.lastChild = grow(this.lastChild);
    this.nextSibling = grow(this.nextSibling);
    this.prevSibling = grow(this.prevSibling);
    this.grp = grow(this.grp);
    // At most one group per node.
    this.gHead = grow(this.gHead);
    this.gTail = grow(this.gTail);
  }

  // ---- sibling lists ----
  //
  // ArcticInference keeps each node's children in a doubly linked list ordered by non-increasing count, and
  // groups the runs of equal counts (`Group`: its head; the groups are linked too) so that a count change
  // moves a node in O(1). Ties between equal counts are therefore broken by history: where a child entered
  // the list and how it moved since. The rules, as `suffix_tree.cc` (commit 9d46438) implements them:
  // - a new child goes to the tail (count 1 joins the last group if that group counts 1);
  // - `_increment_count`: a node whose previous sibling counts more than count + 1 (or that has none) stays
  //   where it is; otherwise it moves in front of the head of its previous sibling's group, i.e. to the head
  //   of the next-higher group if it led its own group, else right in front of its old group (the tail of
  //   the next-higher group, or a group of its own);
  // - `_decrement_count`: a node whose next sibling counts less than count (or that has none) stays; otherwise
  //   it moves behind the last node of its old group (the head of the next-lower group, or the list's end);
  // - splits, fusions and merges put the new node at the old one's place (`_replace_in_siblings`);
  // - a node whose count would reach 0 leaves the list with its subtree.
  // The groups here are records (head, tail) indexed like nodes; they are always the maximal runs of equal
  // counts, which is all that the moves above read.

  /** `_increment_count` for a non-root node. */
  private increment(x: number): void {
    const p = this.parent[x];
    if (p < 0) {
      this.count[x]++;
      return;
    }
    const c = this.count[x];
    const prev = this.prevSibling[x];
    // The previous sibling counts c or c + 1: move in front of its group's head. Otherwise stay.
    const before = prev >= 0 && this.count[prev] <= c + 1 ? this.gHead[this.grp[prev]] : this.nextSibling[x];
    this.detach(p, x);
    this.count[x] = c + 1;
    this.attachBefore(p, x, before);
  }

  /** `_decrement_count` for a non-root node whose count stays >= 1. */
  private decrement(x: number): void {
    const p = this.parent[x];
    const c = this.count[x];
    const next = this.nextSibling[x];
    // The next sibling counts c too: move behind the last node counting c. Otherwise stay.
    const before = next >= 0 && this.count[next] === c ? this.nextSibling[this.gTail[this.grp[x]]] : next;
    this.detach(p, x);
    this.count[x] = c - 1;
    this.attachBefore(p, x, before);
  }

  /** Takes x out of p's list and out of its group (`_remove_from_siblings`). */
  private detach(p: number, x: number): void {
    const prev = this.prevSibling[x];
    const next = this.nextSibling[x];
    const g = this.grp[x];
    if (this.gHead[g] === x && this.gTail[g] === x) this.freeGroup(g);
    else if (this.gHead[g] === x) this.gHead[g] = next;
    else if (this.gTail[g] === x) this.gTail[g] = prev;
    this.grp[x] = EMPTY;
    if (prev >= 0) this.nextSibling[prev] = next;
    else this.firstChild[p] = next;
    if (next >= 0) this.prevSibling[next] = prev;
    else this.lastChild[p] = prev;
    this.prevSibling[x] = EMPTY;
    this.nextSibling[x] = EMPTY;
  }

  /**
   * Links x into p's list right before `before` (EMPTY: at the end) and into the group of its new neighbours
   * with the same count, or a new group (`_insert_into_siblings_before` / `_after`).
   */
  private attachBefore(p: number, x: number, before: number): void {
    const prev = before >= 0 ? this.prevSibling[before] : this.lastChild[p];
    this.prevSibling[x] = prev;
    this.nextSibling[x] = before;
    if (prev >= 0) this.nextSibling[prev] = x;
    else this.firstChild[p] = x;
    if (before >= 0) this.prevSibling[before] = x;
    else this.lastChild[p] = x;
    const c = this.count[x];
    if (prev >= 0 && this.count[prev] === c) {
      const g = this.grp[prev];
      this.grp[x] = g;
      if (this.gTail[g] === prev) this.gTail[g] = x;
    } else if (before >= 0 && this.count[before] === c) {
      const g = this.grp[before];
      this.grp[x] = g;
      this.gHead[g] = x;
    } else {
      const g = this.allocGroup();
      this.gHead[g] = x;
      this.gTail[g] = x;
      this.grp[x] = g;
    }
  }

  /** `fresh` takes `old`'s place in p's list and its group (`_replace_in_siblings`; equal counts). */
  private replaceChild(p: number, old: number, fresh: number): void {
    const prev = this.prevSibling[old];
    const next = this.nextSibling[old];
    this.prevSibling[fresh] = prev;
    this.nextSibling[fresh] = next;
    if (prev >= 0) this.nextSibling[prev] = fresh;
    else this.firstChild[p] = fresh;
    if (next >= 0) this.prevSibling[next] = fresh;
    else this.lastChild[p] = fresh;
    const g = this.grp[old];
    this.grp[fresh] = g;
    if (this.gHead[g] === old) this.gHead[g] = fresh;
    if (this.gTail[g] === old) this.gTail[g] = fresh;
    this.grp[old] = EMPTY;
  }

  private allocGroup(): number {
    if (this.gFree >= 0) {
      const g = this.gFree;
      this.gFree = this.gHead[g];
      return g;
    }
    // Groups never outnumber live nodes, and the node arrays grow first.
    return this.gHigh++;
  }

  private freeGroup(g: number): void {
    this.gHead[g] = this.gFree;
    this.gTail[g] = EMPTY;
    this.gFree = g;
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
