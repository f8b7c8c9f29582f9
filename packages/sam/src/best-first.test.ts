import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BestFirstHeap } from './best-first.ts';

// heapq-fixture.json was recorded from CPython's heapq (see its `generatedBy`): pushes with many equal keys
// and pops in between. Equal keys must come out in exactly Python's order (the authors' static tree).
const fixture = JSON.parse(readFileSync(new URL('./heapq-fixture.json', import.meta.url), 'utf8')) as {
  ops: (number | 'pop')[];
  popped: number[];
};

describe('BestFirstHeap', () => {
  it("pops equal keys in CPython heapq's order", () => {
    const heap = new BestFirstHeap(512);
    const popped: number[] = [];
    let id = 0;
    for (const op of fixture.ops) {
      if (op === 'pop') {
        heap.pop();
        popped.push(heap.outToken);
      } else heap.push(op, id++, 0, 0, 0);
    }
    expect(popped).toEqual(fixture.popped);
  });

  it('pops in key order and carries every field', () => {
    const heap = new BestFirstHeap(8);
    heap.push(-0.5, 10, 1, 2, 3);
    heap.push(-1, 11, 4, 5, 6);
    heap.push(-0.25, 12, 7, 8, 9);
    heap.pop();
    expect([heap.outKey, heap.outToken, heap.outState, heap.outParent, heap.outDepth]).toEqual([-1, 11, 4, 5, 6]);
    heap.pop();
    expect(heap.outToken).toBe(10);
    heap.pop();
    expect(heap.outToken).toBe(12);
    expect(heap.size).toBe(0);
  });
});
