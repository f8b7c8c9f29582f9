import { describe, expect, it } from 'vitest';
import { compareWithReference } from './lossless.ts';

describe('compareWithReference', () => {
  const t = (...tokens: number[]) => ({ tokens });
  it('is null when every turn has the same ids', () => {
    expect(compareWithReference([t(1, 2), t(3)], [t(1, 2), t(3)])).toBeNull();
    expect(compareWithReference([], [])).toBeNull();
  });
  it('names the turn (1-based) and token index of the first difference', () => {
    expect(compareWithReference([t(1, 2), t(3, 4)], [t(1, 2), t(3, 5)])).toEqual({ turn: 2, index: 1 });
    expect(compareWithReference([t(1, 2)], [t(1, 2, 9)])).toEqual({ turn: 1, index: 2 });
  });
  it('treats a turn present on one side only as diverging at its start', () => {
    expect(compareWithReference([t(1)], [t(1), t(2)])).toEqual({ turn: 2, index: 0 });
  });
});
