/**
 * The max-heap of SuffixDecoding's tree speculation, ordered exactly as ArcticInference's
 * `std::priority_queue<HeapItem, std::vector<HeapItem>, HeapItemCmp>` orders it when built with libstdc++
 * (`csrc/suffix_decoding/suffix_tree.cc`, commit 9d46438: `HeapItemCmp` is `a.prob < b.prob`, nothing else).
 *
 * Items with equal probabilities are not ordered by the comparator, so which one pops first is decided by
 * the heap's own moves. To reproduce that order, `push` and `pop` follow libstdc++'s `bits/stl_heap.h`
 * step for step (GCC 12 and every release since `__adjust_heap` took its current form):
 * - `push_heap` = `__push_heap(first, len - 1, 0, value)`: the hole starts at the new last slot and moves up
 *   while the parent compares *less* than the value (an equal parent stops it);
 * - `pop_heap` moves the last item into a value, puts the top in the last slot and calls
 *   `__adjust_heap(first, 0, len - 1, value)`: the hole first walks down to a leaf, always to the right
 *   child unless it compares less than the left one (ties go right), with the odd last left child handled
 *   after the loop, and only then does `__push_heap` move the value up from that leaf.
 *
 * Items are (prob, node, idx, parent), struct-of-arrays; probabilities are float32 values. Nothing is
 * allocated per push or pop (the arrays double when full).
 */
export class SuffixHeap {
  private prob = new Float32Array(64);
  private node = new Int32Array(64);
  private idx = new Int32Array(64);
  private parent = new Int32Array(64);
  /** Items in the heap. */
  size = 0;

  clear(): void {
    this.size = 0;
  }

  get topProb(): number {
    return this.prob[0];
  }
  get topNode(): number {
    return this.node[0];
  }
  get topIdx(): number {
    return this.idx[0];
  }
  get topParent(): number {
    return this.parent[0];
  }

  /** `priority_queue::push` (`c.push_back(x); std::push_heap(c.begin(), c.end(), comp)`). */
  push(prob: number, node: number, idx: number, parent: number): void {
    if (this.size === this.prob.length) this.grow();
    const hole = this.size++;
    this.siftUp(hole, 0, Math.fround(prob), node, idx, parent);
  }

  /** `priority_queue::pop` (`std::pop_heap(c.begin(), c.end(), comp); c.pop_back()`). */
  pop(): void {
    const n = this.size;
    if (n === 0) return;
    this.size = n - 1;
    if (n === 1) return;
    // __pop_heap: the last item becomes the value to re-insert; the top goes to the last slot (dropped).
    const last = n - 1;
    const vProb = this.prob[last];
    const vNode = this.node[last];
    const vIdx = this.idx[last];
    const vParent = this.parent[last];
    // __adjust_heap(first, holeIndex = 0, len = n - 1, value).
    const len = n - 1;
    const top = 0;
    let hole = 0;
    let second = 0;
    while (second < (len - 1) >> 1) {
      second = 2 * (second + 1);
      if (this.prob[second] < this.prob[second - 1]) second--;
      this.move(second, hole);
      hole = second;
    }
    if ((len & 1) === 0 && second === (len - 2) >> 1) {
      second = 2 * (second + 1);
      this.move(second - 1, hole);
      hole = second - 1;
    }
    this.siftUp(hole, top, vProb, vNode, vIdx, vParent);
  }

  /** `__push_heap(first, hole, top, value)`: up while the parent compares less than the value. */
  private siftUp(hole: number, top: number, prob: number, node: number, idx: number, parent: number): void {
    let h = hole;
    while (h > top) {
      const p = (h - 1) >> 1;
      if (!(this.prob[p] < prob)) break;
      this.move(p, h);
      h = p;
    }
    this.prob[h] = prob;
    this.node[h] = node;
    this.idx[h] = idx;
    this.parent[h] = parent;
  }

  private move(from: number, to: number): void {
    this.prob[to] = this.prob[from];
    this.node[to] = this.node[from];
    this.idx[to] = this.idx[from];
    this.parent[to] = this.parent[from];
  }

  private grow(): void {
    const n = this.prob.length * 2;
    const prob = new Float32Array(n);
    prob.set(this.prob);
    this.prob = prob;
    for (const key of ['node', 'idx', 'parent'] as const) {
      const a = new Int32Array(n);
      a.set(this[key]);
      this[key] = a;
    }
  }
}
