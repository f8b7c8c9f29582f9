/**
 * Test-only references for SuffixDecoding's tie order, written the slow and obvious way so that the typed-
 * array implementation ({@link SuffixTree}, {@link SuffixHeap}) can be checked against them:
 * - {@link ReferenceTrie}: an uncompressed trie (one node per token, depth-limited) whose children are plain
 *   arrays kept in ArcticInference's sibling order by the rules stated in words (new child at the end; on a
 *   count increment move in front of the first sibling counting what the previous sibling counts, when that
 *   is count or count + 1; on a decrement move behind the last sibling counting the old count; a node whose
 *   count reaches 0 is dropped). Path compression never changes the order (a compressed run's inner
 *   positions are only children), so the trie's order is the compressed tree's order.
 * - {@link referenceHeapPop} / {@link referenceHeapPush}: libstdc++'s push_heap / pop_heap on an array of
 *   objects, as `bits/stl_heap.h` reads.
 */

export interface RefNode {
  token: number;
  count: number;
  parent: RefNode | null;
  children: RefNode[];
}

export interface RefSpeculation {
  tokens: number[];
  parents: number[];
  probs: number[];
  score: number;
  matchLength: number;
}

export interface RefOptions {
  maxSpecTokens: number;
  alpha: number;
  offset: number;
  minTokenProb: number;
  tree: boolean;
}

export class ReferenceTrie {
  readonly root: RefNode = { token: -1, count: 0, parent: null, children: [] };
  readonly seqs = new Map<number, number[]>();
  constructor(readonly depth: number) {}

  append(id: number, token: number): void {
    let seq = this.seqs.get(id);
    if (!seq) {
      seq = [];
      this.seqs.set(id, seq);
    }
    seq.push(token);
    const pos = seq.length - 1;
    this.root.count++;
    // Every suffix still shorter than the depth grows by the token: one new occurrence of seq[j..pos].
    for (let j = Math.max(0, pos - this.depth + 1); j <= pos; j++) {
      const node = this.find(seq.slice(j, pos)) as RefNode;
      const child = node.children.find((c) => c.token === token);
      if (child) this.increment(child);
      else node.children.push({ token, count: 1, parent: node, children: [] });
    }
  }

  remove(id: number): void {
    const seq = this.seqs.get(id) ?? [];
    this.seqs.delete(id);
    for (let j = 0; j < seq.length; j++) {
      this.root.count--;
      let node = this.root;
      for (let k = j; k < Math.min(seq.length, j + this.depth); k++) {
        const child = node.children.find((c) => c.token === seq[k]) as RefNode;
        if (child.count === 1) {
          node.children.splice(node.children.indexOf(child), 1);
          break;
        }
        this.decrement(child);
        node = child;
      }
    }
  }

  find(s: number[]): RefNode | null {
    let node = this.root;
    for (const t of s) {
      const c = node.children.find((x) => x.token === t);
      if (!c) return null;
      node = c;
    }
    return node;
  }

  private increment(x: RefNode): void {
    const list = (x.parent as RefNode).children;
    const i = list.indexOf(x);
    if (i > 0 && list[i - 1].count <= x.count + 1) {
      const groupCount = list[i - 1].count;
      const to = list.findIndex((y) => y.count === groupCount);
      list.splice(i, 1);
      list.splice(to, 0, x);
    }
    x.count++;
  }

  private decrement(x: RefNode): void {
    const list = (x.parent as RefNode).children;
    const i = list.indexOf(x);
    if (i + 1 < list.length && list[i + 1].count === x.count) {
      let last = i + 1;
      while (last + 1 < list.length && list[last + 1].count === x.count) last++;
      list.splice(i, 1);
      list.splice(last, 0, x);
    }
    x.count--;
  }

  /** Inside a compressed run: exactly one continuation, with the same count (never at the root). */
  private inRun(x: RefNode): boolean {
    return x !== this.root && x.children.length === 1 && x.children[0].count === x.count;
  }

  speculate(context: number[], o: RefOptions): RefSpeculation {
    let best: RefSpeculation = { tokens: [], parents: [], probs: [], score: 0, matchLength: 0 };
    const ctx = context.slice(-this.depth);
    const minProb = Math.fround(o.minTokenProb);
    for (let m = 1; m < ctx.length; m++) {
      const at = this.find(ctx.slice(ctx.length - m));
      if (!at) break;
      const byMatch = Math.trunc(Math.fround(Math.fround(m * Math.fround(o.alpha)) + Math.fround(o.offset)) + 1e-6);
      const maxTokens = Math.max(0, Math.min(o.maxSpecTokens, byMatch));
      const d = o.tree ? this.tree(at, maxTokens, minProb) : this.path(at, maxTokens, minProb);
      if (d.score >= best.score) best = { ...d, matchLength: m };
    }
    return best;
  }

  private ratio(prob: number, child: RefNode, node: RefNode, path: boolean): number {
    return path
      ? Math.fround(prob * Math.fround(Math.fround(child.count) / Math.fround(node.count)))
      : Math.fround(Math.fround(prob * Math.fround(child.count)) / Math.fround(node.count));
  }

  private path(start: RefNode, maxTokens: number, minProb: number): RefSpeculation {
    const out: RefSpeculation = { tokens: [], parents: [], probs: [], score: 0, matchLength: 0 };
    const emit = (x: RefNode) => {
      out.parents.push(out.tokens.length - 1);
      out.tokens.push(x.token);
      out.probs.push(prob);
      out.score = Math.fround(out.score + prob);
    };
    let prob = 1;
    let cur = start;
    let pending: RefNode | null = null;
    while (out.tokens.length < maxTokens && prob >= minProb) {
      if (pending) {
        emit(pending);
        cur = pending;
        pending = null;
      } else if (this.inRun(cur)) {
        cur = cur.children[0];
        emit(cur);
      } else {
        const head = cur.children[0];
        if (!head) break;
        prob = this.ratio(prob, head, cur, true);
        pending = head;
      }
    }
    return out;
  }

  private tree(start: RefNode, maxTokens: number, minProb: number): RefSpeculation {
    const out: RefSpeculation = { tokens: [], parents: [], probs: [], score: 0, matchLength: 0 };
    const emit = (x: RefNode, parent: number, prob: number) => {
      out.parents.push(parent);
      out.tokens.push(x.token);
      out.probs.push(prob);
      out.score = Math.fround(out.score + prob);
      return out.tokens.length - 1;
    };
    // 'after x': the position after x's token (inside a run it drafts the next token; at a run's end it
    // queues the children); 'emit x': x's token, first of its run.
    type Item = RefHeapItem & { kind: 'after' | 'emit'; node: RefNode; parent: number };
    const heap: Item[] = [];
    referenceHeapPush(heap, { prob: 1, kind: 'after', node: start, parent: -1 });
    while (out.tokens.length < maxTokens && heap.length > 0) {
      const it = referenceHeapPop(heap);
      if (it.kind === 'emit') {
        referenceHeapPush(heap, { prob: it.prob, kind: 'after', node: it.node, parent: emit(it.node, it.parent, it.prob) });
      } else if (this.inRun(it.node)) {
        const next = it.node.children[0];
        referenceHeapPush(heap, { prob: it.prob, kind: 'after', node: next, parent: emit(next, it.parent, it.prob) });
      } else {
        for (const c of it.node.children) {
          const p = this.ratio(it.prob, c, it.node, false);
          if (p < minProb) break;
          referenceHeapPush(heap, { prob: p, kind: 'emit', node: c, parent: it.parent });
        }
      }
    }
    return out;
  }
}

export interface RefHeapItem {
  prob: number;
}

/** `std::push_heap` with `a.prob < b.prob`: append, then sift up while the parent is strictly less. */
export function referenceHeapPush<T extends RefHeapItem>(heap: T[], item: T): void {
  heap.push(item);
  let hole = heap.length - 1;
  while (hole > 0) {
    const parent = Math.floor((hole - 1) / 2);
    if (!(heap[parent].prob < item.prob)) break;
    heap[hole] = heap[parent];
    hole = parent;
  }
  heap[hole] = item;
}

/**
 * `std::pop_heap` + `pop_back` with `a.prob < b.prob`: the last item is taken out, the hole left at the top
 * walks down to a leaf (to the right child unless it is less than the left one; a lone last left child
 * after the loop), then the taken item sifts up from there. Returns the old top.
 */
export function referenceHeapPop<T extends RefHeapItem>(heap: T[]): T {
  const top = heap[0];
  const value = heap.pop() as T;
  const len = heap.length;
  if (len === 0) return top;
  let hole = 0;
  let child = 0;
  while (child < Math.floor((len - 1) / 2)) {
    child = 2 * (child + 1);
    if (heap[child].prob < heap[child - 1].prob) child--;
    heap[hole] = heap[child];
    hole = child;
  }
  if (len % 2 === 0 && child === Math.floor((len - 2) / 2)) {
    child = 2 * (child + 1);
    heap[hole] = heap[child - 1];
    hole = child - 1;
  }
  while (hole > 0) {
    const parent = Math.floor((hole - 1) / 2);
    if (!(heap[parent].prob < value.prob)) break;
    heap[hole] = heap[parent];
    hole = parent;
  }
  heap[hole] = value;
  return top;
}
