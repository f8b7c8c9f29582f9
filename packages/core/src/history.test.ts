import { describe, expect, it } from 'vitest';
import { TokenHistory } from './history.ts';

describe('TokenHistory', () => {
  it('keeps prompt and generated tokens and grows past its reservation', () => {
    const h = new TokenHistory(4);
    h.begin(Int32Array.from([1, 2, 3]), 1);
    for (let i = 0; i < 50; i++) h.push(10 + i);
    expect(h.length).toBe(53);
    expect(h.promptLength).toBe(3);
    expect(h.generated()[0]).toBe(10);
    expect(h.last).toBe(59);
    expect(Array.from(h.view().subarray(0, 4))).toEqual([1, 2, 3, 10]);
  });
});
