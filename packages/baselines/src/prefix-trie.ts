import { TrbenchError } from '@trbench/core';

/**
 * REST's draft construction: a trie of retrieved continuations whose nodes count how many continuations
 * share each prefix, and the selection of the most frequent prefixes.
 *
 * Continuations are inserted in lexicographic order (suffix-array order), so a token either extends the
 * previous continuation's path or opens a new, larger child: insertion never searches siblings, and node
 * ids (creation order) are a depth-first lexicographic order. Fixed capacity, no allocation after
 * construction.
 */
export class PrefixTrie {
  readonly capacity: number;
  /** Nodes in use, root (0) included. */
  size = 1;
  readonly token: Int32Array;
  readonly parent: Int32Array;
  readonly depth: Int32Array;
  readonly count: Int32Array;
  private readonly lastChild: Int32Array;
  private readonly heap: Int32Array;
  /** Scratch of {@link cutToChoices}, one entry per selected node. */
  private readonly distinct: Int32Array;
  private readonly order: Int32Array;
  private readonly removed: Uint8Array;

  /** `capacity`: most nodes besides the root (matches × continuation length). */
  constructor(capacity: number, maxSelect: number) {
    this.capacity = capacity + 1;
    this.token = new Int32Array(this.capacity);
    this.parent = new Int32Array(this.capacity);
    this.depth = new Int32Array(this.capacity);
    this.count = new Int32Array(this.capacity);
    this.lastChild = new Int32Array(this.capacity);
    this.heap = new Int32Array(maxSelect);
    this.distinct = new Int32Array(maxSelect);
    this.order = new Int32Array(maxSelect);
    this.removed = new Uint8Array(maxSelect);
    this.clear();
  }

  clear(): void {
    this.size = 1;
    this.parent[0] = -1;
    this.depth[0] = 0;
    this.count[0] = 0;
    this.lastChild[0] = -1;
  }

  /** Adds `text[start .. start+len)`; calls must come in lexicographic order of the inserted sequences. */
  insertSorted(text: Int32Array, start: number, len: number): void {
    let node = 0;
    this.count[0]++;
    for (let j = 0; j < len; j++) {
      const t = text[start + j];
      const c = this.lastChild[node];
      if (c > 0 && this.token[c] === t) {
        node = c;
      } else {
        if (c > 0 && this.token[c] > t) throw new TrbenchError('REST datastore suffix array is not sorted (corrupt file?)');
        const id = this.size++;
        if (id >= this.capacity) throw new RangeError(`prefix trie is full (${this.capacity} nodes)`);
        this.token[id] = t;
        this.parent[id] = node;
        this.depth[id] = this.depth[node] + 1;
        this.count[id] = 0;
        this.lastChild[id] = -1;
        this.lastChild[node] = id;
        node = id;
      }
      this.count[node]++;
    }
  }

  /**
   * Writes into `out` the ids of the `k` best nodes (root excluded), in creation order, and returns how
   * many. Best = higher count; equal counts → shallower; then lexicographically smaller (earlier id). A
   * parent always ranks above its children (count >= and shallower), so the selection is a subtree: REST's
   * top-`num_draft` trie prefixes with a deterministic cut where REST's heap breaks ties arbitrarily.
   */
  selectTop(k: number, out: Int32Array): number {
    const heap = this.heap;
    const cap = Math.min(k, heap.length);
    let n = 0;
    for (let id = 1; id < this.size; id++) {
      if (n < cap) {
        // Sift up: the worst node stays at the top.
        let i = n++;
        while (i > 0) {
          const p = (i - 1) >> 1;
          if (!this.better(heap[p], id)) break;
          heap[i] = heap[p];
          i = p;
        }
        heap[i] = id;
      } else if (cap > 0 && this.better(id, heap[0])) {
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= n) break;
          const r = l + 1;
          const worse = r < n && this.better(heap[l], heap[r]) ? r : l;
          if (!this.better(id, heap[worse])) break;
          heap[i] = heap[worse];
          i = worse;
        }
        heap[i] = id;
      }
    }
    for (let i = 0; i < n; i++) out[i] = heap[i];
    // n <= k (64 by default): insertion sort into creation order.
    for (let i = 1; i < n; i++) {
      const v = out[i];
      let j = i - 1;
      while (j >= 0 && out[j] > v) {
        out[j + 1] = out[j];
        j--;
      }
      out[j + 1] = v;
    }
    return n;
  }

  /**
   * REST's `cut_to_choices` (FasterDecoding/REST `DraftRetriever/src/lib.rs`), applied after
   * {@link selectTop}: every selected prefix costs its number of DISTINCT token ids (its depth unless a token
   * repeats); while the sum over `selected[0 .. n)` exceeds `budget`, prefixes are dropped, the most
   * distinct tokens first. Compacts `selected` in place (creation order kept) and returns how many remain.
   *
   * REST sorts by that count alone (a stable sort of a HashSet's iteration order, so its ties fall randomly
   * per call); here ties go to the lower-ranked prefix first — fewer matches, then deeper, then
   * lexicographically larger, the reverse of {@link selectTop}'s rank. A child costs at least its parent and
   * ranks below it, so it is always dropped first: the kept set stays prefix-closed, the draft tree is
   * exactly the kept prefixes, and the sum of their costs is at most `budget` (so at most `budget` nodes).
   */
  cutToChoices(selected: Int32Array, n: number, budget: number): number {
    if (n > this.distinct.length) throw new RangeError(`cutToChoices: ${n} prefixes, scratch holds ${this.distinct.length}`);
    const distinct = this.distinct;
    const order = this.order;
    const removed = this.removed;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const id = selected[i];
      // Distinct ids on the path: a token counts where it occurs nearest the root (paths are <= 64 deep).
      let d = 0;
      for (let a = id; a > 0; a = this.parent[a]) {
        let seenAbove = false;
        for (let b = this.parent[a]; b > 0 && !seenAbove; b = this.parent[b]) seenAbove = this.token[b] === this.token[a];
        if (!seenAbove) d++;
      }
      distinct[i] = d;
      total += d;
      removed[i] = 0;
      // Insertion sort of the indices into removal order (n <= 64 by default).
      let j = i - 1;
      while (j >= 0 && this.dropsBefore(selected, i, order[j])) {
        order[j + 1] = order[j];
        j--;
      }
      order[j + 1] = i;
    }
    for (let r = 0; r < n && total > budget; r++) {
      removed[order[r]] = 1;
      total -= distinct[order[r]];
    }
    let kept = 0;
    for (let i = 0; i < n; i++) if (removed[i] === 0) selected[kept++] = selected[i];
    return kept;
  }

  /** Whether selected entry a is dropped before entry b by {@link cutToChoices} (needs `distinct` filled). */
  private dropsBefore(selected: Int32Array, a: number, b: number): boolean {
    const da = this.distinct[a];
    const db = this.distinct[b];
    if (da !== db) return da > db;
    return this.better(selected[b], selected[a]);
  }

  /** Whether node a ranks above node b. */
  private better(a: number, b: number): boolean {
    const ca = this.count[a];
    const cb = this.count[b];
    if (ca !== cb) return ca > cb;
    const da = this.depth[a];
    const db = this.depth[b];
    if (da !== db) return da < db;
    return a < b;
  }
}
