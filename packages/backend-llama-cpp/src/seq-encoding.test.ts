import { Draft } from '@trbench/core';
import { describe, expect, it } from 'vitest';
import { SeqEncoder } from './seq-encoding.ts';

function idsOf(enc: SeqEncoder, i: number): number[] {
  const out: number[] = [];
  for (let s = 0; s < enc.words * 32; s++) if (enc.sets[i * enc.words + (s >>> 5)] & (1 << (s & 31))) out.push(s);
  return out;
}

/** What llama.cpp's mask lets node i see: nodes j whose set holds i's own id, at positions <= i's. */
function visibleTo(enc: SeqEncoder, d: Draft, i: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < d.count; j++) if (d.depth[j] <= d.depth[i] && idsOf(enc, j).includes(enc.own[i])) out.push(j);
  return out;
}

function ancestorsAndSelf(d: Draft, i: number): number[] {
  const out: number[] = [];
  for (let n = i; n >= 0; n = d.parent[n]) out.push(n);
  return out.sort((a, b) => a - b);
}

describe('SeqEncoder', () => {
  it('gives each leaf a sequence, the root sequence 0, and reproduces ancestor-only attention', () => {
    // The proven example: r{0,1,2}, A{0,1}, D{2}, B{0}, C{1}, E{2}
    const d = new Draft(8);
    d.reset(1);
    const a = d.add(2, 0);
    const dd = d.add(3, 0);
    d.add(4, a);
    d.add(5, a);
    d.add(6, dd);
    const enc = new SeqEncoder(8, 8);
    enc.encode(d);
    expect(enc.seqCount).toBe(3);
    expect(enc.own[0]).toBe(0);
    expect(idsOf(enc, 0)).toEqual([0, 1, 2]);
    for (let i = 0; i < d.count; i++) expect(visibleTo(enc, d, i)).toEqual(ancestorsAndSelf(d, i));
  });

  it('handles random uneven trees', () => {
    let seed = 3;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const enc = new SeqEncoder(64, 64);
    const d = new Draft(64);
    for (let trial = 0; trial < 30; trial++) {
      d.reset(0);
      const n = 2 + Math.floor(rnd() * 60);
      for (let i = 1; i < n; i++) d.add(i, Math.floor(rnd() ** 2 * i));
      enc.encode(d);
      for (let i = 0; i < d.count; i++) expect(visibleTo(enc, d, i)).toEqual(ancestorsAndSelf(d, i));
    }
  });

  it('encodes non-tree visibility with one sequence per node', () => {
    const d = new Draft(4);
    d.reset(0);
    const a = d.add(1, 0);
    const b = d.add(2, 0);
    d.allowSee(b, a);
    const enc = new SeqEncoder(4, 4);
    enc.encode(d);
    expect(enc.seqCount).toBe(3);
    expect(visibleTo(enc, d, b)).toEqual([0, a, b]);
    expect(visibleTo(enc, d, a)).toEqual([0, a]);
  });

  it('refuses patterns llama.cpp cannot express', () => {
    const d = new Draft(4);
    d.reset(0);
    const a = d.add(1, 0);
    const deep = d.add(2, a);
    const b = d.add(3, 0);
    d.allowSee(b, deep); // b (position +1) would see a node at position +2
    expect(() => new SeqEncoder(4, 4).encode(d)).toThrow(/later position/);
  });
});
