import { describe, expect, it } from 'vitest';
import { PythonRandom } from './python-random.ts';

// Expected values below come from CPython 3.11.7 (`import random`), e.g.
//   random.seed(10); [random.getrandbits(32) for _ in range(3)]
// except the first test's, which are the MT19937 authors' own reference output.
describe('PythonRandom (CPython random, MT19937)', () => {
  it('reproduces the MT19937 reference output (mt19937ar.out, init_by_array({0x123, 0x234, 0x345, 0x456}))', () => {
    const r = new PythonRandom();
    // = random.seed(0x456_00000345_00000234_00000123) in CPython (same words, least significant first).
    r.seedWords([0x123, 0x234, 0x345, 0x456]);
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32(), r.nextUint32(), r.nextUint32()]).toEqual([
      1067595299, 955945823, 477289528, 4107218783, 4228976476,
    ]);
  });

  it('seeds like random.seed(n) and continues across the 624-word refill', () => {
    const r = new PythonRandom();
    r.seed(10);
    expect([r.getrandbits(32), r.getrandbits(32), r.getrandbits(32)]).toEqual([2454155475, 139951793, 1842064464]);
    r.seed(10);
    const all: number[] = [];
    for (let i = 0; i < 700; i++) all.push(r.nextUint32());
    expect(all.slice(-3)).toEqual([3601630495, 236227932, 2945013752]);
    r.seed(0);
    expect([r.nextUint32(), r.nextUint32()]).toEqual([3626764237, 1654615998]);
    r.seed(2 ** 40 + 7); // two key words
    expect([r.nextUint32(), r.nextUint32()]).toEqual([2635837658, 3209733218]);
    r.seed(10);
    expect(r.random()).toBe(0.5714025946899135);
  });

  it('draws like random._randbelow / random.choice (rejection on n.bit_length() bits)', () => {
    const r = new PythonRandom();
    r.seed(10);
    // random.seed(10); [random._inst._randbelow(n) for n in (1, 2, 3, 5, 8, 100, 257, 511, 1000, 65536, 70000)]
    expect([1, 2, 3, 5, 8, 100, 257, 511, 1000, 65536, 70000].map((n) => r.randbelow(n))).toEqual([
      0, 1, 1, 4, 0, 26, 236, 416, 503, 36375, 21001,
    ]);
    // random.seed(10); [random.choice(p) for _ in range(9)]
    const p = [1, 403, 9, 17, 22, 403, 5, 100, 33, 9, 8, 7, 1];
    r.seed(10);
    expect(Array.from({ length: 9 }, () => p[r.randbelow(p.length)])).toEqual([9, 1, 5, 100, 9, 1, 17, 100, 100]);
  });
});
