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

  /** `capacity`: most nodes besides the root (matches × continuation length). */
  constructor(capacity: number, maxSelect: number) {
    this.capacity = capacity + 1;
    this.token = new Int32Array(this.capacity);
    this.parent = new Int32Array(this.capacity);
    this.depth = new Int32Array(this.capacity);
    this.count = new Int32Array(this.capacity);
    this.lastChild = new Int32Array(this.capacity);
    this.heap = new Int32Array(maxSelect);
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
