import { Calibration, SOURCE_COUNT } from './calibration.ts';

/** No suffix-draft item behind a node. */
export const NO_ITEM = -2;
/** The suffix draft's own root (the matched context), i.e. the draft root. */
export const ITEM_ROOT = -1;

/**
 * One draft tree grown best-first by estimated path probability across every source (EAGLE-2's dynamic
 * tree, with several sources as in RACER / Goose). Node 0 is the root. Children are offered per parent in a
 * group (`openGroup` … `offer` … `closeGroup`); equal tokens offered for the same parent by different
 * sources are merged into one candidate, which keeps the highest calibrated estimate and remembers every
 * source's raw bucket (all of them are calibrated by what happens to the node). `pop` turns the candidate
 * with the highest path probability into the next node (ties: lower token id, then the earlier offer), so
 * node order is non-increasing in path probability and every prefix of it is a tree: the drafter then keeps
 * the prefix whose size the cost curve favours.
 *
 * All storage is preallocated; nothing is allocated per step.
 */
export class BestFirstTree {
  readonly capacity: number;
  /** Nodes grown, root included. */
  count = 0;
  readonly tokens: Int32Array;
  readonly parent: Int32Array;
  /** Estimated probability that the whole path root → node is accepted (root: 1). */
  readonly pathProb: Float64Array;
  /** cumulative[i] = Σ pathProb of nodes 1 … i (cumulative[0] = 0). */
  readonly cumulative: Float64Array;
  /** Suffix-draft item of each node in the local / global speculation, or NO_ITEM. */
  readonly localItem: Int32Array;
  readonly globalItem: Int32Array;
  /** Raw-probability bucket per node and source (`node·SOURCE_COUNT + source`), −1 when the source did not propose it. */
  readonly buckets: Int8Array;
  /** Smallest path probability worth a node. */
  minPathProb = 0;

  private readonly poolCapacity: number;
  private poolSize = 0;
  private readonly cToken: Int32Array;
  private readonly cParent: Int32Array;
  private readonly cEstimate: Float64Array;
  private readonly cLocal: Int32Array;
  private readonly cGlobal: Int32Array;
  private readonly cBuckets: Int8Array;
  private readonly heap: Int32Array;
  private readonly heapKey: Float64Array;
  private heapSize = 0;
  // Merging within a group: stamp[token] === group → slot[token] is the candidate holding that token.
  private readonly stamp: Int32Array;
  private readonly slot: Int32Array;
  private group = 0;
  private groupParent = 0;
  private groupStart = 0;

  constructor(capacity: number, vocabSize: number, poolCapacity: number) {
    this.capacity = capacity;
    this.tokens = new Int32Array(capacity);
    this.parent = new Int32Array(capacity);
    this.pathProb = new Float64Array(capacity);
    this.cumulative = new Float64Array(capacity + 1);
    this.localItem = new Int32Array(capacity);
    this.globalItem = new Int32Array(capacity);
    this.buckets = new Int8Array(capacity * SOURCE_COUNT);
    this.poolCapacity = poolCapacity;
    this.cToken = new Int32Array(poolCapacity);
    this.cParent = new Int32Array(poolCapacity);
    this.cEstimate = new Float64Array(poolCapacity);
    this.cLocal = new Int32Array(poolCapacity);
    this.cGlobal = new Int32Array(poolCapacity);
    this.cBuckets = new Int8Array(poolCapacity * SOURCE_COUNT);
    this.heap = new Int32Array(poolCapacity);
    this.heapKey = new Float64Array(poolCapacity);
    this.stamp = new Int32Array(vocabSize);
    this.slot = new Int32Array(vocabSize);
  }

  /** Starts a tree at `rootToken`. */
  begin(rootToken: number, rootLocal: number, rootGlobal: number): void {
    this.count = 1;
    this.poolSize = 0;
    this.heapSize = 0;
    this.tokens[0] = rootToken;
    this.parent[0] = -1;
    this.pathProb[0] = 1;
    this.cumulative[0] = 0;
    this.localItem[0] = rootLocal;
    this.globalItem[0] = rootGlobal;
    this.buckets.fill(-1, 0, SOURCE_COUNT);
  }

  /** Starts offering children of node `parent`. */
  openGroup(parent: number): void {
    this.group++;
    if (this.group === 0x7fffffff) {
      this.stamp.fill(0);
      this.group = 1;
    }
    this.groupParent = parent;
    this.groupStart = this.poolSize;
  }

  /**
   * Offers `token` as a child of the open group's parent, proposed by `source` with raw probability `raw`
   * and calibrated estimate `estimate`; `local` / `global` name the suffix-draft item it continues (NO_ITEM).
   */
  offer(token: number, source: number, raw: number, estimate: number, local: number, global: number): void {
    if (token < 0 || token >= this.stamp.length || !(estimate > 0)) return;
    const bucket = Calibration.bucket(raw);
    if (this.stamp[token] === this.group) {
      const c = this.slot[token];
      if (estimate > this.cEstimate[c]) this.cEstimate[c] = estimate;
      if (local !== NO_ITEM) this.cLocal[c] = local;
      if (global !== NO_ITEM) this.cGlobal[c] = global;
      const b = c * SOURCE_COUNT + source;
      if (this.cBuckets[b] < bucket) this.cBuckets[b] = bucket;
      return;
    }
    if (this.poolSize >= this.poolCapacity) return;
    const c = this.poolSize++;
    this.stamp[token] = this.group;
    this.slot[token] = c;
    this.cToken[c] = token;
    this.cParent[c] = this.groupParent;
    this.cEstimate[c] = estimate;
    this.cLocal[c] = local;
    this.cGlobal[c] = global;
    this.cBuckets.fill(-1, c * SOURCE_COUNT, (c + 1) * SOURCE_COUNT);
    this.cBuckets[c * SOURCE_COUNT + source] = bucket;
  }

  /** Queues the group's candidates by path probability. */
  closeGroup(): void {
    const base = this.pathProb[this.groupParent];
    for (let c = this.groupStart; c < this.poolSize; c++) {
      const key = base * Math.min(1, this.cEstimate[c]);
      if (key >= this.minPathProb && key > 0) this.heapPush(c, key);
    }
  }

  /** Turns the best queued candidate into the next node and returns its index; −1 when full or nothing is queued. */
  pop(): number {
    if (this.count >= this.capacity || this.heapSize === 0) return -1;
    const c = this.heap[0];
    const key = this.heapKey[0];
    this.heapPopTop();
    const i = this.count++;
    this.tokens[i] = this.cToken[c];
    this.parent[i] = this.cParent[c];
    this.pathProb[i] = key;
    this.cumulative[i] = this.cumulative[i - 1] + key;
    this.localItem[i] = this.cLocal[c];
    this.globalItem[i] = this.cGlobal[c];
    for (let s = 0; s < SOURCE_COUNT; s++) this.buckets[i * SOURCE_COUNT + s] = this.cBuckets[c * SOURCE_COUNT + s];
    return i;
  }

  // ---- max-heap on (key desc, token asc, candidate index asc) ----

  private before(a: number, ka: number, b: number, kb: number): boolean {
    if (ka !== kb) return ka > kb;
    const ta = this.cToken[a];
    const tb = this.cToken[b];
    return ta !== tb ? ta < tb : a < b;
  }

  private heapPush(c: number, key: number): void {
    let i = this.heapSize++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(c, key, this.heap[p], this.heapKey[p])) break;
      this.heap[i] = this.heap[p];
      this.heapKey[i] = this.heapKey[p];
      i = p;
    }
    this.heap[i] = c;
    this.heapKey[i] = key;
  }

  private heapPopTop(): void {
    const n = --this.heapSize;
    if (n === 0) return;
    const c = this.heap[n];
    const key = this.heapKey[n];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && this.before(this.heap[r], this.heapKey[r], this.heap[l], this.heapKey[l]) ? r : l;
      if (!this.before(this.heap[m], this.heapKey[m], c, key)) break;
      this.heap[i] = this.heap[m];
      this.heapKey[i] = this.heapKey[m];
      i = m;
    }
    this.heap[i] = c;
    this.heapKey[i] = key;
  }
}
