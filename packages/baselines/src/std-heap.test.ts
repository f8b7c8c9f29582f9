import { Rng } from '@trbench/core';
import { describe, expect, it } from 'vitest';
import { SuffixHeap } from './std-heap.ts';
import { nextInt } from './testing/random.ts';
import { type RefHeapItem, referenceHeapPop, referenceHeapPush } from './testing/suffix-reference.ts';

function popAll(heap: SuffixHeap): number[] {
  const order: number[] = [];
  while (heap.size > 0) {
    order.push(heap.topNode);
    heap.pop();
  }
  return order;
}

describe('SuffixHeap (libstdc++ priority_queue order)', () => {
  it('four equal items pop A C B D, five pop A C E B D (worked by hand from stl_heap.h)', () => {
    // Pushes of equal items never move up: [A B C D]. pop: D leaves the last slot, the hole walks from the
    // top to the right child C (a tie goes right), D re-enters at C's old place: [C B D]. pop: the even-length
    // tail case moves B (the lone left child) up, D lands at index 1: [B D]. So A C B D.
    const heap = new SuffixHeap();
    for (const id of [0, 1, 2, 3]) heap.push(0.5, id, 0, -1);
    expect(popAll(heap)).toEqual([0, 2, 1, 3]);
    // [A B C D E] → pop A: hole to C, E sifts in at 2: [C B E D] → pop C: hole to E, D at 2: [E B D] →
    // pop E: B up, D at 1: [B D].
    for (const id of [0, 1, 2, 3, 4]) heap.push(0.5, id, 0, -1);
    expect(popAll(heap)).toEqual([0, 2, 4, 1, 3]);
  });

  it('higher probabilities pop first; an equal one pushed later stays below', () => {
    const heap = new SuffixHeap();
    heap.push(0.25, 1, 0, -1);
    heap.push(0.5, 2, 0, -1);
    heap.push(0.5, 3, 0, -1);
    heap.push(1, 4, 0, -1);
    // push 0.5 (2): over 0.25 → [2 1]; push 0.5 (3) at index 2 under 2 (a tie): [2 1 3]; push 1 (4) at 3,
    // over 1 then over 2: [4 2 3 1]. pop 4: value 1 (0.25), hole walks to 3 (tie → right), then the odd
    // length ends the walk; 1 stays at index 2: [3 2 1]. pop 3: even tail, 2 moves up: [2 1].
    expect(popAll(heap)).toEqual([4, 3, 2, 1]);
  });

  it('equals the reference push_heap / pop_heap on random tie-heavy sequences, all fields carried', () => {
    const rng = new Rng(3);
    const probs = [1, 0.5, 0.5, 0.25, Math.fround(1 / 3), Math.fround(1 / 3)];
    for (let trial = 0; trial < 60; trial++) {
      const heap = new SuffixHeap();
      const ref: (RefHeapItem & { node: number; idx: number; parent: number })[] = [];
      let id = 0;
      for (let k = 0; k < 300; k++) {
        if (ref.length > 0 && nextInt(rng, 3) === 0) {
          const want = referenceHeapPop(ref);
          expect([heap.topProb, heap.topNode, heap.topIdx, heap.topParent]).toEqual([want.prob, want.node, want.idx, want.parent]);
          heap.pop();
        } else {
          const p = probs[nextInt(rng, probs.length)];
          heap.push(p, id, id * 3, id - 7);
          referenceHeapPush(ref, { prob: p, node: id, idx: id * 3, parent: id - 7 });
          id++;
        }
        expect(heap.size).toBe(ref.length);
      }
    }
  });
});
