import type { ProposalDistributions } from './proposals.ts';

/**
 * A draft: the tokens one forward pass evaluates after the committed prefix.
 *
 * Node 0 is the root, the last committed token whose KV is not in the cache yet. Every other node has a
 * parent with a smaller index, so node order is always a topological order. By default a node sees
 * (attends to) the committed prefix, its ancestors and itself, and sits at position `prefix + depth`:
 * that is tree attention. `allowSee` adds extra visibility for patterns that are not trees; a node's
 * descendants inherit what it sees, because its KV already carries that information.
 *
 * Nodes marked not verifiable (e.g. Lookahead's Jacobi window) are evaluated but can never be accepted:
 * verification only walks verifiable children.
 *
 * All storage is preallocated typed arrays sized by `capacity`; `reset` + `add` never allocate.
 */
export class Draft {
  /** Most nodes (root included) this draft can hold. */
  readonly capacity: number;
  /** 32-bit words per visibility row. */
  readonly rowWords: number;
  /** Number of nodes in use, root included. */
  count = 0;
  /** Token id of each node. */
  readonly tokens: Int32Array;
  /** Parent index of each node; -1 for the root. */
  readonly parent: Int32Array;
  /** Tree depth (root = 0). Also the position offset from the root. */
  readonly depth: Int32Array;
  /** 1 when verification may accept the node. */
  readonly verifiable: Uint8Array;
  /** Visibility bitsets: bit j of row i is set when node i attends to node j (i sees itself). */
  readonly visibility: Uint32Array;
  /** First child / next sibling links, in insertion order; -1 terminates. */
  readonly firstChild: Int32Array;
  readonly nextSibling: Int32Array;
  /**
   * The distributions the drafter drew its tokens from, when it sampled them (a draft model at temperature
   * > 0); null = deterministic proposals. Owned by the drafter, attached in `propose`; `reset` detaches it.
   */
  proposals: ProposalDistributions | null = null;
  private readonly lastChild: Int32Array;
  private extraEdges = false;
  private deepest = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`draft capacity must be an integer >= 1, got ${capacity}`);
    this.capacity = capacity;
    this.rowWords = (capacity + 31) >>> 5;
    this.tokens = new Int32Array(capacity);
    this.parent = new Int32Array(capacity);
    this.depth = new Int32Array(capacity);
    this.verifiable = new Uint8Array(capacity);
    this.visibility = new Uint32Array(capacity * this.rowWords);
    this.firstChild = new Int32Array(capacity);
    this.nextSibling = new Int32Array(capacity);
    this.lastChild = new Int32Array(capacity);
  }

  /** Empties the draft and places the root token. */
  reset(rootToken: number): void {
    this.count = 1;
    this.proposals = null;
    this.extraEdges = false;
    this.deepest = 0;
    this.tokens[0] = rootToken;
    this.parent[0] = -1;
    this.depth[0] = 0;
    this.verifiable[0] = 1;
    this.firstChild[0] = -1;
    this.nextSibling[0] = -1;
    this.lastChild[0] = -1;
    const w = this.rowWords;
    this.visibility.fill(0, 0, w);
    this.visibility[0] = 1;
  }

  /** True when no node has visibility beyond its ancestors. */
  get isTree(): boolean {
    return !this.extraEdges;
  }

  /** Largest node depth in the draft. */
  get maxDepth(): number {
    return this.deepest;
  }

  /** Space left for more nodes. */
  get free(): number {
    return this.capacity - this.count;
  }

  /**
   * Appends a node under `parent` and returns its index.
   * @param verifiable false for helper tokens that must be evaluated but never accepted.
   */
  add(token: number, parent: number, verifiable = true): number {
    const i = this.count;
    if (i >= this.capacity) throw new RangeError(`draft is full (capacity ${this.capacity})`);
    if (parent < 0 || parent >= i) throw new RangeError(`parent ${parent} of node ${i} must be an existing node`);
    this.count = i + 1;
    this.tokens[i] = token;
    this.parent[i] = parent;
    const d = this.depth[parent] + 1;
    this.depth[i] = d;
    if (d > this.deepest) this.deepest = d;
    this.verifiable[i] = verifiable ? 1 : 0;
    this.firstChild[i] = -1;
    this.nextSibling[i] = -1;
    this.lastChild[i] = -1;
    const last = this.lastChild[parent];
    if (last < 0) this.firstChild[parent] = i;
    else this.nextSibling[last] = i;
    this.lastChild[parent] = i;
    const w = this.rowWords;
    this.visibility.copyWithin(i * w, parent * w, parent * w + w);
    this.visibility[i * w + (i >>> 5)] |= 1 << (i & 31);
    return i;
  }

  /**
   * Lets node `i` also attend to an earlier node `j` that is not its ancestor (a non-tree pattern).
   * Call before adding `i`'s descendants: they copy `i`'s row when added.
   */
  allowSee(i: number, j: number): void {
    if (i <= 0 || i >= this.count || j < 0 || j >= i) throw new RangeError(`allowSee(${i}, ${j}): need 0 <= j < i < count`);
    this.visibility[i * this.rowWords + (j >>> 5)] |= 1 << (j & 31);
    this.extraEdges = true;
  }

  /** Whether node `i` attends to node `j`. */
  sees(i: number, j: number): boolean {
    return (this.visibility[i * this.rowWords + (j >>> 5)] & (1 << (j & 31))) !== 0;
  }

  /** Number of direct children of node `i`. */
  childCount(i: number): number {
    let n = 0;
    for (let c = this.firstChild[i]; c >= 0; c = this.nextSibling[c]) n++;
    return n;
  }

  /**
   * Keeps the first `count` nodes (>= 1) of a tree draft: a parent always precedes its children, so the kept
   * nodes form a tree. Used by batch budgets that cap the nodes of a forward.
   */
  truncateToCount(count: number): void {
    if (count >= this.count) return;
    if (count < 1) throw new RangeError(`truncateToCount(${count}): the root is always kept`);
    if (this.extraEdges) throw new Error('truncateToCount is only supported for tree drafts');
    this.count = count;
    this.deepest = 0;
    for (let j = 0; j < count; j++) {
      this.firstChild[j] = -1;
      this.nextSibling[j] = -1;
      this.lastChild[j] = -1;
      if (this.depth[j] > this.deepest) this.deepest = this.depth[j];
    }
    for (let j = 1; j < count; j++) {
      const p = this.parent[j];
      const last = this.lastChild[p];
      if (last < 0) this.firstChild[p] = j;
      else this.nextSibling[last] = j;
      this.lastChild[p] = j;
    }
  }

  /**
   * Drops every node deeper than `maxDepth` (used when the context is nearly full). Kept nodes keep their
   * relative order; parents, child links and visibility are rebuilt in place.
   */
  truncateToDepth(maxDepth: number): void {
    if (maxDepth >= this.deepest) return;
    if (this.extraEdges) throw new Error('truncateToDepth is only supported for tree drafts');
    const n = this.count;
    const remap = this.lastChild; // reused as old index -> new index while rebuilding
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (this.depth[i] > maxDepth) {
        remap[i] = -1;
        continue;
      }
      // Descendants are always deeper than their ancestors, so a kept node's parent is kept and already moved.
      const j = kept++;
      remap[i] = j;
      this.tokens[j] = this.tokens[i];
      this.depth[j] = this.depth[i];
      this.verifiable[j] = this.verifiable[i];
      this.parent[j] = i === 0 ? -1 : remap[this.parent[i]];
      const q = this.proposals;
      if (q && j !== i) {
        // Proposal rows follow their nodes (j < i: moving forward in place is safe).
        q.marked[j] = q.marked[i];
        if (q.marked[i] === 1) q.probs.copyWithin(q.offset(j), q.offset(i), q.offset(i) + q.vocabSize);
      }
    }
    this.count = kept;
    this.deepest = 0;
    const w = this.rowWords;
    for (let j = 0; j < kept; j++) {
      this.firstChild[j] = -1;
      this.nextSibling[j] = -1;
      if (this.depth[j] > this.deepest) this.deepest = this.depth[j];
      this.visibility.fill(0, j * w, j * w + w);
      const p = this.parent[j];
      if (p >= 0) this.visibility.copyWithin(j * w, p * w, p * w + w);
      this.visibility[j * w + (j >>> 5)] |= 1 << (j & 31);
    }
    for (let j = 0; j < kept; j++) this.lastChild[j] = -1;
    for (let j = 1; j < kept; j++) {
      const p = this.parent[j];
      const last = this.lastChild[p];
      if (last < 0) this.firstChild[p] = j;
      else this.nextSibling[last] = j;
      this.lastChild[p] = j;
    }
  }
}
