/**
 * A binary min-heap of search items keyed by one float, with exactly the sift rules of CPython's `heapq`
 * (`heappush` = append + `_siftdown`; `heappop` = move the last item to the top + `_siftup`, which walks the
 * smaller child down to a leaf, the right child on equal keys, then sifts up). Items with equal keys
 * therefore come out in the order Python's heap gives them, which the authors' SAM-only static tree
 * depends on. Preallocated; `pop` writes the item into the `out*` registers.
 */
export class BestFirstHeap {
  size = 0;
  outKey = 0;
  outToken = 0;
  outState = 0;
  outParent = 0;
  outDepth = 0;
  private readonly key: Float64Array;
  private readonly token: Int32Array;
  private readonly state: Int32Array;
  private readonly parent: Int32Array;
  private readonly depth: Int32Array;

  constructor(capacity: number) {
    this.key = new Float64Array(capacity);
    this.token = new Int32Array(capacity);
    this.state = new Int32Array(capacity);
    this.parent = new Int32Array(capacity);
    this.depth = new Int32Array(capacity);
  }

  clear(): void {
    this.size = 0;
  }

  push(key: number, token: number, state: number, parent: number, depth: number): void {
    if (this.size === this.key.length) throw new RangeError(`heap is full (${this.key.length})`);
    const pos = this.size++;
    this.put(pos, key, token, state, parent, depth);
    this.siftDown(0, pos);
  }

  /** Removes the smallest item into the `out*` registers (the heap must not be empty). */
  pop(): void {
    const last = --this.size;
    if (last === 0) {
      this.read(0);
      return;
    }
    this.read(0);
    const k = this.outKey;
    const t = this.outToken;
    const s = this.outState;
    const p = this.outParent;
    const d = this.outDepth;
    this.move(last, 0);
    this.siftUp(0);
    this.outKey = k;
    this.outToken = t;
    this.outState = s;
    this.outParent = p;
    this.outDepth = d;
  }

  private read(i: number): void {
    this.outKey = this.key[i];
    this.outToken = this.token[i];
    this.outState = this.state[i];
    this.outParent = this.parent[i];
    this.outDepth = this.depth[i];
  }

  private put(i: number, key: number, token: number, state: number, parent: number, depth: number): void {
    this.key[i] = key;
    this.token[i] = token;
    this.state[i] = state;
    this.parent[i] = parent;
    this.depth[i] = depth;
  }

  private move(from: number, to: number): void {
    this.put(to, this.key[from], this.token[from], this.state[from], this.parent[from], this.depth[from]);
  }

  /** heapq._siftdown(heap, start, pos): the item at pos moves up while it is strictly smaller than its parent. */
  private siftDown(start: number, pos: number): void {
    const key = this.key[pos];
    const token = this.token[pos];
    const state = this.state[pos];
    const parent = this.parent[pos];
    const depth = this.depth[pos];
    while (pos > start) {
      const pp = (pos - 1) >> 1;
      if (key < this.key[pp]) {
        this.move(pp, pos);
        pos = pp;
        continue;
      }
      break;
    }
    this.put(pos, key, token, state, parent, depth);
  }

  /** heapq._siftup(heap, pos): the smaller child moves up (right one unless left < right) down to a leaf. */
  private siftUp(pos: number): void {
    const end = this.size;
    const start = pos;
    const key = this.key[pos];
    const token = this.token[pos];
    const state = this.state[pos];
    const parent = this.parent[pos];
    const depth = this.depth[pos];
    let child = 2 * pos + 1;
    while (child < end) {
      const right = child + 1;
      if (right < end && !(this.key[child] < this.key[right])) child = right;
      this.move(child, pos);
      pos = child;
      child = 2 * pos + 1;
    }
    this.put(pos, key, token, state, parent, depth);
    this.siftDown(start, pos);
  }
}
